import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { Bitstring } from './bitstring.js'
import { decodeList } from './codec.js'
import { buildListCredential, parseListCredential } from './list-credential.js'

const MALFORMED: [string, string] = ['ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR']
const ISSUER = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const LIST_URL = 'https://issuer.example/status/1'
const VALID_FROM = new Date('2026-01-01T00:00:00Z')
const VALID_UNTIL = new Date('2026-01-02T00:00:00Z')

// Bitstring Status List v1.0 §2.2 Example 3 / Appendix A.2 (without its proof).
const SPEC_EXAMPLE = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: 'https://example.com/credentials/status/3',
  type: ['VerifiableCredential', 'BitstringStatusListCredential'],
  issuer: 'did:example:12345',
  validFrom: '2021-04-05T14:27:40Z',
  credentialSubject: {
    id: 'https://example.com/status/3#list',
    type: 'BitstringStatusList',
    statusPurpose: 'revocation',
    encodedList: 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA',
  },
}

const withTop = (patch: Record<string, unknown>) => ({ ...SPEC_EXAMPLE, ...patch })
const withSubject = (patch: Record<string, unknown>) => ({
  ...SPEC_EXAMPLE,
  credentialSubject: { ...SPEC_EXAMPLE.credentialSubject, ...patch },
})

describe('buildListCredential', () => {
  it('builds the unsigned VC 2.0 list credential of §2.2, ttl in the subject', () => {
    const bits = new Bitstring()
    bits.set(3, 1)
    const credential = buildListCredential({
      id: LIST_URL,
      issuer: ISSUER,
      statusPurpose: 'revocation',
      bitstring: bits,
      validFrom: VALID_FROM,
      validUntil: VALID_UNTIL,
      ttlMs: 300_000,
    })
    expect(credential).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: LIST_URL,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: ISSUER,
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2026-01-02T00:00:00Z',
      credentialSubject: {
        id: `${LIST_URL}#list`,
        type: 'BitstringStatusList',
        statusPurpose: 'revocation',
        encodedList: expect.stringMatching(/^u[A-Za-z0-9_-]+$/),
        ttl: 300_000,
      },
    })
    expect(decodeList(credential.credentialSubject.encodedList).get(3)).toBe(1)
  })

  it('states statusSize for multi-bit and message lists (§2.2)', () => {
    const base = { id: LIST_URL, issuer: ISSUER, validFrom: VALID_FROM }
    const two = buildListCredential({
      ...base,
      statusPurpose: 'message',
      bitstring: new Bitstring({ statusSize: 2 }),
    })
    expect(two.credentialSubject.statusSize).toBe(2)
    const oneBitMessage = buildListCredential({
      ...base,
      statusPurpose: 'message',
      bitstring: new Bitstring(),
    })
    expect(oneBitMessage.credentialSubject.statusSize).toBe(1)
    const plain = buildListCredential({
      ...base,
      statusPurpose: ['revocation', 'suspension'],
      bitstring: new Bitstring(),
    })
    expect(plain.credentialSubject.statusSize).toBeUndefined()
    expect(plain.credentialSubject.statusPurpose).toEqual(['revocation', 'suspension'])
    expect(plain.validUntil).toBeUndefined()
  })

  it('round-trips through parseListCredential', () => {
    const credential = buildListCredential({
      id: LIST_URL,
      issuer: ISSUER,
      statusPurpose: 'suspension',
      bitstring: new Bitstring(),
      validFrom: VALID_FROM,
      validUntil: VALID_UNTIL,
      ttlMs: 60_000,
    })
    expect(parseListCredential(JSON.parse(JSON.stringify(credential)))).toEqual({
      id: LIST_URL,
      issuer: ISSUER,
      statusPurpose: 'suspension',
      statusSize: undefined,
      encodedList: credential.credentialSubject.encodedList,
      ttlMs: 60_000,
      validFrom: VALID_FROM,
      validUntil: VALID_UNTIL,
    })
  })

  it('refuses bad arguments with ERR_INPUT_INVALID', () => {
    const base = {
      id: LIST_URL,
      issuer: ISSUER,
      statusPurpose: 'revocation' as const,
      bitstring: new Bitstring(),
      validFrom: VALID_FROM,
    }
    const cases = [
      { validUntil: VALID_FROM },
      { validUntil: new Date('2025-12-31T00:00:00Z') },
      { validFrom: new Date(Number.NaN) },
      { ttlMs: -1 },
      { ttlMs: 1.5 },
      { id: 'not a url' },
      { issuer: '' },
      { statusPurpose: [] },
      { statusPurpose: 'revoked' },
      { bitstring: new Uint8Array(16_384) },
    ]
    for (const patch of cases) {
      expectError(
        () => buildListCredential({ ...base, ...patch } as Parameters<typeof buildListCredential>[0]),
        'ERR_INPUT_INVALID',
        undefined,
      )
    }
  })
})

describe('parseListCredential', () => {
  it('parses the spec example (§2.2 Example 3)', () => {
    expect(parseListCredential(SPEC_EXAMPLE)).toEqual({
      id: 'https://example.com/credentials/status/3',
      issuer: 'did:example:12345',
      statusPurpose: 'revocation',
      statusSize: undefined,
      encodedList: SPEC_EXAMPLE.credentialSubject.encodedList,
      ttlMs: undefined,
      validFrom: new Date('2021-04-05T14:27:40Z'),
      validUntil: undefined,
    })
  })

  it('accepts an issuer object, several purposes, statusSize and no id', () => {
    const { id: _, ...noId } = SPEC_EXAMPLE
    const parsed = parseListCredential({
      ...noId,
      issuer: { id: 'did:example:12345', name: 'Example' },
      credentialSubject: {
        ...SPEC_EXAMPLE.credentialSubject,
        statusPurpose: ['message', 'x-custom'],
        statusSize: 2,
      },
    })
    expect(parsed).toMatchObject({
      id: undefined,
      issuer: 'did:example:12345',
      statusPurpose: ['message', 'x-custom'],
      statusSize: 2,
    })
  })

  const refusals: [name: string, payload: unknown][] = [
    ['not an object', 'credential'],
    ['an array', [SPEC_EXAMPLE]],
    ['no @context', withTop({ '@context': undefined })],
    ['a VC 1.1 @context', withTop({ '@context': ['https://www.w3.org/2018/credentials/v1'] })],
    ['a string @context', withTop({ '@context': 'https://www.w3.org/ns/credentials/v2' })],
    ['type without BitstringStatusListCredential', withTop({ type: ['VerifiableCredential'] })],
    ['type without VerifiableCredential', withTop({ type: ['BitstringStatusListCredential'] })],
    ['a string type', withTop({ type: 'BitstringStatusListCredential' })],
    ['an id that is not a URL', withTop({ id: 'list 3' })],
    ['no issuer', withTop({ issuer: undefined })],
    ['an issuer object without id', withTop({ issuer: { name: 'x' } })],
    ['a validFrom without a time zone', withTop({ validFrom: '2021-04-05T14:27:40' })],
    ['a validUntil that is no date', withTop({ validUntil: 'tomorrow' })],
    ['validFrom after validUntil', withTop({ validUntil: '2021-04-05T14:27:39Z' })],
    ['no credentialSubject', withTop({ credentialSubject: undefined })],
    ['several subjects', withTop({ credentialSubject: [SPEC_EXAMPLE.credentialSubject] })],
    ['a subject of another type', withSubject({ type: 'StatusList2021' })],
    ['no statusPurpose', withSubject({ statusPurpose: undefined })],
    ['an empty statusPurpose array', withSubject({ statusPurpose: [] })],
    ['an empty statusPurpose string', withSubject({ statusPurpose: '' })],
    ['a numeric statusPurpose', withSubject({ statusPurpose: 1 })],
    ['no encodedList', withSubject({ encodedList: undefined })],
    ['a numeric encodedList', withSubject({ encodedList: 7 })],
    ['a negative ttl', withSubject({ ttl: -1 })],
    ['a string ttl', withSubject({ ttl: '300000' })],
    ['a fractional ttl', withSubject({ ttl: 1.5 })],
    ['a zero statusSize', withSubject({ statusSize: 0 })],
    ['a message list without statusSize', withSubject({ statusPurpose: 'message' })],
  ]
  for (const [name, payload] of refusals) {
    it(`refuses ${name} with MALFORMED_VALUE_ERROR`, () => {
      expectError(() => parseListCredential(JSON.parse(JSON.stringify(payload ?? null))), ...MALFORMED)
    })
  }

  it('reads own properties only', () => {
    expectError(() => parseListCredential(Object.create(SPEC_EXAMPLE)), ...MALFORMED)
    const inheritedSubject = withTop({ credentialSubject: Object.create(SPEC_EXAMPLE.credentialSubject) })
    expectError(() => parseListCredential(inheritedSubject), ...MALFORMED)
  })
})
