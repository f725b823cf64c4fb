// The verifier's status check on a cached list: `statusChecker(cache).check` (parseEntry of the untrusted
// entry, issuer trust, the cache's synchronous fast path, checkStatus, the result with its details), against
// `checkStatus` alone on the same decoded list and pre-parsed entries, in the same process.
// Needs the built packages (`npx tsc -b packages/status`).
//
//   node bench/status-cache.bench.mjs
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signCompactJws } from '../packages/credentials/dist/offline.js'
import { didKeyFromPublicKey } from '../packages/identity/dist/did-key.js'
import { addTrust, emptyTrustBundle } from '../packages/policy/dist/index.js'
import {
  Bitstring,
  buildEntry,
  buildListCredential,
  checkStatus,
  createStatusCache,
  directorySource,
  parseEntry,
  statusChecker,
} from '../packages/status/dist/index.js'
import { measure, report } from './lib.mjs'

const LIST_URL = 'https://acme.tessera.invalid/status/1-revocation'
const ENTRIES = 131_072
const CHECKS_PER_CALL = 100_000

/** A small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// An issuer with a did:key, trusted by the verifier; its 131,072-entry revocation list with ~1% revoked,
// signed as vc+jwt and published as a file.
const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const did = didKeyFromPublicKey({
  keyType: 'Ed25519',
  publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'),
})
const kid = `${did}#${did.slice('did:key:'.length)}`
const trust = addTrust(emptyTrustBundle(), {
  org: 'Acme',
  issuer: did,
  role: 'agent',
  permissions: ['read:*'],
})

const random = prng(11)
const bitstring = new Bitstring({ length: ENTRIES })
for (let i = 0; i < ENTRIES / 100; i++) bitstring.set(Math.floor(random() * ENTRIES), 1)
const now = Date.now()
const token = await signCompactJws({
  header: { alg: 'EdDSA', typ: 'vc+jwt', kid },
  payload: buildListCredential({
    id: LIST_URL,
    issuer: did,
    statusPurpose: 'revocation',
    bitstring,
    validFrom: new Date(now - 60_000),
    validUntil: new Date(now + 86_400_000),
    ttlMs: 3_600_000,
  }),
  sign: (input) => sign(null, input, privateKey),
})
const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-status-'))
writeFileSync(join(dir, '1-revocation'), token)

const cache = createStatusCache({ sources: [directorySource(dir)], trust, maxStalenessMs: 86_400_000 })
const [loaded] = await cache.preload([LIST_URL])
if (!loaded.ok) throw new Error(`list did not load: ${loaded.code} ${loaded.message}`)
const checker = statusChecker(cache)

// 4,096 entries at random indexes, as verifyPresentation hands them over: plain JSON objects (parsed from the
// credential), cycled. The reference gets the same entries pre-parsed and the decoded list.
const entries = Array.from({ length: 4096 }, () =>
  JSON.parse(
    JSON.stringify(
      buildEntry({ purpose: 'revocation', index: Math.floor(random() * ENTRIES), listCredential: LIST_URL }),
    ),
  ),
)
const requests = entries.map((entry) => ({ entry, credentialId: undefined, issuer: did }))
const parsed = entries.map((entry) => parseEntry(entry))
const list = cache.get(LIST_URL)
if (typeof list.then === 'function') throw new Error('expected the synchronous fast path')

let sink = 0
let async = 0
const checks = await measure(
  () => {
    let revoked = 0
    for (let i = 0; i < CHECKS_PER_CALL; i++) {
      const result = checker.check(requests[i & 4095])
      if (typeof result.then === 'function') async++
      else if (!result.ok) revoked++
    }
    sink += revoked
  },
  { batch: CHECKS_PER_CALL },
)
const direct = await measure(
  () => {
    let revoked = 0
    for (let i = 0; i < CHECKS_PER_CALL; i++) {
      if (checkStatus({ entry: parsed[i & 4095], list }).set) revoked++
    }
    sink += revoked
  },
  { batch: CHECKS_PER_CALL },
)
const parses = await measure(
  () => {
    for (let i = 0; i < CHECKS_PER_CALL; i++) sink += parseEntry(entries[i & 4095]).index & 1
  },
  { batch: CHECKS_PER_CALL },
)
rmSync(dir, { recursive: true, force: true })
if (async !== 0) throw new Error(`${async} checks went asynchronous: the fast path was not taken`)

report({
  name: 'statusChecker(cache).check on a cached list (131,072 entries, 4,096 JSON entries cycled)',
  value: checks.opsPerSec,
  unit: 'checks/s',
  reference: {
    label: 'checkStatus alone, pre-parsed entries, same list',
    value: direct.opsPerSec,
    unit: 'checks/s',
  },
  target: '>= 1,000,000 checks/s',
  note: `includes parseEntry of each untrusted entry (alone: ${Math.round(parses.opsPerSec).toLocaleString('en-US')}/s), issuer trust, clock read, result with details`,
})

if (sink === 0) process.stderr.write('unexpected: no work measured\n')
