// Data Integrity (eddsa-rdfc-2022) verification, every figure against a reference measured in this same process:
// 1. verifyCredential on a Data Integrity role credential seen for the first time (hash-data cache emptied before
//    each call) vs the same credential as vc+jwt (same checks after the signature: claims, issuer, role, trust);
// 2. the same credential seen before (its RDFC-1.0 hash data cached) vs vc+jwt;
// 3. first sight vs raw node:crypto Ed25519 verify (the physical limit of the signature);
// 4. first sight vs its RDFC-1.0 hash data alone (two JSON-LD canonicalizations + SHA-256): what RDF costs;
// 5. first sight vs Digital Bazaar's @digitalbazaar/vc verifyCredential (its own suite and verifier per call);
// 6. verifyPresentation of a Data Integrity presentation (1 Data Integrity credential, seen before) vs vp+jwt.
// What is cached: processed JSON-LD contexts (jsonld's shared resolved-context cache; the loader hands back the
// same frozen bundled documents, so every context is processed once per process), did:key resolution and the
// imported Ed25519 KeyObject (@tessera/identity/did-key), and the hash data of each credential per exact JSON
// (dataIntegrityHashData with cache: an agent presents the same credential every time; presentations are never
// cached). No suite or verifier object is built per call: the signature is checked with node:crypto after
// Digital Bazaar's canonicalization and the spec's SHA-256 hashes. Left uncached, inside jsonld.js: each
// type-scoped context (VerifiableCredential, DataIntegrityProof) clones the active context deeply, a fifth of
// the canonicalization time.
// Needs the built packages (`npx tsc -b`). No home, no network: keys are node:crypto ones.
//
//   node bench/run.mjs data-integrity
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import {
  clearDataIntegrityCache,
  dataIntegrityHashData,
  documentLoader,
  envelopeCredential,
  ROLE_CREDENTIAL_DI_CONTEXTS,
  readDataIntegrityProof,
  signCompactJws,
  signCredentialJwt,
  signDataIntegrityCredential,
  signDataIntegrityPresentation,
  verifyCredential,
  verifyPresentation,
} from '../packages/credentials/dist/index.js'
import { didKeyFromPublicKey } from '../packages/identity/dist/did-key.js'
import { addTrust, emptyTrustBundle } from '../packages/policy/dist/index.js'
import { measurePaired, report } from './lib.mjs'

// Digital Bazaar's libraries are installed in the credentials package; resolve them from there.
const fromCredentials = createRequire(new URL('../packages/credentials/package.json', import.meta.url))
const load = (name) => import(pathToFileURL(fromCredentials.resolve(name)).href)
const vc = await load('@digitalbazaar/vc')
const { DataIntegrityProof } = await load('@digitalbazaar/data-integrity')
const { cryptosuite } = await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')

const DOMAIN = 'api.partner.example'
const ROLE = 'support-agent'
const fmt = (x) => x.toFixed(3)

function key() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(x, 'base64url') })
  const vmId = `${did}#${did.slice('did:key:'.length)}`
  const bytes = async (data) => new Uint8Array(sign(null, data, privateKey))
  return {
    did,
    publicKey,
    privateKey,
    signer: { id: vmId, controller: did, algorithm: 'Ed25519', sign: ({ data }) => bytes(data) },
    jws: { kid: vmId, alg: 'EdDSA', sign: bytes },
  }
}

/** Alternating short runs of each side (see measurePaired in lib.mjs). */
const paired = (a, b) => measurePaired(a, b, { rounds: 9, runMs: 250, warmupMs: 400 })

const issuer = key()
const holder = key()
const trust = addTrust(emptyTrustBundle(), {
  org: 'Acme',
  issuer: issuer.did,
  role: ROLE,
  permissions: ['read:tickets/*'],
})
const now = new Date()
const credential = {
  '@context': [...ROLE_CREDENTIAL_DI_CONTEXTS],
  id: 'urn:uuid:1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
  type: ['VerifiableCredential', 'AgentRoleCredential'],
  issuer: issuer.did,
  validFrom: new Date(now.getTime() - 60_000).toISOString(),
  validUntil: new Date(now.getTime() + 86_400_000).toISOString(),
  credentialSubject: {
    id: holder.did,
    role: ROLE,
    agentType: ROLE,
    permissions: [{ action: 'read', resource: 'tickets/*' }],
  },
}
const di = await signDataIntegrityCredential({ credential, signer: issuer.signer })
const jwt = await signCredentialJwt({ credential, signer: issuer.jws })

const verifyDi = async () => {
  const r = await verifyCredential({ credential: di, trust, holder: holder.did })
  if (!r.verified) throw new Error(`DI credential refused: ${JSON.stringify(r.errors)}`)
}
const verifyJwt = async () => {
  const r = await verifyCredential({ credential: jwt, trust, holder: holder.did })
  if (!r.verified) throw new Error(`vc+jwt credential refused: ${JSON.stringify(r.errors)}`)
}
/** First sight of the credential: nothing of it cached (contexts and the did:key stay cached). */
const verifyDiCold = async () => {
  clearDataIntegrityCache()
  await verifyDi()
}
await verifyDiCold()
await verifyJwt()

// --- 1. Data Integrity vs vc+jwt ---------------------------------------------------------------------------
{
  const { a, b, cpuRatio } = await paired(verifyDiCold, verifyJwt)
  report({
    name: 'verifyCredential, Data Integrity eddsa-rdfc-2022, first sight (1 role credential, trust, holder)',
    value: a,
    reference: { label: 'verifyCredential, the same credential as vc+jwt', value: b },
    note:
      'same checks after the signature; the difference is RDF canonicalization (JSON-LD toRDF + RDFC-1.0, twice: ' +
      `proof options and document) against one base64url decode and JSON.parse; ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}
{
  const { a, b, cpuRatio } = await paired(verifyDi, verifyJwt)
  report({
    name: 'verifyCredential, Data Integrity, the same credential seen before (hash data cached)',
    value: a,
    reference: { label: 'verifyCredential, the same credential as vc+jwt', value: b },
    note:
      'the cache key is the SHA-256 of the exact JSON (proof options, document), so the JSON round trip, ' +
      `that hash, the Ed25519 verify and the shared checks remain; ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}

// --- 2. Data Integrity vs raw Ed25519 verify -------------------------------------------------------------------
const proof = readDataIntegrityProof(di)
const { proof: _proof, ...unsecured } = di
const hashData = await dataIntegrityHashData({ document: unsecured, proof: proof.raw })
const rawSignature = sign(null, hashData, issuer.privateKey)
const verifyRaw = () => {
  if (!verify(null, hashData, issuer.publicKey, rawSignature)) throw new Error('raw verify failed')
}
{
  const { a, b, cpuRatio } = await paired(verifyDiCold, verifyRaw)
  report({
    name: 'verifyCredential, Data Integrity, first sight, vs the signature alone',
    value: a,
    reference: { label: 'node:crypto Ed25519 verify of the 64-byte hash data (cached KeyObject)', value: b },
    note: `ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}

// --- 3. Data Integrity vs its canonicalization alone ---------------------------------------------------------
const hashOnly = async () => {
  await dataIntegrityHashData({ document: unsecured, proof: proof.raw })
}
{
  const { a, b, cpuRatio } = await paired(verifyDiCold, hashOnly)
  report({
    name: 'verifyCredential, Data Integrity, first sight, vs its RDFC-1.0 hash data alone',
    value: a,
    reference: {
      label: 'dataIntegrityHashData (2 canonicalizations + 2 SHA-256), same credential',
      value: b,
    },
    note:
      'a ratio near 1 means canonicalization is the whole cost and every other check is noise; ' +
      `ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}

// --- 4. Tessera vs Digital Bazaar's verifier -----------------------------------------------------------------
const dbVerify = async () => {
  const r = await vc.verifyCredential({
    credential: di,
    suite: new DataIntegrityProof({ cryptosuite }),
    documentLoader,
  })
  if (!r.verified) throw new Error(`@digitalbazaar/vc refused: ${r.error}`)
}
await dbVerify()
{
  const { a, b, cpuRatio } = await paired(verifyDiCold, dbVerify)
  report({
    name: 'verifyCredential, Data Integrity, first sight, vs @digitalbazaar/vc verifyCredential',
    value: a,
    reference: {
      label: '@digitalbazaar/vc 7.3 verifyCredential, eddsa-rdfc-2022 suite, bundled loader',
      value: b,
    },
    note:
      'DB: loads the verification method and the controller document through the loader and imports the key for ' +
      'every proof, checks no trust or role; Tessera: cached KeyObject, trust bundle and role checks; ' +
      `ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}

// --- 5. Data Integrity presentation vs vp+jwt ------------------------------------------------------------------
const diVp = await signDataIntegrityPresentation({
  presentation: {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: holder.did,
    verifiableCredential: [di],
  },
  signer: holder.signer,
  domain: DOMAIN,
})
const iat = Math.floor(Date.now() / 1000)
const vpJwt = await signCompactJws({
  header: { alg: 'EdDSA', typ: 'vp+jwt', kid: holder.jws.kid },
  payload: {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: holder.did,
    verifiableCredential: [envelopeCredential(jwt)],
    aud: DOMAIN,
    iat,
    exp: iat + 300,
  },
  sign: holder.jws.sign,
})
const REQUEST = { action: 'read', resource: 'tickets/42' }
const decideDi = async () => {
  const d = await verifyPresentation({ presentation: diVp, domain: DOMAIN, trust, request: REQUEST })
  if (!d.allowed) throw new Error(`DI presentation refused: ${JSON.stringify(d.errors)}`)
}
const decideJwt = async () => {
  const d = await verifyPresentation({ presentation: vpJwt, domain: DOMAIN, trust, request: REQUEST })
  if (!d.allowed) throw new Error(`vp+jwt presentation refused: ${JSON.stringify(d.errors)}`)
}
await decideDi()
await decideJwt()
{
  const { a, b, cpuRatio } = await paired(decideDi, decideJwt)
  report({
    name: 'verifyPresentation, Data Integrity (1 Data Integrity credential seen before, trust, request)',
    value: a,
    reference: { label: 'verifyPresentation, vp+jwt with the same credential as vc+jwt', value: b },
    note:
      'the presentation is canonicalized with its embedded credential every time (2 canonicalizations); the ' +
      "credential's own hash data comes from the cache; no challenge (single use would refuse repeats); " +
      `ratio by CPU time per op: ${fmt(cpuRatio)}`,
  })
}
