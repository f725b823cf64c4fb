// did:key resolution throughput: Tessera's resolveDidKey (cold and cached) against key-did-resolver.
// Needs the built package (`pnpm build`). Prints one JSON line.
//
//   node bench/did-key.bench.mjs
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { report } from './lib.mjs'

const identityDir = new URL('../packages/identity/', import.meta.url)
const { clearDidKeyCache, didKeyFromPublicKey, resolveDidKey } = await import(
  new URL('dist/did-key.js', identityDir).href
)
// Resolve the two libraries from the identity package, where they are installed.
const requireFromIdentity = createRequire(new URL('package.json', identityDir))
const { ed25519 } = await import(pathToFileURL(requireFromIdentity.resolve('@noble/curves/ed25519.js')).href)
const { getResolver } = await import(pathToFileURL(requireFromIdentity.resolve('key-did-resolver')).href)

const COUNT = 1000
const ROUNDS = 5

// 1,000 distinct Ed25519 DIDs from fixed seeds.
const dids = Array.from({ length: COUNT }, (_, i) => {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, i + 1)
  return didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: ed25519.getPublicKey(seed) })
})

const reference = getResolver().key
const parsedOf = (did) => ({ did, didUrl: did, method: 'key', id: did.slice('did:key:'.length) })
const parsed = dids.map(parsedOf)

/** Best ops/s over ROUNDS timed passes of `pass` (each resolves all COUNT DIDs), after one warm-up pass. */
async function measure(pass, before = () => {}) {
  before()
  await pass()
  let best = 0
  for (let round = 0; round < ROUNDS; round++) {
    before()
    const start = process.hrtime.bigint()
    await pass()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    best = Math.max(best, COUNT / seconds)
  }
  return Math.round(best)
}

const cold = await measure(() => {
  for (const did of dids) resolveDidKey(did)
}, clearDidKeyCache)
const cached = await measure(() => {
  for (const did of dids) resolveDidKey(did)
})
const keyDidResolver = await measure(async () => {
  for (let i = 0; i < COUNT; i++) {
    const result = await reference(dids[i], parsed[i], null, {})
    if (result.didDocument === null) throw new Error(`key-did-resolver failed on ${dids[i]}`)
  }
})

const reference_ = { label: 'key-did-resolver (same DIDs, same run)', value: keyDidResolver }
report({
  name: 'did:key resolve, cold (1,000 distinct Ed25519 DIDs, empty cache)',
  value: cold,
  reference: reference_,
})
report({ name: 'did:key resolve, cached', value: cached, reference: reference_ })
