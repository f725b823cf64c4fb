// The trust loop end to end, every figure against a reference measured in this same process:
// 1. a fully checked presentation (1 credential, trust bundle, request) with verifyPresentation, against
//    node:crypto verifying the same two signatures (half of raw Ed25519 verify/s, cached KeyObjects);
// 2. the same check along Veramo 7's path (CredentialPlugin + CredentialProviderJWT: verifyPresentation, plus
//    verifyCredential for the inner credential, which Veramo's presentation check skips), same DIDs;
// 3. issuing role credentials 100 per call (issueRoleCredentials: Veramo keyManagerSign + register write),
//    against raw node:crypto Ed25519 sign/s.
// Needs the built packages (`npx tsc -b`). Temporary home under os.tmpdir(), removed at the end.
//
//   node bench/run.mjs trust-loop
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  createPresentation,
  credentialsMigrations,
  issueRoleCredential,
  issueRoleCredentials,
  verifyPresentation,
} from '../packages/credentials/dist/index.js'
import { createAgentIdentity, initHome, openHome } from '../packages/identity/dist/index.js'
import { addTrust, emptyTrustBundle } from '../packages/policy/dist/index.js'
import { measurePaired, report } from './lib.mjs'

// Veramo's credential plugins are installed in the credentials package; resolve them from there.
const fromCredentials = createRequire(new URL('../packages/credentials/package.json', import.meta.url))
const load = (name) => import(pathToFileURL(fromCredentials.resolve(name)).href)
const { CredentialPlugin } = await load('@veramo/credential-w3c')
const { CredentialProviderJWT } = await load('@veramo/credential-jwt')

const DOMAIN = 'api.partner.example'
const ROLE = 'support-agent'
const PERMISSIONS = [{ action: 'read', resource: 'tickets/*' }]
const REQUEST = { action: 'read', resource: 'tickets/42' }
const BULK = 100

const paired = measurePaired

const fmt = (x) => x.toFixed(2)

/** Signing input and signature of a compact JWS. */
function parts(jwt) {
  const dot = jwt.lastIndexOf('.')
  return {
    input: Buffer.from(jwt.slice(0, dot), 'latin1'),
    signature: Buffer.from(jwt.slice(dot + 1), 'base64url'),
  }
}

const root = mkdtempSync(join(tmpdir(), 'tessera-bench-trust-loop-'))
try {
  const dir = join(root, 'home')
  const org = await initHome({ dir, org: 'Acme', env: {}, migrations: credentialsMigrations })
  // One home, one agent: Tessera's own functions use its key manager; Veramo's methods come from the plugin.
  const home = await openHome({
    dir,
    env: {},
    migrations: credentialsMigrations,
    plugins: [new CredentialPlugin([new CredentialProviderJWT()])],
  })
  try {
    const holders = []
    for (let i = 0; i < 10; i++) {
      holders.push((await createAgentIdentity(home, { name: `bench-${i}`, type: ROLE })).did)
    }
    const holder = holders[0]
    const trust = addTrust(emptyTrustBundle(), {
      org: 'Acme',
      issuer: org.did,
      role: ROLE,
      permissions: ['read:tickets/*'],
    })

    // --- 1. Tessera's verifier --------------------------------------------------------------------------
    const issued = await issueRoleCredential(home, { agent: holder, role: ROLE, permissions: PERMISSIONS })
    const presentation = await createPresentation(home, {
      holder,
      credentials: [issued.jwt],
      challenge: randomBytes(32).toString('base64url'),
      domain: DOMAIN,
    })
    const verifyOurs = async () => {
      const decision = await verifyPresentation({ presentation, domain: DOMAIN, trust, request: REQUEST })
      if (!decision.allowed) throw new Error(`bench presentation refused: ${JSON.stringify(decision.errors)}`)
    }
    await verifyOurs()

    // Reference: node:crypto verifying exactly the two signatures, with cached KeyObjects.
    const vp = parts(presentation)
    const vc = parts(issued.jwt)
    const keys = generateKeyPairSync('ed25519')
    const vpSig = sign(null, vp.input, keys.privateKey)
    const vcSig = sign(null, vc.input, keys.privateKey)
    const verifyRaw = () => {
      if (!verify(null, vp.input, keys.publicKey, vpSig) || !verify(null, vc.input, keys.publicKey, vcSig)) {
        throw new Error('raw verify failed')
      }
    }
    const { a: ours, b: raw, cpuRatio: oursCpu } = await paired(verifyOurs, verifyRaw)
    report({
      name: 'verifyPresentation, fully checked (1 credential, trust bundle, request), offline',
      value: ours,
      reference: {
        label: 'node:crypto Ed25519 verify / 2 (same 2 signatures, cached KeyObject)',
        value: raw,
      },
      target: '>= 0.6',
      note:
        'no challenge: the single-use store would refuse every repeat, so nonce and single-use checks are off; ' +
        'aud, times, both signatures, holder binding, trust and authorization run; did:key KeyObjects cached after the first call; ' +
        `ratio by CPU time per op: ${fmt(oursCpu)}`,
    })

    // --- 2. Veramo 7's path on the same DIDs --------------------------------------------------------------
    const challenge = randomBytes(32).toString('base64url')
    const veramoVc = await home.agent.createVerifiableCredential({
      credential: {
        issuer: { id: org.did },
        expirationDate: new Date(Date.now() + 86_400_000).toISOString(),
        credentialSubject: { id: holder, role: ROLE, permissions: PERMISSIONS },
      },
      proofFormat: 'jwt',
    })
    const veramoVp = await home.agent.createVerifiablePresentation({
      presentation: { holder, verifiableCredential: [veramoVc] },
      proofFormat: 'jwt',
      challenge,
      domain: DOMAIN,
    })
    const vcJwt = veramoVc.proof.jwt
    const vpJwt = veramoVp.proof.jwt
    const verifyVeramo = async () => {
      const p = await home.agent.verifyPresentation({ presentation: vpJwt, challenge, domain: DOMAIN })
      const c = await home.agent.verifyCredential({ credential: vcJwt })
      if (!p.verified || !c.verified)
        throw new Error(`Veramo refused: ${p.error?.message ?? c.error?.message}`)
    }
    await verifyVeramo()
    const { a: oursAgain, b: veramo, cpuRatio: veramoCpu } = await paired(verifyOurs, verifyVeramo)
    report({
      name: 'verifyPresentation vs Veramo 7 (verifyPresentation + verifyCredential of the inner credential)',
      value: oursAgain,
      reference: { label: 'Veramo 7 CredentialProviderJWT, same DIDs', value: veramo },
      target: '>= 10',
      note:
        'Veramo: VC 1.1 JWTs via did-jwt-vc, did:key resolved by key-did-resolver per call, challenge and domain compared; ' +
        'no trust bundle or authorization on its side (it has none); ' +
        `ratio by CPU time per op: ${fmt(veramoCpu)}`,
    })

    // --- 3. Bulk issuance ------------------------------------------------------------------------------
    const requests = Array.from({ length: BULK }, (_, i) => ({
      agent: holders[i % holders.length],
      role: ROLE,
      permissions: PERMISSIONS,
    }))
    const issue = async () => {
      const out = await issueRoleCredentials(home, requests)
      if (out.length !== BULK) throw new Error('bulk issuance returned too few credentials')
    }
    const signRaw = () => sign(null, vc.input, keys.privateKey)
    const {
      a: issuance,
      b: rawSign,
      cpuRatio: issuanceCpu,
    } = await paired(issue, signRaw, { rounds: 5, runMs: 800, batchA: BULK })
    report({
      name: `issueRoleCredentials, ${BULK} per call (Veramo keyManagerSign + register write, one transaction)`,
      value: issuance,
      reference: { label: 'node:crypto Ed25519 sign (cached KeyObject, same signing input)', value: rawSign },
      target: '>= 0.25',
      note: `ratio by CPU time per op: ${fmt(issuanceCpu)}`,
    })
  } finally {
    await home.close()
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
