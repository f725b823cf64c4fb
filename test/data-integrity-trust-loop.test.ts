/**
 * The trust loop with Data Integrity, across packages and with real parts: Acme's home (Veramo KMS, SQLite)
 * signs an eddsa-rdfc-2022 role credential carrying real Bitstring Status List entries; its agent answers
 * Globex's single-use challenge with a Data Integrity presentation; Globex decides with its trust bundle and a
 * status checker over Acme's published lists; a revocation is seen at the next publication. Also: a presentation
 * carrying the agent's vc+jwt role credential next to the Data Integrity one, and Digital Bazaar's verifier
 * accepting what Veramo's key manager signed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  buildRoleCredential,
  createChallenge,
  credentialsMigrations,
  dataIntegritySigner,
  documentLoader,
  envelopeCredential,
  homeChallengeStore,
  issueRoleCredential,
  ROLE_CREDENTIAL_DI_CONTEXTS,
  signCredentialJwt,
  signDataIntegrityCredential,
  signDataIntegrityPresentation,
  veramoSigner,
} from '@tessera/credentials'
import { type Decision, verifyPresentation } from '@tessera/credentials/offline'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import {
  createStatusCache,
  directorySource,
  enableStatusLists,
  publishHomeStatusLists,
  setCredentialStatus,
  statusChecker,
  statusMigrations,
} from '@tessera/status'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const DOMAIN = 'api.globex.example'
const ROLE = 'support-agent'
const migrations = [...credentialsMigrations, ...statusMigrations]

let root: string
let statusDir: string
let acme: Home
let globex: Home
let agentDid: string
let trust: TrustBundle

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-di-loop-'))
  statusDir = join(root, 'status')
  const acmeDid = (await initHome({ dir: join(root, 'acme'), org: 'Acme', env: {}, migrations })).did
  await initHome({ dir: join(root, 'globex'), org: 'Globex', env: {}, migrations })
  acme = await openHome({ dir: join(root, 'acme'), env: {}, migrations })
  enableStatusLists(acme)
  globex = await openHome({ dir: join(root, 'globex'), env: {}, migrations })
  agentDid = (await createAgentIdentity(acme, { name: 'Support bot', type: 'support-agent' })).did
  trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: acmeDid,
    role: ROLE,
    permissions: ['read:tickets/*'],
  })
})
afterAll(async () => {
  await acme?.close()
  await globex?.close()
  rmSync(root, { recursive: true, force: true })
})

/** Acme grants the role as a Data Integrity credential, with status entries allocated in the same transaction. */
async function grantDataIntegrity(id: string): Promise<Record<string, unknown>> {
  const signer = await dataIntegritySigner({ agent: acme.agent, did: acme.org.did })
  return acme.transaction(async () => {
    const credentialStatus = (await acme.hooks.allocateCredentialStatus?.({ credentialId: id })) ?? []
    expect(credentialStatus).toHaveLength(2)
    const now = new Date()
    const credential = buildRoleCredential({
      id,
      issuer: acme.org.did,
      subject: agentDid,
      role: ROLE,
      permissions: [{ action: 'read', resource: 'tickets/*' }],
      validFrom: now,
      validUntil: new Date(now.getTime() + 86_400_000),
      credentialStatus,
    })
    return signDataIntegrityCredential({
      credential: { ...credential, '@context': [...ROLE_CREDENTIAL_DI_CONTEXTS] },
      signer,
    })
  })
}

async function publish(): Promise<void> {
  const signer = await veramoSigner({ agent: acme.agent, did: acme.org.did })
  await publishHomeStatusLists(acme, {
    outDir: statusDir,
    signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
  })
}

/** The agent answers a fresh Globex challenge; Globex decides on read:tickets/42. */
async function presentAndDecide(credentials: unknown[]): Promise<Decision> {
  const { challenge } = await createChallenge(globex, { domain: DOMAIN })
  const holder = await dataIntegritySigner({ agent: acme.agent, did: agentDid })
  const presentation = await signDataIntegrityPresentation({
    presentation: {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiablePresentation'],
      holder: agentDid,
      verifiableCredential: credentials,
    },
    signer: holder,
    challenge,
    domain: DOMAIN,
  })
  return verifyPresentation({
    presentation,
    domain: DOMAIN,
    challenge,
    challenges: homeChallengeStore(globex),
    trust,
    status: statusChecker(
      createStatusCache({ sources: [directorySource(statusDir)], trust, maxStalenessMs: 60_000 }),
    ),
    request: { action: 'read', resource: 'tickets/42' },
  })
}

describe('Data Integrity trust loop (Veramo KMS, SQLite homes, Bitstring Status List)', () => {
  it('allows, then denies with ERR_STATUS_REVOKED once the revocation is published', async () => {
    const id = 'urn:uuid:5c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
    const credential = await grantDataIntegrity(id)
    await publish()
    const allowed = await presentAndDecide([credential])
    expect(allowed.errors).toEqual([])
    expect(allowed.allowed).toBe(true)
    expect(allowed.grantedBy).toMatchObject({ credentialId: id, role: ROLE, issuer: acme.org.did })
    expect(allowed.checks.filter((c) => c.check.startsWith('vc[0].credentialStatus'))).toHaveLength(2)

    await setCredentialStatus(acme, { credentialId: id, action: 'revoke' })
    await publish()
    const denied = await presentAndDecide([credential])
    expect(denied.allowed).toBe(false)
    expect(denied.errors.map((e) => e.code)).toEqual(['ERR_STATUS_REVOKED'])
    expect(denied.errors[0]?.credentialId).toBe(id)
  })

  it('a suspension denies (ERR_STATUS_SUSPENDED) and lifting it allows again', async () => {
    const id = 'urn:uuid:6d2b3c4e-5f60-4b7c-9d8e-0f1a2b3c4d5e'
    const credential = await grantDataIntegrity(id)
    await setCredentialStatus(acme, { credentialId: id, action: 'suspend' })
    await publish()
    expect((await presentAndDecide([credential])).errors.map((e) => e.code)).toEqual(['ERR_STATUS_SUSPENDED'])
    await setCredentialStatus(acme, { credentialId: id, action: 'reinstate' })
    await publish()
    expect((await presentAndDecide([credential])).allowed).toBe(true)
  })

  it("carries the agent's vc+jwt role credential (enveloped) next to a Data Integrity one", async () => {
    const issued = await issueRoleCredential(acme, {
      agent: agentDid,
      role: ROLE,
      permissions: [{ action: 'read', resource: 'tickets/*' }],
    })
    const di = await grantDataIntegrity('urn:uuid:7e3c4d5f-6071-4c8d-8e9f-1a2b3c4d5e6f')
    await publish()
    const decision = await presentAndDecide([envelopeCredential(issued.jwt), di])
    expect(decision.errors).toEqual([])
    expect(decision.allowed).toBe(true)
    expect(decision.credentials.map((c) => c.id)).toEqual([issued.id, di.id])
  })

  it("Digital Bazaar's verifier accepts a credential signed through Veramo's key manager", async () => {
    const fromCredentials = createRequire(new URL('../packages/credentials/package.json', import.meta.url))
    const load = (name: string) => import(pathToFileURL(fromCredentials.resolve(name)).href)
    const vc = await load('@digitalbazaar/vc')
    const { DataIntegrityProof } = await load('@digitalbazaar/data-integrity')
    const { cryptosuite } = await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')
    const credential = await grantDataIntegrity('urn:uuid:8f4d5e60-7182-4d9e-9fa0-2b3c4d5e6f70')
    const result = await vc.verifyCredential({
      credential,
      suite: new DataIntegrityProof({ cryptosuite }),
      documentLoader,
      checkStatus: async () => ({ verified: true }),
    })
    expect(result.error).toBeUndefined()
    expect(result.verified).toBe(true)
  })
})
