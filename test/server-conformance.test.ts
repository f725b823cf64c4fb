/**
 * A VC Data Model 2.0 conformance set of Tessera's own, over HTTP: every malformed-credential rule is refused by
 * `POST /credentials/issue` with 400, its code and its rule; every securing mechanism issues and verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Served, serveFresh, unsignedCredential, V2 } from './server-helpers.js'

type ErrorReply = { error: { code: string; message: string; details?: { rule?: string; path?: string } } }

let s: Served
let issuer: string
beforeAll(async () => {
  s = await serveFresh()
  issuer = s.home.org.did
})
afterAll(async () => {
  await s.close()
})

const issue = (credential: unknown, options?: Record<string, unknown>) =>
  s.call('/credentials/issue', { body: { credential, ...(options === undefined ? {} : { options }) } })

const valid = () =>
  unsignedCredential(issuer, {
    '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'],
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2099-01-01T00:00:00Z',
  })
const without = (name: string) => {
  const c = valid()
  delete c[name]
  return c
}
const withMember = (name: string, value: unknown) => ({ ...valid(), [name]: value })

const MALFORMED: [string, () => unknown, string][] = [
  ['@context missing', () => without('@context'), '@context'],
  ['@context not an array', () => withMember('@context', V2), '@context'],
  [
    '@context in the wrong order',
    () => withMember('@context', ['https://www.w3.org/ns/credentials/examples/v2', V2]),
    '@context',
  ],
  ['@context item not a URL or object', () => withMember('@context', [V2, 'urn not a url']), '@context'],
  ['type missing', () => without('type'), 'type'],
  ['type without VerifiableCredential', () => withMember('type', ['MembershipCredential']), 'type'],
  ['credentialSubject missing', () => without('credentialSubject'), 'credentialSubject'],
  ['credentialSubject an empty array', () => withMember('credentialSubject', []), 'credentialSubject'],
  [
    'credentialSubject a string',
    () => withMember('credentialSubject', 'did:example:alice'),
    'credentialSubject',
  ],
  ['id not a URL', () => withMember('id', 'credential-1'), 'id'],
  ['issuer missing', () => without('issuer'), 'issuer'],
  ['issuer not a URL', () => withMember('issuer', 'Acme'), 'issuer'],
  ['issuer object without a URL id', () => withMember('issuer', { name: 'Acme' }), 'issuer'],
  [
    'issuer not this server',
    () => withMember('issuer', 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'),
    'issuer.match',
  ],
  ['validFrom without a time zone', () => withMember('validFrom', '2026-01-01T00:00:00'), 'validFrom'],
  ['validUntil not a date', () => withMember('validUntil', 'tomorrow'), 'validUntil'],
  ['validUntil before validFrom', () => withMember('validUntil', '2025-01-01T00:00:00Z'), 'validityPeriod'],
  ['name not a string or language value', () => withMember('name', 42), 'name'],
  [
    'description with a bad language value',
    () => withMember('description', { '@value': 'x', '@direction': 'up' }),
    'description',
  ],
  [
    'credentialStatus without type',
    () => withMember('credentialStatus', { id: 'https://example.org/s#1' }),
    'credentialStatus',
  ],
  [
    'credentialSchema without type',
    () => withMember('credentialSchema', { id: 'https://example.org/schema.json' }),
    'credentialSchema',
  ],
  [
    'credentialSchema without id',
    () => withMember('credentialSchema', { type: 'JsonSchema' }),
    'credentialSchema',
  ],
  [
    'refreshService without type',
    () => withMember('refreshService', { id: 'https://example.org/refresh' }),
    'refreshService',
  ],
  [
    'termsOfUse without type',
    () => withMember('termsOfUse', [{ id: 'https://example.org/tos' }]),
    'termsOfUse',
  ],
  [
    'evidence without type',
    () => withMember('evidence', { id: 'https://example.org/evidence/1' }),
    'evidence',
  ],
  ['a proof on input', () => withMember('proof', { type: 'DataIntegrityProof' }), 'proof'],
]

describe('POST /credentials/issue refuses every malformed credential (VC DM 2.0), with 400, a code and the rule', () => {
  for (const [name, make, rule] of MALFORMED) {
    it(name, async () => {
      const r = await issue(make())
      expect(r.status).toBe(400)
      const body = r.body as ErrorReply
      expect(body.error.code).toBe('ERR_INPUT_INVALID')
      expect(body.error.details?.rule).toBe(rule)
      expect(body.error.message.length).toBeGreaterThan(0)
      expect(r.text).not.toMatch(/\n\s+at /)
    })
  }

  it('nothing was issued or audited by the refused requests', async () => {
    const rows = (await s.home.dataSource.query(`SELECT count(*) AS n FROM "tessera_issued_credential"`)) as {
      n: number
    }[]
    expect(Number(rows[0]?.n)).toBe(0)
  })
})

describe('each securing mechanism issues and verifies', () => {
  it('vc+jwt: an EnvelopedVerifiableCredential that /credentials/verify accepts; tampered, it is refused', async () => {
    const r = await issue(valid(), { format: 'application/vc+jwt' })
    expect(r.status).toBe(201)
    const vc = (r.body as { verifiableCredential: { '@context': string; type: string; id: string } })
      .verifiableCredential
    expect(vc['@context']).toBe(V2)
    expect(vc.type).toBe('EnvelopedVerifiableCredential')
    expect(vc.id).toMatch(/^data:application\/vc\+jwt,[\w-]+\.[\w-]+\.[\w-]+$/)

    const verified = await s.call('/credentials/verify', { body: { verifiableCredential: vc }, token: null })
    expect(verified.status).toBe(200)
    const result = verified.body as {
      verified: boolean
      checks: { check: string; ok: boolean }[]
      warnings: { check: string }[]
      errors: unknown[]
      credential: { issuer: string; type: string[] }
    }
    expect(result.verified).toBe(true)
    expect(result.errors).toEqual([])
    expect(result.credential).toMatchObject({
      issuer,
      type: ['VerifiableCredential', 'MembershipCredential'],
    })
    // status entries were added and checked against this server's own list
    const statusChecks = result.checks.filter((c) => c.check.startsWith('vc.credentialStatus'))
    expect(statusChecks).toHaveLength(2)
    expect(statusChecks.every((c) => c.ok)).toBe(true)
    expect(result.warnings.map((w) => w.check)).toContain('trust')

    // the bare compact JWS is accepted too
    const jwt = vc.id.slice('data:application/vc+jwt,'.length)
    expect((await s.call('/credentials/verify', { body: { verifiableCredential: jwt } })).status).toBe(200)

    const [h, p, sig] = jwt.split('.') as [string, string, string]
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
    payload.credentialSubject.memberOf = 'Evil Corp'
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`
    const refused = await s.call('/credentials/verify', { body: { verifiableCredential: forged } })
    expect(refused.status).toBe(400)
    const bad = refused.body as { verified: boolean; errors: { code: string }[] }
    expect(bad.verified).toBe(false)
    expect(bad.errors.map((e) => e.code)).toContain('ERR_JWS_SIGNATURE')
  })

  it('Data Integrity (the default): an eddsa-rdfc-2022 proof that verifies; tampered or re-labelled, it is refused', async () => {
    const r = await issue(valid())
    expect(r.status).toBe(201)
    const vc = (
      r.body as { verifiableCredential: Record<string, unknown> & { proof: Record<string, unknown> } }
    ).verifiableCredential
    expect(vc.proof).toMatchObject({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      proofPurpose: 'assertionMethod',
      verificationMethod: `${issuer}#${issuer.slice('did:key:'.length)}`,
    })
    expect(vc.proof.proofValue).toMatch(/^z[1-9A-HJ-NP-Za-km-z]+$/)
    const ok = await s.call('/credentials/verify', { body: { verifiableCredential: vc } })
    expect(ok.status).toBe(200)
    expect((ok.body as { verified: boolean }).verified).toBe(true)

    const codes = async (credential: unknown) => {
      const refused = await s.call('/credentials/verify', { body: { verifiableCredential: credential } })
      expect(refused.status).toBe(400)
      return (refused.body as { errors: { code: string }[] }).errors.map((e) => e.code)
    }
    expect(await codes({ ...vc, validUntil: '2100-01-01T00:00:00Z' })).toContain('ERR_PROOF_SIGNATURE')
    expect(await codes({ ...vc, proof: { ...vc.proof, cryptosuite: 'ecdsa-rdfc-2019' } })).toContain(
      'ERR_PROOF_CRYPTOSUITE',
    )
    expect(await codes({ ...vc, proof: { ...vc.proof, proofPurpose: 'authentication' } })).toContain(
      'ERR_PROOF_PURPOSE',
    )
    const { proof: _proof, ...unsigned } = vc
    expect((await codes(unsigned)).length).toBeGreaterThan(0)
  })

  it('Data Integrity signs only what JSON-LD keeps: an undefined term or an unbundled context is a 400 with its code', async () => {
    const undefinedTerm = await issue({ ...valid(), '@context': [V2] })
    expect(undefinedTerm.status).toBe(400)
    expect((undefinedTerm.body as ErrorReply).error.code).toBe('ERR_JSONLD_INVALID')
    const unbundled = await issue({ ...valid(), '@context': [V2, 'https://example.org/contexts/unknown/v1'] })
    expect(unbundled.status).toBe(400)
    expect((unbundled.body as ErrorReply).error.code).toBe('ERR_CONTEXT_UNKNOWN')
    // the same JSON secured as vc+jwt is fine: VC-JOSE-COSE signs the JSON as it is
    expect((await issue({ ...valid(), '@context': [V2] }, { format: 'application/vc+jwt' })).status).toBe(201)
  })

  it('an expired or not-yet-valid credential is issued as asked and then fails verification with its code', async () => {
    const expired = await issue(withMember('validUntil', '2026-01-02T00:00:00Z'), {
      format: 'application/vc+jwt',
    })
    expect(expired.status).toBe(201)
    const r = await s.call('/credentials/verify', {
      body: {
        verifiableCredential: (expired.body as { verifiableCredential: unknown }).verifiableCredential,
      },
    })
    expect(r.status).toBe(400)
    expect((r.body as { errors: { code: string }[] }).errors.map((e) => e.code)).toContain('ERR_VC_EXPIRED')
    const future = await issue(
      { ...valid(), validFrom: '2098-01-01T00:00:00Z', validUntil: '2099-01-01T00:00:00Z' },
      { format: 'application/vc+jwt' },
    )
    const f = await s.call('/credentials/verify', {
      body: { verifiableCredential: (future.body as { verifiableCredential: unknown }).verifiableCredential },
    })
    expect(f.status).toBe(400)
    expect((f.body as { errors: { code: string }[] }).errors.map((e) => e.code)).toContain(
      'ERR_VC_NOT_YET_VALID',
    )
  })

  it('without status entries when asked, and an id kept when given (a repeated id is refused)', async () => {
    const r = await issue(withMember('id', 'https://acme.example/credentials/7'), {
      format: 'application/vc+jwt',
      credentialStatus: false,
    })
    expect(r.status).toBe(201)
    const jwt = (r.body as { verifiableCredential: { id: string } }).verifiableCredential.id.split(
      ',',
    )[1] as string
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())
    expect(payload.id).toBe('https://acme.example/credentials/7')
    expect(payload.credentialStatus).toBeUndefined()
    const again = await issue(withMember('id', 'https://acme.example/credentials/7'), {
      format: 'application/vc+jwt',
    })
    expect(again.status).toBe(400)
    expect((again.body as ErrorReply).error.details?.rule).toBe('id.unique')
  })
})
