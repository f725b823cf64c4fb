/**
 * Status through the server: credentials issued over HTTP carry BitstringStatusListEntries pointing at the
 * server's own `GET /status/{id}`; `POST /credentials/status` flips a bit, the list is re-published at once
 * (an independent verifier fetching it over HTTP sees the flip), and `/credentials/verify` then refuses.
 */
import { listAudit } from '@tessera/audit'
import { issueRoleCredential } from '@tessera/credentials'
import { createAgentIdentity } from '@tessera/identity'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { createServer } from '@tessera/server'
import { createStatusCache, httpSource, parseListCredential, statusChecker } from '@tessera/status'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Served, serveFresh, unsignedCredential } from './server-helpers.js'

type Entry = { statusPurpose: string; statusListCredential: string; statusListIndex: string }
type ErrorReply = { error: { code: string } }

let s: Served
let trust: TrustBundle
beforeAll(async () => {
  s = await serveFresh()
  trust = addTrust(emptyTrustBundle(), { org: 'Acme', issuer: s.home.org.did })
})
afterAll(async () => {
  await s.close()
})

async function issue(): Promise<{ vc: { id: string }; id: string; entries: Entry[] }> {
  const r = await s.call('/credentials/issue', {
    body: { credential: unsignedCredential(s.home.org.did), options: { format: 'application/vc+jwt' } },
  })
  expect(r.status).toBe(201)
  const vc = (r.body as { verifiableCredential: { id: string } }).verifiableCredential
  const payload = JSON.parse(
    Buffer.from(vc.id.split(',')[1]?.split('.')[1] as string, 'base64url').toString(),
  )
  return { vc, id: payload.id, entries: payload.credentialStatus }
}

/** What a verifier in another organisation sees: the list fetched over HTTP now, verified, then the entry read. */
async function seenFromOutside(entry: Entry, credentialId: string) {
  const cache = createStatusCache({ sources: [httpSource({ allowHttp: true })], trust, maxStalenessMs: 0 })
  return statusChecker(cache).check({ entry, credentialId, issuer: s.home.org.did })
}

const verify = (vc: unknown) =>
  s.call('/credentials/verify', { body: { verifiableCredential: vc }, token: null })
const setStatus = (
  credentialId: string,
  statusPurpose: string,
  status: boolean,
  extra: Record<string, unknown> = {},
) =>
  s.call('/credentials/status', {
    body: {
      credentialId,
      credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose, ...extra },
      status,
    },
  })
const codes = (body: unknown) => (body as { errors: { code: string }[] }).errors.map((e) => e.code)

describe('status lists hosted by the server', () => {
  it('entries point at GET /status/{id}, which serves the signed BitstringStatusListCredential', async () => {
    const { entries } = await issue()
    expect(entries.map((e) => e.statusPurpose)).toEqual(['revocation', 'suspension'])
    for (const entry of entries) {
      expect(entry.statusListCredential.startsWith(`${s.url}/status/`)).toBe(true)
      const r = await fetch(entry.statusListCredential, { headers: { accept: 'application/vc+jwt' } })
      expect(r.status).toBe(200)
      expect(r.headers.get('content-type')).toContain('application/vc+jwt')
      const jwt = await r.text()
      const payload = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())
      expect(payload.id).toBe(entry.statusListCredential)
      expect(payload.issuer).toBe(s.home.org.did)
      expect(parseListCredential(payload).statusPurpose).toBe(entry.statusPurpose)
    }
    const missing = await s.call('/status/9-revocation')
    expect(missing.status).toBe(404)
    expect((missing.body as ErrorReply).error.code).toBe('ERR_NOT_FOUND')
    const odd = await s.call('/status/..%2Fsecret')
    expect(odd.status).toBe(404)
  })

  it('revocation: the flip is seen through GET /status/{id}, then /credentials/verify refuses; it is final', async () => {
    const { vc, id, entries } = await issue()
    const revocation = entries[0] as Entry
    expect((await seenFromOutside(revocation, id)).ok).toBe(true)
    expect((await verify(vc)).status).toBe(200)

    const r = await setStatus(id, 'revocation', true, {
      statusListCredential: revocation.statusListCredential,
      statusListIndex: revocation.statusListIndex,
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ credentialId: id, status: true, revoked: true, changed: true })

    const outside = await seenFromOutside(revocation, id)
    expect(outside.ok).toBe(false)
    expect(outside.ok === false && outside.code).toBe('ERR_STATUS_REVOKED')
    const refused = await verify(vc)
    expect(refused.status).toBe(400)
    expect(codes(refused.body)).toEqual(['ERR_STATUS_REVOKED'])

    const again = await setStatus(id, 'revocation', true)
    expect(again.body).toMatchObject({ changed: false, revoked: true })
    const undo = await setStatus(id, 'revocation', false)
    expect(undo.status).toBe(409)
    expect((undo.body as ErrorReply).error.code).toBe('ERR_STATUS_REVOKED_FINAL')
    const unsuspend = await setStatus(id, 'suspension', false)
    expect(unsuspend.status).toBe(409)
  })

  it('suspension: refused while suspended, verified again once reinstated', async () => {
    const { vc, id, entries } = await issue()
    expect((await setStatus(id, 'suspension', true)).body).toMatchObject({ suspended: true, changed: true })
    const suspension = entries[1] as Entry
    const outside = await seenFromOutside(suspension, id)
    expect(outside.ok === false && outside.code).toBe('ERR_STATUS_SUSPENDED')
    expect(codes((await verify(vc)).body)).toEqual(['ERR_STATUS_SUSPENDED'])
    expect((await setStatus(id, 'suspension', false)).body).toMatchObject({ suspended: false, changed: true })
    expect((await seenFromOutside(suspension, id)).ok).toBe(true)
    expect((await verify(vc)).status).toBe(200)
    // clearing a revocation bit that was never set changes nothing
    expect((await setStatus(id, 'revocation', false)).body).toMatchObject({ revoked: false, changed: false })
  })

  it('refuses an unknown credential (404) and a status entry that is not the credential’s (400)', async () => {
    const unknown = await setStatus('urn:uuid:00000000-0000-4000-8000-000000000000', 'revocation', true)
    expect(unknown.status).toBe(404)
    expect((unknown.body as ErrorReply).error.code).toBe('ERR_CREDENTIAL_NOT_FOUND')
    const { id, entries } = await issue()
    const index = Number((entries[0] as Entry).statusListIndex)
    const wrongIndex = await setStatus(id, 'revocation', true, {
      statusListIndex: String(index === 0 ? 1 : index - 1),
    })
    expect(wrongIndex.status).toBe(400)
    expect((wrongIndex.body as ErrorReply).error.code).toBe('ERR_INPUT_INVALID')
    const wrongList = await setStatus(id, 'revocation', true, {
      statusListCredential: `${s.url}/status/1-suspension`,
    })
    expect(wrongList.status).toBe(400)
    // nothing changed
    expect((await seenFromOutside(entries[0] as Entry, id)).ok).toBe(true)
  })

  it('works by id for role credentials issued by the home too (their entries point at the server)', async () => {
    const agent = await createAgentIdentity(s.home, { name: 'bot', type: 'support-agent' })
    const role = await issueRoleCredential(s.home, {
      agent: agent.did,
      role: 'support-agent',
      permissions: [{ action: 'read', resource: 'tickets/*' }],
    })
    const entry = role.statusEntries[0] as unknown as Entry
    expect(entry.statusListCredential.startsWith(`${s.url}/status/`)).toBe(true)
    expect((await setStatus(role.id, 'revocation', true)).status).toBe(200)
    const outside = await seenFromOutside(entry, role.id)
    expect(outside.ok === false && outside.code).toBe('ERR_STATUS_REVOKED')
    expect(codes((await verify(role.jwt)).body)).toContain('ERR_STATUS_REVOKED')
  })

  it('audits every issuance, status change, publication and verification', async () => {
    const types = new Set((await listAudit(s.home)).map((e) => e.type))
    for (const type of [
      'credential.issued',
      'status.changed',
      'status.published',
      'credential.verified',
      'role.granted',
    ]) {
      expect(types.has(type as never), type).toBe(true)
    }
    const verified = (await listAudit(s.home, { type: 'credential.verified' })).map((e) => e.data.outcome)
    expect(verified).toContain('verified')
    expect(verified).toContain('rejected')
  })
})

describe('a home whose credentials already point elsewhere', () => {
  it('keeps its status base URL, warns, and still serves each list by name', async () => {
    // the first server set the base URL to its own address; a second one on another port must not change it
    const second = createServer({ home: s.home })
    try {
      const listening = await second.listen({ insecureHttp: true })
      expect(listening.status.changed).toBe(false)
      expect(listening.status.baseUrl).toBe(`${s.url}/status`)
      expect(listening.status.warning).toContain('already point to status lists')
      const r = await fetch(`${listening.url}/status/1-revocation`)
      expect(r.status).toBe(200)
      const payload = JSON.parse(
        Buffer.from((await r.text()).split('.')[1] as string, 'base64url').toString(),
      )
      expect(payload.id).toBe(`${s.url}/status/1-revocation`)
    } finally {
      await second.close()
    }
  })
})
