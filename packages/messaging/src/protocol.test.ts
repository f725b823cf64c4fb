import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import {
  MESSAGE_TYPES,
  parseAccept,
  parseHello,
  parsePresent,
  parseRefuse,
  parseRequest,
  parseResponse,
  refusalOf,
} from './protocol.js'

const challenge = 'A'.repeat(43)
const vp = 'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln'

describe('protocol bodies (untrusted input)', () => {
  it('names every message type under the handshake and request protocols', () => {
    expect(Object.values(MESSAGE_TYPES)).toEqual([
      'https://tessera.invalid/protocols/handshake/1.0/hello',
      'https://tessera.invalid/protocols/handshake/1.0/present',
      'https://tessera.invalid/protocols/handshake/1.0/accept',
      'https://tessera.invalid/protocols/handshake/1.0/refuse',
      'https://tessera.invalid/protocols/request/1.0/request',
      'https://tessera.invalid/protocols/request/1.0/response',
    ])
  })

  it('reads a hello and a present, and refuses anything else (ERR_MSG_MALFORMED)', () => {
    expect(parseHello({ challenge })).toEqual({ challenge })
    expect(parsePresent({ presentation: vp, challenge }, { withChallenge: true })).toEqual({
      presentation: vp,
      challenge,
    })
    expect(parsePresent({ presentation: vp }, { withChallenge: false })).toEqual({ presentation: vp })
    for (const body of [
      {},
      { challenge: 'short' },
      { challenge: 'x'.repeat(300) },
      { challenge: 'a b'.repeat(10) },
    ]) {
      expectError(() => parseHello(body), 'ERR_MSG_MALFORMED')
    }
    expectError(() => parsePresent({ presentation: vp }, { withChallenge: true }), 'ERR_MSG_MALFORMED')
    expectError(
      () => parsePresent({ presentation: 'not a jws' }, { withChallenge: false }),
      'ERR_MSG_MALFORMED',
    )
    expectError(() => parsePresent({ presentation: 42 }, { withChallenge: false }), 'ERR_MSG_MALFORMED')
    // inherited names are not read
    expectError(() => parseHello(Object.create({ challenge })), 'ERR_MSG_MALFORMED')
  })

  it('reads accept and refuse; an unknown reason code becomes ERR_HANDSHAKE_REFUSED', () => {
    expect(parseAccept({ expiresAt: '2026-01-01T00:00:00.000Z' })).toEqual({
      expiresAt: '2026-01-01T00:00:00.000Z',
    })
    expectError(() => parseAccept({ expiresAt: 'soon' }), 'ERR_MSG_MALFORMED')
    expect(
      parseRefuse({ reason: 'ERR_STATUS_REVOKED', reasons: ['ERR_STATUS_REVOKED', 'nope'], message: 'm' }),
    ).toEqual({ reason: 'ERR_STATUS_REVOKED', reasons: ['ERR_STATUS_REVOKED'], message: 'm' })
    expect(parseRefuse({ reason: 'toString' })).toEqual({
      reason: 'ERR_HANDSHAKE_REFUSED',
      reasons: [],
      message: '',
    })
  })

  it('reads a request with the permission grammar: concrete action and resource only', () => {
    expect(parseRequest({ action: 'read', resource: 'tickets/42', body: { a: 1 } })).toEqual({
      action: 'read',
      resource: 'tickets/42',
      body: { a: 1 },
    })
    for (const body of [
      { action: 'read', resource: 'tickets/*' },
      { action: '*', resource: 'tickets/1' },
      { action: 'read' },
      { action: 'Read', resource: 'x' },
      { action: 'read', resource: '../etc' },
    ]) {
      expectError(() => parseRequest(body), 'ERR_MSG_MALFORMED')
    }
  })

  it('reads the three shapes of a response', () => {
    expect(parseResponse({ allowed: true, reply: { x: 1 } })).toEqual({
      allowed: true,
      reply: { x: 1 },
      grantedBy: undefined,
    })
    expect(parseResponse({ allowed: true })).toMatchObject({ allowed: true, reply: null })
    expect(parseResponse({ allowed: false, code: 'ERR_POLICY_DENIED', message: 'no' })).toEqual({
      allowed: false,
      code: 'ERR_POLICY_DENIED',
      reasons: ['ERR_POLICY_DENIED'],
      message: 'no',
    })
    expect(parseResponse({ allowed: true, error: { code: 'ERR_NOT_FOUND', message: 'no handler' } })).toEqual(
      {
        allowed: true,
        error: { code: 'ERR_NOT_FOUND', message: 'no handler' },
      },
    )
    expect(parseResponse({ allowed: true, error: { code: 'bogus' } })).toMatchObject({
      error: { code: 'ERR_INTERNAL' },
    })
    expectError(() => parseResponse({ allowed: 'yes' }), 'ERR_MSG_MALFORMED')
    expectError(() => parseResponse({ allowed: false, code: 'bogus' }), 'ERR_MSG_MALFORMED')
  })

  it('puts the trust refusal first when the status refusal only follows from it', () => {
    const status = { code: 'ERR_STATUS_ISSUER_UNTRUSTED' as const, message: 's' }
    const trust = { code: 'ERR_TRUST_ISSUER_UNKNOWN' as const, message: 't' }
    expect(refusalOf([status, status, trust])).toEqual({
      reason: 'ERR_TRUST_ISSUER_UNKNOWN',
      reasons: ['ERR_TRUST_ISSUER_UNKNOWN', 'ERR_STATUS_ISSUER_UNTRUSTED'],
      message: 't',
    })
    expect(refusalOf([status]).reason).toBe('ERR_STATUS_ISSUER_UNTRUSTED')
    expect(refusalOf([{ code: 'ERR_JWS_SIGNATURE', message: 'x' }, trust]).reason).toBe(
      'ERR_TRUST_ISSUER_UNKNOWN',
    )
    expect(refusalOf([]).reason).toBe('ERR_HANDSHAKE_REFUSED')
  })
})
