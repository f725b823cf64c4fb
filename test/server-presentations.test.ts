/**
 * Presentations through the server, across two organisations: Acme issues a role credential to its agent and
 * publishes its status lists to a folder; Globex serves its home with a trust bundle that trusts Acme for the
 * role, reading Acme's lists from that folder. The agent answers a challenge from `POST /challenges`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listAudit } from '@tessera/audit'
import {
  createPresentation,
  type Decision,
  dataIntegritySigner,
  envelopeCredential,
  issueRoleCredential,
  signCredentialJwt,
  signDataIntegrityPresentation,
  veramoSigner,
} from '@tessera/credentials'
import { createAgentIdentity, type Home } from '@tessera/identity'
import { addTrust, emptyTrustBundle } from '@tessera/policy'
import { directorySource, publishHomeStatusLists, setCredentialStatus } from '@tessera/status'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshHome, type Served, serveFresh, V2 } from './server-helpers.js'

let acme: Home
let closeAcme: () => Promise<void>
let globex: Served
let agent: string
let credential: string
let credentialId: string
let published: string

async function publish(): Promise<void> {
  const signer = await veramoSigner({ agent: acme.agent, did: acme.org.did })
  await publishHomeStatusLists(acme, {
    outDir: published,
    ttlMs: 1000, // verifiers refresh a list after a second (the cache's floor): suspensions show quickly
    signCredential: (c) => signCredentialJwt({ credential: { ...c }, signer }),
  })
}

beforeAll(async () => {
  ;({ home: acme, cleanup: closeAcme } = await freshHome('Acme'))
  published = mkdtempSync(join(tmpdir(), 'tessera-server-published-'))
  agent = (await createAgentIdentity(acme, { name: 'Helpdesk', type: 'support-agent' })).did
  const issued = await issueRoleCredential(acme, {
    agent,
    role: 'support-agent',
    permissions: [
      { action: 'read', resource: 'tickets/*' },
      { action: 'delete', resource: 'tickets/*' },
    ],
  })
  credential = issued.jwt
  credentialId = issued.id
  await publish()
  const trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: acme.org.did,
    role: 'support-agent',
    permissions: ['read:tickets/*', 'write:tickets/*'],
  })
  globex = await serveFresh({
    org: 'Globex',
    trust,
    statusSources: [directorySource(published)],
    domains: ['api.globex.example'],
  })
})
afterAll(async () => {
  await globex.close()
  await closeAcme()
  rmSync(published, { recursive: true, force: true })
})

async function challenge(): Promise<string> {
  const r = await globex.call('/challenges', { method: 'POST', token: null })
  expect(r.status).toBe(200)
  expect((r.body as { domain: string }).domain).toBe('api.globex.example')
  return (r.body as { challenge: string }).challenge
}

const present = (nonce: string, domain = 'api.globex.example') =>
  createPresentation(acme, { holder: agent, credentials: [credential], challenge: nonce, domain })

type Result = {
  verified: boolean
  errors: { code: string }[]
  holder?: string
  credentials: { id: string }[]
}

describe('POST /presentations/verify', () => {
  it('verifies a vp+jwt bound to its challenge, and every credential in it; the challenge is single-use', async () => {
    const nonce = await challenge()
    const vp = await present(nonce)
    const r = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: vp, options: { challenge: nonce, domain: 'api.globex.example' } },
      token: null,
    })
    expect(r.status).toBe(200)
    const result = r.body as Result & { checks: { check: string; ok: boolean }[] }
    expect(result.verified).toBe(true)
    expect(result.holder).toBe(agent)
    expect(result.credentials.map((c) => c.id)).toEqual([credentialId])
    const names = result.checks.map((c) => c.check)
    for (const name of [
      'vp.signature',
      'vp.nonce',
      'vp.aud',
      'vc[0].signature',
      'vc[0].holder',
      'challenge.single-use',
    ]) {
      expect(names).toContain(name)
    }
    expect(names.filter((n) => n.startsWith('vc[0].credentialStatus'))).toHaveLength(2)

    const replay = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: vp, options: { challenge: nonce } },
    })
    expect(replay.status).toBe(400)
    expect((replay.body as Result).errors.map((e) => e.code)).toEqual(['ERR_CHALLENGE_USED'])
  })

  it('accepts an EnvelopedVerifiablePresentation', async () => {
    const nonce = await challenge()
    const vp = await present(nonce)
    const enveloped = {
      '@context': V2,
      type: 'EnvelopedVerifiablePresentation',
      id: `data:application/vp+jwt,${vp}`,
    }
    const r = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: enveloped, options: { challenge: nonce } },
    })
    expect(r.status).toBe(200)
    expect((r.body as Result).verified).toBe(true)
  })

  it('verifies a Data Integrity presentation (eddsa-rdfc-2022, challenge and domain in its proof) carrying an enveloped vc+jwt', async () => {
    const nonce = await challenge()
    const signer = await dataIntegritySigner({ agent: acme.agent, did: agent })
    const vp = await signDataIntegrityPresentation({
      presentation: {
        '@context': [V2],
        type: ['VerifiablePresentation'],
        holder: agent,
        verifiableCredential: [envelopeCredential(credential)],
      },
      signer,
      challenge: nonce,
      domain: 'api.globex.example',
    })
    const r = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: vp, options: { challenge: nonce } },
    })
    expect((r.body as Result).errors).toEqual([])
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ verified: true, holder: agent })
    // tampered after signing: refused
    const tampered = { ...vp, holder: 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG' }
    const refused = await globex.call('/presentations/verify', { body: { verifiablePresentation: tampered } })
    expect(refused.status).toBe(400)
    expect((refused.body as Result).verified).toBe(false)
  })

  it('verifies an unsigned presentation (VC-API "presentation"), without a challenge, binding it to no holder', async () => {
    const unsigned = {
      '@context': [V2],
      type: ['VerifiablePresentation'],
      verifiableCredential: [envelopeCredential(credential)],
    }
    const r = await globex.call('/presentations/verify', { body: { presentation: unsigned } })
    expect((r.body as Result).errors).toEqual([])
    expect(r.status).toBe(200)
    const result = r.body as Result & { warnings: { check: string }[] }
    expect(result.verified).toBe(true)
    expect(result.holder).toBeUndefined()
    expect(result.warnings.map((w) => w.check)).toContain('holder')
    // with a challenge, only a proof can answer it
    const nonce = await challenge()
    const asked = await globex.call('/presentations/verify', {
      body: { presentation: unsigned, options: { challenge: nonce } },
    })
    expect(asked.status).toBe(400)
    expect((asked.body as Result).errors.map((e) => e.code)).toEqual(['ERR_VP_UNSIGNED'])
    // sent as a verifiablePresentation, a proof is required
    const asVerifiable = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: unsigned },
    })
    expect((asVerifiable.body as Result).errors.map((e) => e.code)).toEqual(['ERR_VP_UNSIGNED'])
  })

  it('refuses a challenge it never issued, a presentation for another domain, and a domain not its own', async () => {
    const foreign = await present('a-challenge-from-somewhere-else')
    const unknown = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: foreign, options: { challenge: 'a-challenge-from-somewhere-else' } },
    })
    expect(unknown.status).toBe(400)
    expect((unknown.body as Result).errors.map((e) => e.code)).toContain('ERR_CHALLENGE_UNKNOWN')

    const elsewhere = await present(await challenge(), 'api.initech.example')
    const wrongAud = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: elsewhere },
    })
    expect(wrongAud.status).toBe(400)
    expect((wrongAud.body as Result).errors.map((e) => e.code)).toContain('ERR_DOMAIN_MISMATCH')

    const notOurs = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: elsewhere, options: { domain: 'api.initech.example' } },
    })
    expect(notOurs.status).toBe(400)
    expect((notOurs.body as { error: { code: string } }).error.code).toBe('ERR_INPUT_INVALID')
  })

  it('a forged or malformed presentation is a result with codes, not an exception', async () => {
    const vp = await present(await challenge())
    const [h, p] = vp.split('.') as [string, string]
    const forged = await globex.call('/presentations/verify', {
      body: { verifiablePresentation: `${h}.${p}.${'A'.repeat(86)}` },
    })
    expect(forged.status).toBe(400)
    expect((forged.body as Result).errors.map((e) => e.code)).toContain('ERR_JWS_SIGNATURE')
    const junk = await globex.call('/presentations/verify', { body: { verifiablePresentation: 'not a jws' } })
    expect(junk.status).toBe(400)
    expect((junk.body as Result).verified).toBe(false)
    expect((junk.body as Result).errors[0]?.code).toMatch(/^ERR_/)
  })
})

describe('POST /authorize: the trust-loop Decision under the server’s trust bundle', () => {
  const authorize = (presentation: unknown, action: string, nonce?: string) =>
    globex.call('/authorize', {
      body: {
        presentation,
        action,
        resource: 'tickets/42',
        ...(nonce === undefined ? {} : { challenge: nonce }),
      },
      token: null,
    })

  it('allows what the credential grants within the ceiling, denies the rest, and audits both', async () => {
    const nonce = await challenge()
    const allowed = await authorize(await present(nonce), 'read', nonce)
    expect(allowed.status).toBe(200)
    const decision = allowed.body as Decision
    expect(decision.allowed).toBe(true)
    expect(decision.grantedBy).toMatchObject({ credentialId, role: 'support-agent', issuer: acme.org.did })
    expect(decision.credentials[0]?.org).toBe('Acme')

    // delete is granted by Acme but above Globex's ceiling for the role
    const denied = await authorize(await present(await challenge()), 'delete')
    expect(denied.status).toBe(200)
    expect((denied.body as Decision).allowed).toBe(false)
    expect((denied.body as Decision).errors.map((e) => e.code)).toEqual(['ERR_POLICY_DENIED'])

    const log = await listAudit(globex.home)
    const decisions = log.filter((e) => e.type === 'access.allowed' || e.type === 'access.denied')
    expect(decisions.map((e) => e.type).slice(-2)).toEqual(['access.allowed', 'access.denied'])
    expect(decisions.at(-2)?.data).toMatchObject({
      outcome: 'allowed',
      action: 'read',
      resource: 'tickets/42',
    })
    expect(decisions.at(-2)?.data.trustBundleHash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(decisions)).not.toContain(credential)
  })

  it('decides on a Data Integrity presentation too; never on an unsigned one', async () => {
    const nonce = await challenge()
    const signer = await dataIntegritySigner({ agent: acme.agent, did: agent })
    const presentation = {
      '@context': [V2],
      type: ['VerifiablePresentation'],
      holder: agent,
      verifiableCredential: [envelopeCredential(credential)],
    }
    const vp = await signDataIntegrityPresentation({
      presentation,
      signer,
      challenge: nonce,
      domain: 'api.globex.example',
    })
    const allowed = (await authorize(vp, 'read', nonce)).body as Decision
    expect(allowed.errors).toEqual([])
    expect(allowed.allowed).toBe(true)
    const unsigned = (await authorize(presentation, 'read')).body as Decision
    expect(unsigned.allowed).toBe(false)
    expect(unsigned.errors.map((e) => e.code)).toEqual(['ERR_VP_UNSIGNED'])
  })

  it('denies once Acme suspends the credential and publishes, allows again once reinstated', async () => {
    /** Ask until the server's status refresh (the lists' ttl) brings the expected answer; bounded. */
    const until = async (allowed: boolean): Promise<Decision> => {
      const deadline = Date.now() + 20_000
      for (;;) {
        const decision = (await authorize(await present(await challenge()), 'read')).body as Decision
        if (decision.allowed === allowed || Date.now() > deadline) return decision
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    await setCredentialStatus(acme, { credentialId, action: 'suspend' })
    await publish()
    const denied = await until(false)
    expect(denied.allowed).toBe(false)
    expect(denied.errors.map((e) => e.code)).toEqual(['ERR_STATUS_SUSPENDED'])
    await setCredentialStatus(acme, { credentialId, action: 'reinstate' })
    await publish()
    expect((await until(true)).allowed).toBe(true)
  })

  it('refuses a bad request with 400 and a code', async () => {
    const r = await globex.call('/authorize', {
      body: { presentation: 'a.b.c', action: 'read:*', resource: 'x' },
    })
    expect(r.status).toBe(400)
    expect((r.body as { error: { code: string } }).error.code).toBe('ERR_PERMISSION_INVALID')
    const missing = await globex.call('/authorize', { body: { presentation: 'a.b.c', action: 'read' } })
    expect(missing.status).toBe(400)
    expect((missing.body as { error: { code: string } }).error.code).toBe('ERR_INPUT_INVALID')
  })
})
