import type { TesseraError } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { CREDENTIAL_INPUT_LIMITS, validateCredentialInput } from './credential-input.js'

const ISSUER = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const V2 = 'https://www.w3.org/ns/credentials/v2'

const valid = (): Record<string, unknown> => ({
  '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'],
  type: ['VerifiableCredential', 'ExampleDegreeCredential'],
  issuer: ISSUER,
  validFrom: '2026-01-01T00:00:00Z',
  validUntil: '2027-01-01T00:00:00+02:00',
  name: 'Example degree',
  description: [{ '@value': 'Un diplôme', '@language': 'fr' }],
  credentialSubject: { id: 'did:example:alice', degree: { type: 'BachelorDegree', name: 'Science' } },
})

/** Validate `credential` and assert the violation's code, rule and path. */
function rejects(credential: unknown, rule: string, path?: string): TesseraError {
  const err = expectError(() => validateCredentialInput(credential, { issuer: ISSUER }), 'ERR_INPUT_INVALID')
  expect(err.details?.rule).toBe(rule)
  if (path !== undefined) expect(err.details?.path).toBe(path)
  expect(String(err.details?.section)).toMatch(/^VC DM 2\.0 §/)
  return err
}

const without = (name: string) => {
  const c = valid()
  delete c[name]
  return c
}
const withMember = (name: string, value: unknown) => ({ ...valid(), [name]: value })

describe('validateCredentialInput (VC Data Model 2.0 rules for a credential to issue)', () => {
  it('accepts a well-formed credential, as an object or as JSON text, and returns it', () => {
    expect(validateCredentialInput(valid(), { issuer: ISSUER })).toEqual(valid())
    expect(validateCredentialInput(JSON.stringify(valid()), { issuer: ISSUER })).toEqual(valid())
    // optional members in their other accepted forms
    const other = {
      ...valid(),
      type: 'VerifiableCredential',
      issuer: { id: ISSUER, name: { '@value': 'Acme', '@direction': 'ltr' } },
      credentialSubject: [{ id: 'did:example:a' }, { name: 'b' }],
      credentialStatus: { id: 'https://example.org/status/1#3', type: 'BitstringStatusListEntry' },
      credentialSchema: [{ id: 'https://example.org/schema.json', type: 'JsonSchema' }],
      refreshService: { type: 'VerifiableCredentialRefreshService2021' },
      termsOfUse: [{ type: ['TrustFrameworkPolicy'] }],
      evidence: { id: 'https://example.org/evidence/1', type: ['Evidence'] },
      '@context': [V2, { ex: 'https://example.org/vocab#' }],
    }
    expect(validateCredentialInput(other, { issuer: ISSUER })).toEqual(other)
  })

  it('§4.3 @context: an array whose first item is the v2 context; other items URLs or objects', () => {
    rejects(without('@context'), '@context', '@context')
    rejects(withMember('@context', V2), '@context', '@context')
    rejects(withMember('@context', []), '@context', '@context')
    rejects(withMember('@context', ['https://www.w3.org/2018/credentials/v1', V2]), '@context', '@context[0]')
    rejects(withMember('@context', ['https://example.org/first', V2]), '@context', '@context[0]')
    rejects(withMember('@context', [V2, 'not a url']), '@context', '@context[1]')
    rejects(withMember('@context', [V2, 42]), '@context', '@context[1]')
  })

  it('§4.5 type: includes VerifiableCredential; strings only', () => {
    rejects(without('type'), 'type', 'type')
    rejects(withMember('type', ['ExampleDegreeCredential']), 'type', 'type')
    rejects(withMember('type', []), 'type', 'type')
    rejects(withMember('type', ['VerifiableCredential', 7]), 'type', 'type')
    rejects(withMember('type', ['VerifiableCredential', '']), 'type', 'type')
  })

  it('§4.4 id: a URL when present (also for credentialSubject.id)', () => {
    rejects(withMember('id', 'not a url'), 'id', 'id')
    rejects(withMember('id', 5), 'id', 'id')
    rejects(withMember('credentialSubject', { id: 'alice', name: 'Alice' }), 'id', 'credentialSubject.id')
    expect(
      validateCredentialInput(withMember('id', 'urn:uuid:0e7b4a36-3b1c-4bd4-8e4f-0b8c7ad5b2a1'), {
        issuer: ISSUER,
      }).id,
    ).toBe('urn:uuid:0e7b4a36-3b1c-4bd4-8e4f-0b8c7ad5b2a1')
  })

  it('§4.7 issuer: a URL or an object with a URL id, and it must be this issuer', () => {
    rejects(without('issuer'), 'issuer', 'issuer')
    rejects(withMember('issuer', 'acme'), 'issuer', 'issuer')
    rejects(withMember('issuer', { name: 'Acme' }), 'issuer', 'issuer.id')
    rejects(withMember('issuer', { id: ISSUER, name: 5 }), 'name', 'issuer.name')
    const other = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'
    const err = rejects(withMember('issuer', other), 'issuer.match', 'issuer')
    expect(err.message).toContain(ISSUER)
    rejects(withMember('issuer', { id: other }), 'issuer.match', 'issuer.id')
  })

  it('§4.8 credentialSubject: required, an object or a non-empty array of objects making claims', () => {
    rejects(without('credentialSubject'), 'credentialSubject', 'credentialSubject')
    rejects(withMember('credentialSubject', []), 'credentialSubject', 'credentialSubject')
    rejects(withMember('credentialSubject', 'did:example:alice'), 'credentialSubject', 'credentialSubject')
    rejects(
      withMember('credentialSubject', [{ id: 'did:example:a' }, 3]),
      'credentialSubject',
      'credentialSubject[1]',
    )
    rejects(withMember('credentialSubject', {}), 'credentialSubject', 'credentialSubject')
  })

  it('§4.9 validFrom/validUntil: dateTimeStamps with a time zone, validFrom <= validUntil', () => {
    rejects(withMember('validFrom', '2026-01-01T00:00:00'), 'validFrom', 'validFrom')
    rejects(withMember('validFrom', '2026-01-01'), 'validFrom', 'validFrom')
    rejects(withMember('validUntil', 1767225600), 'validUntil', 'validUntil')
    rejects(withMember('validUntil', '2026-02-30T00:00:00Z'), 'validUntil', 'validUntil')
    rejects(withMember('validUntil', '2025-12-31T23:59:59Z'), 'validityPeriod', 'validUntil')
    // equal instants are a valid (if short) period
    const same = { ...valid(), validFrom: '2026-01-01T02:00:00+02:00', validUntil: '2026-01-01T00:00:00Z' }
    expect(validateCredentialInput(same, { issuer: ISSUER })).toEqual(same)
  })

  it('§4.6 name/description: strings or language value objects', () => {
    rejects(withMember('name', 42), 'name', 'name')
    rejects(withMember('name', { value: 'x' }), 'name', 'name')
    rejects(
      withMember('description', [{ '@value': 'x', '@language': 'not a tag!' }]),
      'description',
      'description',
    )
    rejects(withMember('description', [{ '@value': 'x', '@direction': 'up' }]), 'description', 'description')
    rejects(withMember('description', []), 'description', 'description')
  })

  for (const member of ['credentialStatus', 'credentialSchema', 'refreshService', 'termsOfUse', 'evidence']) {
    it(`${member}: objects (or a non-empty array of objects) each with a type`, () => {
      const id = member === 'credentialSchema' ? { id: 'https://example.org/schema.json' } : {}
      rejects(withMember(member, { ...id }), member, `${member}.type`)
      rejects(withMember(member, [{ ...id, type: 'T' }, { ...id }]), member, `${member}[1].type`)
      rejects(withMember(member, 'https://example.org/x'), member, member)
      rejects(withMember(member, []), member, member)
      rejects(withMember(member, { type: 'T', id: 'not a url' }), member, `${member}.id`)
    })
  }

  it('§4.11 credentialSchema needs a URL id', () => {
    rejects(withMember('credentialSchema', { type: 'JsonSchema' }), 'credentialSchema', 'credentialSchema.id')
  })

  it('§4.12 proof: must not be present on a credential to issue', () => {
    rejects(withMember('proof', { type: 'DataIntegrityProof' }), 'proof', 'proof')
  })

  it('the credential must be a JSON object', () => {
    rejects(null, 'object')
    rejects([valid()], 'object')
    rejects('"a string"', 'object')
    rejects('{not json', 'json')
    rejects({ ...valid(), when: new Date() }, 'json', 'credential.when')
    rejects({ ...valid(), n: Number.NaN }, 'json', 'credential.n')
    rejects({ ...valid(), f: () => 1 }, 'json', 'credential.f')
  })

  it('caps size and depth before reading anything', () => {
    let deep: unknown = 'leaf'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    rejects({ ...valid(), deep }, 'size')
    rejects(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`, 'size')
    rejects({ ...valid(), big: 'x'.repeat(CREDENTIAL_INPUT_LIMITS.maxLength + 1) }, 'size')
    rejects('x'.repeat(CREDENTIAL_INPUT_LIMITS.maxLength + 1), 'size')
    rejects(
      { ...valid(), many: Array.from({ length: CREDENTIAL_INPUT_LIMITS.maxNodes + 1 }, () => 0) },
      'size',
    )
    // a caller may tighten the caps
    const err = expectError(
      () => validateCredentialInput(valid(), { issuer: ISSUER, limits: { maxDepth: 2 } }),
      'ERR_INPUT_INVALID',
    )
    expect(err.details?.rule).toBe('size')
  })

  it('reads own properties only: an inherited or __proto__ member is not a claim', () => {
    const parsed = JSON.parse(`{"__proto__": {"type": ["VerifiableCredential"]}, "@context": ["${V2}"]}`)
    rejects(parsed, 'type', 'type')
  })

  it('refuses a missing issuer option (a programmer error)', () => {
    expectError(() => validateCredentialInput(valid(), { issuer: '' }), 'ERR_INPUT_INVALID')
  })
})
