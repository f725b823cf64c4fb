import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditEvent, Home } from '@tessera/identity'
import { initHome, openHome } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { findIssuedCredential, issueCredential, listIssuedCredentials } from './issue-credential.js'
import { credentialsMigrations } from './migrations.js'
import { verifyCredential } from './verify.js'

const V2 = 'https://www.w3.org/ns/credentials/v2'
let root: string
let home: Home
const events: AuditEvent[] = []
let nextIndex = 0

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-issue-credential-'))
  const dir = join(root, 'home')
  await initHome({ dir, org: 'Acme', env: {}, migrations: credentialsMigrations })
  home = await openHome({ dir, env: {}, migrations: credentialsMigrations })
  home.hooks.record = async (batch) => {
    events.push(...batch)
  }
})
afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2'
const credential = (extra: Record<string, unknown> = {}) => ({
  '@context': [V2, EXAMPLES],
  type: ['VerifiableCredential', 'MembershipCredential'],
  issuer: home.org.did,
  credentialSubject: { id: 'did:example:alice', memberOf: 'Acme Club' },
  ...extra,
})

/** A status allocator standing in for @tessera/status (tested with real lists in test/server-*.test.ts). */
const allocateStatus = async (_request: { credentialId: string }) => {
  const index = String(nextIndex++)
  return ['revocation', 'suspension'].map((statusPurpose) => ({
    id: `https://acme.example/status/1-${statusPurpose}#${index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose,
    statusListIndex: index,
    statusListCredential: `https://acme.example/status/1-${statusPurpose}`,
  }))
}

describe('issueCredential', () => {
  it('issues a vc+jwt credential as an EnvelopedVerifiableCredential, with an id, validFrom and status entries', async () => {
    const now = new Date('2026-03-01T12:00:00Z')
    const issued = await issueCredential(home, {
      credential: credential(),
      format: 'application/vc+jwt',
      allocateStatus,
      now,
    })
    expect(issued.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    expect(issued.format).toBe('application/vc+jwt')
    expect(issued.verifiableCredential).toMatchObject({
      '@context': V2,
      type: 'EnvelopedVerifiableCredential',
    })
    const id = issued.verifiableCredential.id as string
    expect(id.startsWith('data:application/vc+jwt,')).toBe(true)
    const jwt = id.slice('data:application/vc+jwt,'.length)
    const checked = await verifyCredential({
      credential: jwt,
      now,
      status: { check: () => ({ ok: true }) },
    })
    expect(checked.errors).toEqual([])
    expect(checked.verified).toBe(true)
    const payload = checked.credential?.credential as Record<string, unknown>
    expect(payload).toMatchObject({
      id: issued.id,
      issuer: home.org.did,
      validFrom: '2026-03-01T12:00:00Z',
      credentialSubject: { id: 'did:example:alice', memberOf: 'Acme Club' },
    })
    expect(payload.credentialStatus).toEqual(issued.statusEntries)
    expect(issued.statusEntries.map((e) => e.statusPurpose)).toEqual(['revocation', 'suspension'])

    // recorded in the register, and audited with ids and a hash only
    expect(await findIssuedCredential(home, issued.id)).toEqual(issued)
    const event = events.find((e) => e.subject === issued.id)
    expect(event).toMatchObject({ actor: home.org.did, type: 'credential.issued' })
    expect(event?.data).toMatchObject({
      credentialId: issued.id,
      format: 'application/vc+jwt',
      types: ['VerifiableCredential', 'MembershipCredential'],
      credentialSubject: 'did:example:alice',
    })
    expect(JSON.stringify(event)).not.toContain(jwt)
  })

  it('issues a Data Integrity credential by default (eddsa-rdfc-2022), which the verifier accepts', async () => {
    const now = new Date('2026-03-01T12:00:00Z')
    const issued = await issueCredential(home, { credential: credential(), allocateStatus, now })
    expect(issued.format).toBe('application/vc')
    const vc = issued.verifiableCredential
    expect(vc).toMatchObject({
      id: issued.id,
      issuer: home.org.did,
      validFrom: '2026-03-01T12:00:00Z',
      credentialStatus: issued.statusEntries,
      proof: {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-rdfc-2022',
        proofPurpose: 'assertionMethod',
        verificationMethod: `${home.org.did}#${home.org.did.slice('did:key:'.length)}`,
      },
    })
    const checked = await verifyCredential({ credential: vc, now, status: { check: () => ({ ok: true }) } })
    expect(checked.errors).toEqual([])
    expect(checked.verified).toBe(true)
    const tampered = { ...vc, credentialSubject: { id: 'did:example:alice', memberOf: 'Evil Club' } }
    const refused = await verifyCredential({
      credential: tampered,
      now,
      status: { check: () => ({ ok: true }) },
    })
    expect(refused.verified).toBe(false)
    expect(refused.errors.map((e) => e.code)).toContain('ERR_PROOF_SIGNATURE')
  })

  it('refuses to sign a term no bundled context defines with Data Integrity (it would be dropped)', async () => {
    const undefinedTerm = credential({ '@context': [V2] })
    expect(await codeOf(issueCredential(home, { credential: undefinedTerm }))).toBe('ERR_JSONLD_INVALID')
    const unknownContext = credential({ '@context': [V2, 'https://example.org/my-context/v1'] })
    expect(await codeOf(issueCredential(home, { credential: unknownContext }))).toBe('ERR_CONTEXT_UNKNOWN')
    // vc+jwt secures the JSON as it is: no JSON-LD processing
    const jwt = await issueCredential(home, { credential: undefinedTerm, format: 'application/vc+jwt' })
    expect(jwt.format).toBe('application/vc+jwt')
  })

  it('keeps a given id and validFrom, appends its status entries to the ones given, or adds none when asked', async () => {
    const given = {
      id: 'https://acme.example/credentials/42',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'message',
    }
    const issued = await issueCredential(home, {
      credential: credential({
        id: 'https://acme.example/credentials/42',
        validFrom: '2026-01-01T00:00:00Z',
        credentialStatus: given,
      }),
      allocateStatus,
    })
    expect(issued.id).toBe('https://acme.example/credentials/42')
    expect(issued.validFrom).toBe('2026-01-01T00:00:00Z')
    const none = await issueCredential(home, { credential: credential(), allocateStatus, status: false })
    expect(none.statusEntries).toEqual([])
    // no allocator (a home without status lists): nothing is added, unless status is required
    expect((await issueCredential(home, { credential: credential() })).statusEntries).toEqual([])
    expect(await codeOf(issueCredential(home, { credential: credential(), status: true }))).toBe(
      'ERR_INPUT_INVALID',
    )
  })

  it('refuses an id issued before, a foreign issuer, a bad format, and leaves nothing behind', async () => {
    const before = (await listIssuedCredentials(home)).length
    const eventsBefore = events.length
    const duplicate = issueCredential(home, {
      credential: credential({ id: 'https://acme.example/credentials/42' }),
      allocateStatus,
    })
    expect(await codeOf(duplicate)).toBe('ERR_INPUT_INVALID')
    const foreign = issueCredential(home, {
      credential: credential({ issuer: 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG' }),
    })
    expect(await codeOf(foreign)).toBe('ERR_INPUT_INVALID')
    const format = issueCredential(home, { credential: credential(), format: 'application/jwt' as never })
    expect(await codeOf(format)).toBe('ERR_INPUT_INVALID')
    expect((await listIssuedCredentials(home)).length).toBe(before)
    expect(events.length).toBe(eventsBefore)
  })

  it('leaves no register row when the audit write fails (one transaction)', async () => {
    const before = (await listIssuedCredentials(home)).length
    const record = home.hooks.record
    home.hooks.record = async () => {
      throw new Error('audit log unavailable')
    }
    try {
      await expect(issueCredential(home, { credential: credential(), allocateStatus })).rejects.toThrow(
        'audit log unavailable',
      )
    } finally {
      home.hooks.record = record
    }
    expect((await listIssuedCredentials(home)).length).toBe(before)
  })
})
