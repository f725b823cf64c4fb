import { generateKeyPairSync, KeyObject } from 'node:crypto'
import { type CheckResult, InputError, TesseraError } from '@tessera/core'
import { CompactSign, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  checkCredentialClaims,
  checkPresentationClaims,
  extractEnvelopedCredentials,
  parseDateTimeStamp,
  CREDENTIALS_V2_CONTEXT as V2,
} from './claims.js'
import { decodeCompactJws, verifyJwsSignature } from './jws.js'
import { DEFAULT_LIMITS } from './limits.js'

function thrown(fn: () => unknown): TesseraError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return err as TesseraError
  }
  throw new Error('expected a TesseraError')
}
const codeOf = (fn: () => unknown): string => thrown(fn).code

/** `check -> code` of every failed check. */
function failures(results: CheckResult[]): Record<string, string | undefined> {
  return Object.fromEntries(results.filter((r) => !r.ok).map((r) => [r.check, r.code]))
}

const NOW = new Date('2026-06-01T12:00:00Z')
const NOW_SEC = NOW.getTime() / 1000
const iso = (offsetSec: number) => new Date(NOW.getTime() + offsetSec * 1000).toISOString()

const ISSUER = 'did:key:z6MkIssuer'
const AGENT = 'did:key:z6MkAgent'
const credential = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  '@context': [V2, 'https://tessera.example/ns/v1'],
  id: 'urn:uuid:0b2f7a2e-5d1c-4d5e-9c43-7d4c1f6c1e01',
  type: ['VerifiableCredential', 'AgentRoleCredential'],
  issuer: ISSUER,
  validFrom: '2026-01-01T00:00:00Z',
  validUntil: '2027-01-01T00:00:00Z',
  credentialSubject: { id: AGENT, role: 'support-agent' },
  ...extra,
})
const checkVc = (payload: unknown, options: { clockToleranceSec?: number; now?: Date } = {}) =>
  checkCredentialClaims(payload, { now: NOW, ...options })

describe('checkCredentialClaims: structure', () => {
  it('passes a well-formed credential and lists every check it ran', () => {
    const results = checkVc(credential())
    expect(failures(results)).toEqual({})
    expect(results.map((r) => r.check)).toEqual([
      'vc.@context',
      'vc.type',
      'vc.claims',
      'vc.id',
      'vc.issuer',
      'vc.credentialSubject',
      'vc.validFrom',
      'vc.validUntil',
      'vc.validityPeriod',
    ])
  })

  it('passes with the JWT claims that agree with the credential, and an issuer object', () => {
    const vc = credential({
      issuer: { id: ISSUER, name: 'Acme' },
      iss: ISSUER,
      sub: AGENT,
      jti: 'urn:uuid:0b2f7a2e-5d1c-4d5e-9c43-7d4c1f6c1e01',
      iat: NOW_SEC - 10,
      exp: NOW_SEC + 3600,
    })
    const results = checkVc(vc)
    expect(failures(results)).toEqual({})
    expect(results.map((r) => r.check)).toEqual(
      expect.arrayContaining(['vc.iss', 'vc.sub', 'vc.jti', 'vc.iat', 'vc.exp']),
    )
  })

  it('uses the check prefix', () => {
    expect(checkCredentialClaims(credential(), { now: NOW, checkPrefix: 'vc[2]' })[0]?.check).toBe(
      'vc[2].@context',
    )
  })

  it('refuses a payload that is not an object', () => {
    for (const payload of [null, [], 'vc', 1])
      expect(failures(checkVc(payload))).toEqual({ 'vc.payload': 'ERR_VC_MALFORMED' })
  })

  it('refuses a missing or wrong @context (VC DM 2.0 §4.3)', () => {
    for (const context of [
      undefined,
      V2,
      ['https://www.w3.org/2018/credentials/v1'],
      [],
      ['https://tessera.example', V2],
      [V2, 1],
    ]) {
      expect(failures(checkVc(credential({ '@context': context })))).toEqual({
        'vc.@context': 'ERR_VC_MALFORMED',
      })
    }
  })

  it('refuses a type without VerifiableCredential (§4.5)', () => {
    for (const type of [
      undefined,
      'AgentRoleCredential',
      ['AgentRoleCredential'],
      ['VerifiableCredential', 1],
      'VerifiablePresentation',
    ]) {
      expect(failures(checkVc(credential({ type })))).toEqual({ 'vc.type': 'ERR_VC_MALFORMED' })
    }
    expect(failures(checkVc(credential({ type: 'VerifiableCredential' })))).toEqual({})
  })

  it('refuses an issuer that is not a URL or an object with a URL id (§4.7)', () => {
    for (const issuer of [undefined, '', 'not a url', 42, {}, { id: 42 }, { name: 'Acme' }, [ISSUER]]) {
      expect(failures(checkVc(credential({ issuer })))).toEqual({ 'vc.issuer': 'ERR_VC_MALFORMED' })
    }
  })

  it('reads only own properties (an inherited issuer does not count)', () => {
    const { issuer: _, ...rest } = credential()
    const payload = Object.assign(Object.create({ issuer: ISSUER }), rest)
    expect(failures(checkVc(payload))).toEqual({ 'vc.issuer': 'ERR_VC_MALFORMED' })
  })

  it('refuses a missing or malformed credentialSubject (§4.8) and a non-URL id (§4.4)', () => {
    for (const credentialSubject of [undefined, 'did:key:z6MkAgent', [], [{ id: AGENT }, 'x'], null]) {
      expect(failures(checkVc(credential({ credentialSubject })))).toEqual({
        'vc.credentialSubject': 'ERR_VC_MALFORMED',
      })
    }
    expect(failures(checkVc(credential({ id: 'not a url' })))).toEqual({ 'vc.id': 'ERR_VC_MALFORMED' })
  })

  it('refuses the VC-JWT 1.1 vc / vp claims (VC-JOSE-COSE §3.1.3)', () => {
    expect(failures(checkVc(credential({ vc: {} })))).toEqual({ 'vc.claims': 'ERR_VC_MALFORMED' })
    expect(failures(checkVc(credential({ vp: {} })))).toEqual({ 'vc.claims': 'ERR_VC_MALFORMED' })
  })

  it('refuses iss, sub and jti that contradict issuer, credentialSubject.id and id', () => {
    expect(failures(checkVc(credential({ iss: 'did:key:z6MkSomeoneElse' })))).toEqual({
      'vc.iss': 'ERR_VC_ISSUER_MISMATCH',
    })
    expect(failures(checkVc(credential({ iss: { id: ISSUER } })))).toEqual({
      'vc.iss': 'ERR_VC_ISSUER_MISMATCH',
    })
    expect(failures(checkVc(credential({ issuer: 42, iss: ISSUER })))).toEqual({
      'vc.issuer': 'ERR_VC_MALFORMED',
      'vc.iss': 'ERR_VC_ISSUER_MISMATCH',
    })
    expect(failures(checkVc(credential({ sub: 'did:key:z6MkOther' })))).toEqual({
      'vc.sub': 'ERR_VC_MALFORMED',
    })
    expect(failures(checkVc(credential({ jti: 'urn:uuid:other' })))).toEqual({ 'vc.jti': 'ERR_VC_MALFORMED' })
    const { id: _, ...noId } = credential()
    expect(failures(checkVc({ ...noId, jti: 'urn:uuid:x' }))).toEqual({ 'vc.jti': 'ERR_VC_MALFORMED' })
  })
})

describe('checkCredentialClaims: validity period (VC DM 2.0 §4.9) with a 60 s tolerance', () => {
  it('accepts validFrom up to exactly now + tolerance, and refuses one second more', () => {
    expect(failures(checkVc(credential({ validFrom: iso(60) })))).toEqual({})
    expect(failures(checkVc(credential({ validFrom: iso(61) })))).toEqual({
      'vc.validFrom': 'ERR_VC_NOT_YET_VALID',
    })
    expect(failures(checkVc(credential({ validFrom: iso(60.001) })))).toEqual({
      'vc.validFrom': 'ERR_VC_NOT_YET_VALID',
    })
  })

  it('expires once now reaches validUntil + tolerance (validUntil is exclusive)', () => {
    expect(failures(checkVc(credential({ validUntil: iso(-59) })))).toEqual({})
    expect(failures(checkVc(credential({ validUntil: iso(-59.999) })))).toEqual({})
    expect(failures(checkVc(credential({ validUntil: iso(-60) })))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
    })
    expect(failures(checkVc(credential({ validUntil: '2026-01-01T00:00:00Z' })))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
    })
  })

  it('applies a zero and the maximum (300 s) tolerance', () => {
    expect(failures(checkVc(credential({ validFrom: iso(0) }), { clockToleranceSec: 0 }))).toEqual({})
    expect(failures(checkVc(credential({ validFrom: iso(0.001) }), { clockToleranceSec: 0 }))).toEqual({
      'vc.validFrom': 'ERR_VC_NOT_YET_VALID',
    })
    expect(failures(checkVc(credential({ validUntil: iso(0) }), { clockToleranceSec: 0 }))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
    })
    expect(failures(checkVc(credential({ validUntil: iso(-299) }), { clockToleranceSec: 300 }))).toEqual({})
    expect(failures(checkVc(credential({ validUntil: iso(-300) }), { clockToleranceSec: 300 }))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
    })
  })

  it('compares instants across time zone offsets', () => {
    // 13:00:30+01:00 is 12:00:30Z, 30 s after NOW: within tolerance; +02:00 moves it to 11:00:30Z.
    expect(failures(checkVc(credential({ validFrom: '2026-06-01T13:00:30+01:00' })))).toEqual({})
    expect(failures(checkVc(credential({ validUntil: '2026-06-01T13:00:30+02:00' })))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
    })
    expect(failures(checkVc(credential({ validFrom: '2026-06-01T07:00:00-05:30' })))).toEqual({
      'vc.validFrom': 'ERR_VC_NOT_YET_VALID',
    })
  })

  it('refuses validFrom later than validUntil', () => {
    const vc = credential({ validFrom: '2026-05-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z' })
    expect(failures(checkVc(vc))).toEqual({
      'vc.validUntil': 'ERR_VC_EXPIRED',
      'vc.validityPeriod': 'ERR_VC_MALFORMED',
    })
  })

  it('refuses values that are not dateTimeStamps', () => {
    const bad = [
      '2026-01-01',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00:00.000',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-01-32T00:00:00Z',
      '2026-01-01T25:00:00Z',
      '2026-01-01T24:00:01Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01 00:00:00Z',
      '2026-01-01t00:00:00z',
      '2026-01-01T00:00Z',
      '2026-01-01T00:00:00+15:00',
      '2026-01-01T00:00:00+14:30',
      '2026-01-01T00:00:00+0100',
      '2026-01-01T00:00:00.Z',
      '+002026-01-01T00:00:00Z',
      '26-01-01T00:00:00Z',
      'Thu, 01 Jan 2026 00:00:00 GMT',
      '٢٠٢٦-01-01T00:00:00Z',
      ' 2026-01-01T00:00:00Z',
      '',
      1767225600,
      null,
    ]
    for (const validFrom of bad) {
      expect(failures(checkVc(credential({ validFrom })))).toEqual({ 'vc.validFrom': 'ERR_VC_MALFORMED' })
    }
  })

  it('parses the dateTimeStamp forms XML Schema allows', () => {
    expect(parseDateTimeStamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29))
    expect(parseDateTimeStamp('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29))
    expect(parseDateTimeStamp('1900-02-29T00:00:00Z')).toBeUndefined()
    expect(parseDateTimeStamp('2026-01-01T24:00:00Z')).toBe(Date.UTC(2026, 0, 2))
    expect(parseDateTimeStamp('2026-01-01T00:00:00.123456Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 123))
    expect(parseDateTimeStamp(`2026-01-01T00:00:00.${'9'.repeat(30)}Z`)).toBe(
      Date.UTC(2026, 0, 1, 0, 0, 0, 999),
    )
    expect(parseDateTimeStamp('2026-01-01T24:00:00.000Z')).toBe(Date.UTC(2026, 0, 2))
    expect(parseDateTimeStamp('2026-01-01T24:00:00.001Z')).toBeUndefined()
    expect(parseDateTimeStamp('2026-01-01T00:00:00+14:00')).toBe(Date.UTC(2025, 11, 31, 10))
    expect(parseDateTimeStamp('2026-01-01T00:00:00-14:00')).toBe(Date.UTC(2026, 0, 1, 14))
    expect(parseDateTimeStamp('2026-01-01T00:00:00-00:00')).toBe(Date.UTC(2026, 0, 1))
  })
})

describe('checkCredentialClaims: JWT NumericDates iat, nbf, exp', () => {
  it('enforces exp with the tolerance (RFC 7519 §4.1.4)', () => {
    expect(failures(checkVc(credential({ exp: NOW_SEC - 59 })))).toEqual({})
    expect(failures(checkVc(credential({ exp: NOW_SEC - 60 })))).toEqual({ 'vc.exp': 'ERR_VC_EXPIRED' })
    expect(failures(checkVc(credential({ exp: NOW_SEC - 59.5 })))).toEqual({})
  })

  it('enforces nbf and a future iat with the tolerance (RFC 7519 §4.1.5)', () => {
    expect(failures(checkVc(credential({ nbf: NOW_SEC + 60, iat: NOW_SEC + 60 })))).toEqual({})
    expect(failures(checkVc(credential({ nbf: NOW_SEC + 61 })))).toEqual({ 'vc.nbf': 'ERR_VC_NOT_YET_VALID' })
    expect(failures(checkVc(credential({ iat: NOW_SEC + 61 })))).toEqual({ 'vc.iat': 'ERR_VC_NOT_YET_VALID' })
  })

  it('refuses values that are not NumericDates', () => {
    for (const value of ['1767225600', '2026-01-01T00:00:00Z', null, true, [1], { t: 1 }, 1e308]) {
      expect(failures(checkVc(credential({ exp: value })))).toEqual({ 'vc.exp': 'ERR_VC_MALFORMED' })
      expect(failures(checkVc(credential({ iat: value })))).toEqual({ 'vc.iat': 'ERR_VC_MALFORMED' })
    }
  })

  it('reports an exp far beyond the Date range without throwing', () => {
    expect(failures(checkVc(credential({ nbf: 1e14 })))).toEqual({ 'vc.nbf': 'ERR_VC_NOT_YET_VALID' })
  })
})

describe('checkCredentialClaims: options', () => {
  it('refuses a tolerance over 300 s, a negative one and an invalid now', () => {
    for (const clockToleranceSec of [301, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const err = thrown(() => checkVc(credential(), { clockToleranceSec }))
      expect(err).toBeInstanceOf(InputError)
      expect(err.code).toBe('ERR_INPUT_INVALID')
    }
    expect(codeOf(() => checkVc(credential(), { now: new Date('nope') }))).toBe('ERR_INPUT_INVALID')
    expect(codeOf(() => checkCredentialClaims(credential(), { now: Date.now() as unknown as Date }))).toBe(
      'ERR_INPUT_INVALID',
    )
  })
})

const SIGNER = 'did:key:z6MkHolder'
const DOMAIN = 'https://verifier.example'
const CHALLENGE = 'c-7f3a9'
const presentation = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  '@context': [V2],
  type: ['VerifiablePresentation'],
  holder: SIGNER,
  nonce: CHALLENGE,
  aud: DOMAIN,
  iat: NOW_SEC - 5,
  exp: NOW_SEC + 300,
  ...extra,
})
const without = (key: string, extra: Record<string, unknown> = {}) => {
  const vp = presentation(extra)
  delete vp[key]
  return vp
}
type VpOptions = Partial<Parameters<typeof checkPresentationClaims>[1]>
const checkVp = (payload: unknown, options: VpOptions = {}) =>
  checkPresentationClaims(payload, {
    now: NOW,
    challenge: CHALLENGE,
    domain: DOMAIN,
    signerDid: SIGNER,
    ...options,
  })

describe('checkPresentationClaims', () => {
  it('passes a well-formed presentation and lists every check it ran', () => {
    const results = checkVp(presentation())
    expect(failures(results)).toEqual({})
    expect(results.map((r) => r.check)).toEqual([
      'vp.@context',
      'vp.type',
      'vp.claims',
      'vp.holder',
      'vp.nonce',
      'vp.aud',
      'vp.iat',
      'vp.exp',
      'vp.freshness',
    ])
  })

  it('refuses a wrong @context or type (VC DM 2.0 §4.13), the vp claim and a non-object', () => {
    expect(
      failures(checkVp(presentation({ '@context': ['https://www.w3.org/2018/credentials/v1'] }))),
    ).toEqual({
      'vp.@context': 'ERR_VP_MALFORMED',
    })
    expect(failures(checkVp(presentation({ type: ['VerifiableCredential'] })))).toEqual({
      'vp.type': 'ERR_VP_MALFORMED',
    })
    expect(failures(checkVp(presentation({ vp: {} })))).toEqual({ 'vp.claims': 'ERR_VP_MALFORMED' })
    expect(failures(checkVp([]))).toEqual({ 'vp.payload': 'ERR_VP_MALFORMED' })
  })

  it('checks nonce against the challenge', () => {
    expect(failures(checkVp(without('nonce')))).toEqual({ 'vp.nonce': 'ERR_CHALLENGE_MISSING' })
    expect(failures(checkVp(presentation({ nonce: 'c-other' })))).toEqual({
      'vp.nonce': 'ERR_CHALLENGE_MISMATCH',
    })
    expect(failures(checkVp(presentation({ nonce: 'C-7F3A9' })))).toEqual({
      'vp.nonce': 'ERR_CHALLENGE_MISMATCH',
    })
    expect(failures(checkVp(presentation({ nonce: [CHALLENGE] })))).toEqual({
      'vp.nonce': 'ERR_CHALLENGE_MISMATCH',
    })
    // no challenge expected: the nonce is not checked
    expect(checkVp(without('nonce'), { challenge: undefined }).map((r) => r.check)).not.toContain('vp.nonce')
  })

  it('checks that aud contains the domain', () => {
    expect(failures(checkVp(presentation({ aud: [DOMAIN, 'https://other.example'] })))).toEqual({})
    expect(failures(checkVp(without('aud')))).toEqual({ 'vp.aud': 'ERR_DOMAIN_MISMATCH' })
    expect(failures(checkVp(presentation({ aud: 'https://other.example' })))).toEqual({
      'vp.aud': 'ERR_DOMAIN_MISMATCH',
    })
    expect(failures(checkVp(presentation({ aud: ['https://other.example'] })))).toEqual({
      'vp.aud': 'ERR_DOMAIN_MISMATCH',
    })
    expect(failures(checkVp(presentation({ aud: [] })))).toEqual({ 'vp.aud': 'ERR_DOMAIN_MISMATCH' })
    expect(failures(checkVp(presentation({ aud: `${DOMAIN}/` })))).toEqual({
      'vp.aud': 'ERR_DOMAIN_MISMATCH',
    })
    expect(failures(checkVp(presentation({ aud: [DOMAIN, 1] })))).toEqual({ 'vp.aud': 'ERR_VP_MALFORMED' })
    expect(failures(checkVp(presentation({ aud: { id: DOMAIN } })))).toEqual({ 'vp.aud': 'ERR_VP_MALFORMED' })
  })

  it('checks holder and iss against the signer', () => {
    expect(failures(checkVp(presentation({ holder: { id: SIGNER, name: 'agent' }, iss: SIGNER })))).toEqual(
      {},
    )
    expect(failures(checkVp(without('holder')))).toEqual({})
    expect(failures(checkVp(presentation({ holder: 'did:key:z6MkOther' })))).toEqual({
      'vp.holder': 'ERR_HOLDER_MISMATCH',
    })
    expect(failures(checkVp(presentation({ holder: { id: 'did:key:z6MkOther' } })))).toEqual({
      'vp.holder': 'ERR_HOLDER_MISMATCH',
    })
    expect(failures(checkVp(presentation({ holder: 7 })))).toEqual({ 'vp.holder': 'ERR_VP_MALFORMED' })
    expect(failures(checkVp(presentation({ iss: 'did:key:z6MkOther' })))).toEqual({
      'vp.iss': 'ERR_HOLDER_MISMATCH',
    })
  })

  it('enforces exp, nbf and iat with the tolerance', () => {
    expect(failures(checkVp(presentation({ exp: NOW_SEC - 59 })))).toEqual({})
    expect(failures(checkVp(presentation({ exp: NOW_SEC - 60 })))).toEqual({ 'vp.exp': 'ERR_VP_EXPIRED' })
    expect(failures(checkVp(presentation({ nbf: NOW_SEC + 60 })))).toEqual({})
    expect(failures(checkVp(presentation({ nbf: NOW_SEC + 61 })))).toEqual({
      'vp.nbf': 'ERR_VP_NOT_YET_VALID',
    })
    expect(failures(checkVp(presentation({ iat: NOW_SEC + 61 })))).toEqual({
      'vp.iat': 'ERR_VP_NOT_YET_VALID',
    })
    expect(failures(checkVp(presentation({ exp: 'soon' })))).toEqual({
      'vp.exp': 'ERR_VP_MALFORMED',
      // a malformed exp cannot vouch for freshness; iat (5 s old) does
    })
  })

  it('caps the lifetime a presentation claims: exp at most maxAgeSec (plus tolerance) ahead', () => {
    expect(failures(checkVp(presentation({ exp: NOW_SEC + 600 + 60 })))).toEqual({})
    expect(failures(checkVp(presentation({ exp: NOW_SEC + 600 + 61 })))).toEqual({
      'vp.freshness': 'ERR_VP_LIFETIME',
    })
    expect(failures(checkVp(presentation({ exp: NOW_SEC + 10 * 365 * 86_400 })))).toEqual({
      'vp.freshness': 'ERR_VP_LIFETIME',
    })
    expect(
      failures(checkVp(presentation({ exp: NOW_SEC + 40 }), { maxAgeSec: 30, clockToleranceSec: 10 })),
    ).toEqual({})
    expect(
      failures(checkVp(presentation({ exp: NOW_SEC + 41 }), { maxAgeSec: 30, clockToleranceSec: 10 })),
    ).toEqual({
      'vp.freshness': 'ERR_VP_LIFETIME',
    })
  })

  it('requires exp, or an iat no older than maxAgeSec (default 600 s) plus the tolerance', () => {
    const noExp = (iat: number) => without('exp', { iat })
    expect(failures(checkVp(noExp(NOW_SEC - 600 - 59)))).toEqual({})
    expect(failures(checkVp(noExp(NOW_SEC - 600 - 60)))).toEqual({ 'vp.freshness': 'ERR_VP_EXPIRED' })
    expect(failures(checkVp(noExp(NOW_SEC - 40), { maxAgeSec: 30, clockToleranceSec: 10 }))).toEqual({
      'vp.freshness': 'ERR_VP_EXPIRED',
    })
    expect(failures(checkVp(noExp(NOW_SEC - 39), { maxAgeSec: 30, clockToleranceSec: 10 }))).toEqual({})
    expect(failures(checkVp(without('exp', { iat: 'yesterday' })))).toEqual({
      'vp.iat': 'ERR_VP_MALFORMED',
      'vp.freshness': 'ERR_VP_EXPIRED',
    })
    const neither = without('exp')
    delete neither.iat
    expect(failures(checkVp(neither))).toEqual({ 'vp.freshness': 'ERR_VP_EXPIRED' })
    // an old iat is fine when exp says the presentation is still valid
    expect(failures(checkVp(presentation({ iat: NOW_SEC - 86_400 })))).toEqual({})
  })

  it('refuses invalid options', () => {
    for (const options of [
      { domain: '' },
      { domain: undefined as unknown as string },
      { signerDid: '' },
      { challenge: '' },
      { maxAgeSec: 0 },
      { maxAgeSec: Number.NaN },
      { clockToleranceSec: 1000 },
      { checkPrefix: '' },
    ]) {
      const err = thrown(() => checkVp(presentation(), options))
      expect(err).toBeInstanceOf(InputError)
      expect(err.code).toBe('ERR_INPUT_INVALID')
    }
  })
})

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln'
const enveloped = (token = TOKEN, extra: Record<string, unknown> = {}) => ({
  '@context': V2,
  type: 'EnvelopedVerifiableCredential',
  id: `data:application/vc+jwt,${token}`,
  ...extra,
})
const LIMITS = { maxCredentials: 3, maxTokenLength: 100 }
const extract = (verifiableCredential: unknown, limits = LIMITS) =>
  extractEnvelopedCredentials(presentation({ verifiableCredential }), limits)

describe('extractEnvelopedCredentials', () => {
  it('returns the tokens of an array, of a single object, and none when absent', () => {
    expect(extract([enveloped(), enveloped(`${TOKEN}x`)])).toEqual([TOKEN, `${TOKEN}x`])
    expect(extract(enveloped())).toEqual([TOKEN])
    expect(extractEnvelopedCredentials(presentation(), LIMITS)).toEqual([])
    expect(extract([])).toEqual([])
  })

  it('accepts the array forms of @context and type, and a data URL with upper-case scheme and media type', () => {
    const entry = enveloped(TOKEN, {
      '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'],
      type: ['EnvelopedVerifiableCredential'],
      id: `DATA:Application/VC+JWT,${TOKEN}`,
    })
    expect(extract([entry])).toEqual([TOKEN])
  })

  it('caps the number of credentials (ERR_VP_TOO_MANY_CREDENTIALS)', () => {
    expect(extract([enveloped(), enveloped(), enveloped()])).toHaveLength(3)
    expect(codeOf(() => extract([enveloped(), enveloped(), enveloped(), enveloped()]))).toBe(
      'ERR_VP_TOO_MANY_CREDENTIALS',
    )
    // the count is checked before any entry is read
    expect(codeOf(() => extract([1, 2, 3, 4]))).toBe('ERR_VP_TOO_MANY_CREDENTIALS')
    const many = Array.from({ length: DEFAULT_LIMITS.maxCredentialsPerPresentation + 1 }, () => enveloped())
    const limits = { maxCredentials: DEFAULT_LIMITS.maxCredentialsPerPresentation, maxTokenLength: 100 }
    expect(codeOf(() => extract(many, limits))).toBe('ERR_VP_TOO_MANY_CREDENTIALS')
    expect(extract(many.slice(1), limits)).toHaveLength(DEFAULT_LIMITS.maxCredentialsPerPresentation)
  })

  it('caps each token length (ERR_SIZE_LIMIT)', () => {
    const token = `${'a'.repeat(50)}.${'b'.repeat(47)}.c` // 100 characters
    expect(extract([enveloped(token)])).toEqual([token])
    expect(codeOf(() => extract([enveloped(`${token}c`)]))).toBe('ERR_SIZE_LIMIT')
  })

  it('refuses embedded credentials, other media types and anything that is not an enveloped vc+jwt', () => {
    const bad: unknown[] = [
      // a plain embedded (unsecured) credential
      { '@context': [V2], type: ['VerifiableCredential'], issuer: ISSUER, credentialSubject: { id: AGENT } },
      // a VC-JWT 1.1 style bare token
      TOKEN,
      null,
      [enveloped()],
      enveloped(TOKEN, { type: 'EnvelopedVerifiablePresentation' }),
      enveloped(TOKEN, { type: ['VerifiableCredential'] }),
      enveloped(TOKEN, { type: undefined }),
      enveloped(TOKEN, { '@context': undefined }),
      enveloped(TOKEN, { '@context': 'https://www.w3.org/2018/credentials/v1' }),
      enveloped(TOKEN, { '@context': ['https://example.org', V2] }),
      enveloped(TOKEN, { id: `data:application/vc+sd-jwt,${TOKEN}` }),
      enveloped(TOKEN, { id: `data:application/vc+cose,${TOKEN}` }),
      enveloped(TOKEN, { id: `data:application/vp+jwt,${TOKEN}` }),
      enveloped(TOKEN, { id: `data:application/jwt,${TOKEN}` }),
      enveloped(TOKEN, { id: `data:application/vc+jwt;base64,${Buffer.from(TOKEN).toString('base64')}` }),
      enveloped(TOKEN, { id: `data:application/vc+jwt,${TOKEN.replace('.', '%2E')}` }),
      enveloped(TOKEN, { id: 'data:application/vc+jwt,' }),
      enveloped(TOKEN, { id: `https://issuer.example/vc/1` }),
      enveloped(TOKEN, { id: { value: TOKEN } }),
      enveloped(TOKEN, { id: undefined }),
    ]
    for (const entry of bad) expect(codeOf(() => extract([enveloped(), entry]))).toBe('ERR_VP_MALFORMED')
    for (const member of ['eyJ...', 42, true]) expect(codeOf(() => extract(member))).toBe('ERR_VP_MALFORMED')
    expect(codeOf(() => extractEnvelopedCredentials(null, LIMITS))).toBe('ERR_VP_MALFORMED')
  })

  it('refuses invalid limits', () => {
    expect(codeOf(() => extract([], { maxCredentials: -1, maxTokenLength: 10 }))).toBe('ERR_INPUT_INVALID')
    expect(codeOf(() => extract([], { maxCredentials: 1, maxTokenLength: 1.5 }))).toBe('ERR_INPUT_INVALID')
  })

  it('yields tokens that decode and verify as vc+jwt (end to end with a jose-signed credential)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA')
    const payload = credential({ iss: ISSUER })
    const vcJwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'vc+jwt', kid: `${ISSUER}#key-1` })
      .sign(privateKey)
    const [token] = extractEnvelopedCredentials(presentation({ verifiableCredential: [enveloped(vcJwt)] }), {
      maxCredentials: DEFAULT_LIMITS.maxCredentialsPerPresentation,
      maxTokenLength: DEFAULT_LIMITS.maxCredentialTokenLength,
    })
    const decoded = decodeCompactJws(token as string, {
      maxLength: DEFAULT_LIMITS.maxCredentialTokenLength,
      maxDepth: DEFAULT_LIMITS.maxJsonDepth,
      expectedTyp: 'vc+jwt',
      allowedAlgs: ['EdDSA'],
    })
    expect(
      verifyJwsSignature({ alg: decoded.header.alg, keyObject: KeyObject.from(publicKey), ...decoded }),
    ).toBe(true)
    expect(
      verifyJwsSignature({ alg: 'EdDSA', keyObject: generateKeyPairSync('ed25519').publicKey, ...decoded }),
    ).toBe(false)
    expect(failures(checkVc(decoded.payload))).toEqual({})
  })
})
