import { InputError, type Permission, type TesseraError } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import { authorize, evaluateTrust, type Grant, isStatusIssuerTrusted } from './authorize.js'
import { parsePermission } from './permission.js'
import { addTrust, emptyTrustBundle, parseTrustBundle, type TrustBundle } from './trust-bundle.js'

const ACME = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const ACME_STATUS = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'
const GLOBEX = 'did:web:globex.example'
const AGENT = 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH'
const STRANGER = 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2'

const perms = (...texts: string[]): Permission[] => texts.map((t) => parsePermission(t))

function bundle(): TrustBundle {
  return parseTrustBundle({
    type: 'TesseraTrustBundle',
    version: 1,
    organisations: {
      Acme: {
        issuers: [ACME],
        roles: { 'support-agent': { ceiling: ['read:tickets/*', 'write:tickets/*'] } },
        statusIssuers: [ACME_STATUS],
      },
      Globex: { issuers: [GLOBEX], roles: { auditor: { ceiling: ['read:*'] } } },
    },
  })
}

function thrown(fn: () => unknown): TesseraError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as TesseraError
  }
  throw new Error('expected a throw')
}

describe('evaluateTrust', () => {
  const trust = (over: Partial<Parameters<typeof evaluateTrust>[0]> = {}) =>
    evaluateTrust({
      bundle: bundle(),
      issuer: ACME,
      subject: AGENT,
      role: 'support-agent',
      permissions: perms('*:tickets/*', 'read:reports/*'),
      ...over,
    })

  it('trusts a known issuer for an allowed role and intersects with the ceiling', () => {
    expect(trust()).toEqual({
      trusted: true,
      org: 'Acme',
      effective: perms('read:tickets/*', 'write:tickets/*'),
    })
    expect(trust({ permissions: perms('read:tickets/42') })).toEqual({
      trusted: true,
      org: 'Acme',
      effective: perms('read:tickets/42'),
    })
    expect(trust({ issuer: GLOBEX, role: 'auditor', permissions: perms('*:*') })).toEqual({
      trusted: true,
      org: 'Globex',
      effective: perms('read:*'),
    })
  })

  it('is trusted with no effective permissions when nothing intersects', () => {
    expect(trust({ permissions: perms('delete:users/*') })).toEqual({
      trusted: true,
      org: 'Acme',
      effective: [],
    })
    expect(trust({ permissions: [] })).toEqual({ trusted: true, org: 'Acme', effective: [] })
  })

  it('refuses an unknown issuer', () => {
    const result = trust({ issuer: STRANGER })
    expect(result).toMatchObject({ trusted: false, code: 'ERR_TRUST_ISSUER_UNKNOWN' })
    expect(!result.trusted && result.message).toContain(STRANGER)
    expect(trust({ bundle: emptyTrustBundle() })).toMatchObject({
      trusted: false,
      code: 'ERR_TRUST_ISSUER_UNKNOWN',
    })
  })

  it('refuses a status issuer used as a credential issuer', () => {
    expect(trust({ issuer: ACME_STATUS })).toMatchObject({ trusted: false, code: 'ERR_TRUST_ISSUER_UNKNOWN' })
  })

  it('refuses a role the organisation may not grant, including one another organisation may', () => {
    const result = trust({ role: 'admin' })
    expect(result).toMatchObject({ trusted: false, code: 'ERR_TRUST_ROLE_NOT_ALLOWED' })
    expect(!result.trusted && result.message).toContain('"admin"')
    expect(!result.trusted && result.message).toContain('"Acme"')
    expect(trust({ role: 'auditor' })).toMatchObject({ trusted: false, code: 'ERR_TRUST_ROLE_NOT_ALLOWED' })
  })

  it('refuses a self-issued credential, even from a trusted issuer', () => {
    expect(trust({ subject: ACME })).toMatchObject({ trusted: false, code: 'ERR_TRUST_SELF_ISSUED' })
  })

  it.each([['__proto__'], ['constructor'], ['hasOwnProperty'], ['toString'], ['valueOf'], ['prototype']])(
    'never matches the inherited role name %j',
    (role) => {
      expect(trust({ role })).toMatchObject({ trusted: false, code: 'ERR_TRUST_ROLE_NOT_ALLOWED' })
    },
  )

  it.each([['__proto__'], ['constructor'], ['toString'], ['hasOwnProperty']])(
    'never matches the inherited issuer name %j',
    (issuer) => {
      expect(trust({ issuer })).toMatchObject({ trusted: false, code: 'ERR_TRUST_ISSUER_UNKNOWN' })
    },
  )

  it('sees changes made with addTrust and removeTrust (bundles are values)', () => {
    const base = bundle()
    const extended = addTrust(base, { org: 'Acme', role: 'admin', permissions: ['*:admin/*'] })
    expect(trust({ bundle: extended, role: 'admin', permissions: perms('*:*') })).toMatchObject({
      trusted: true,
      effective: perms('*:admin/*'),
    })
    expect(trust({ bundle: base, role: 'admin' })).toMatchObject({
      trusted: false,
      code: 'ERR_TRUST_ROLE_NOT_ALLOWED',
    })
  })

  it('validates a hand-built bundle and its arguments', () => {
    const plain = JSON.parse(JSON.stringify(bundle())) as TrustBundle
    expect(trust({ bundle: plain })).toMatchObject({ trusted: true, org: 'Acme' })
    expect(thrown(() => trust({ bundle: { type: 'x' } as unknown as TrustBundle })).code).toBe(
      'ERR_TRUST_BUNDLE_INVALID',
    )
    expect(thrown(() => trust({ issuer: '' })).code).toBe('ERR_INPUT_INVALID')
    expect(thrown(() => trust({ subject: undefined as unknown as string })).code).toBe('ERR_INPUT_INVALID')
    expect(thrown(() => trust({ role: 7 as unknown as string })).code).toBe('ERR_INPUT_INVALID')
    expect(thrown(() => trust({ permissions: 'read:*' as unknown as Permission[] })).code).toBe(
      'ERR_INPUT_INVALID',
    )
    expect(thrown(() => trust({ permissions: [{ action: 'read', resource: 'a/../b' }] })).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
  })

  it('is not fooled by mutating a hand-built bundle between calls', () => {
    const plain = JSON.parse(JSON.stringify(bundle())) as {
      organisations: Record<string, { issuers: string[] }>
    }
    const asBundle = plain as unknown as TrustBundle
    expect(trust({ bundle: asBundle, issuer: STRANGER })).toMatchObject({ code: 'ERR_TRUST_ISSUER_UNKNOWN' })
    plain.organisations.Acme?.issuers.push(STRANGER)
    expect(trust({ bundle: asBundle, issuer: STRANGER })).toMatchObject({ trusted: true, org: 'Acme' })
    plain.organisations.Acme?.issuers.pop()
    expect(trust({ bundle: asBundle, issuer: STRANGER })).toMatchObject({ code: 'ERR_TRUST_ISSUER_UNKNOWN' })
  })
})

describe('isStatusIssuerTrusted', () => {
  const check = (credentialIssuer: string, statusIssuer: string, b: TrustBundle = bundle()) =>
    isStatusIssuerTrusted({ bundle: b, credentialIssuer, statusIssuer })

  it('accepts the explicit statusIssuers of the credential issuer organisation', () => {
    expect(check(ACME, ACME_STATUS)).toBe(true)
  })

  it('with explicit statusIssuers, does not accept the issuer itself unless listed', () => {
    expect(check(ACME, ACME)).toBe(false)
  })

  it('defaults statusIssuers to the organisation issuers', () => {
    expect(check(GLOBEX, GLOBEX)).toBe(true)
    const b = addTrust(bundle(), { org: 'Globex', issuer: 'did:web:status.globex.example' })
    expect(check(GLOBEX, 'did:web:status.globex.example', b)).toBe(true)
  })

  it('refuses status issuers of another organisation and unknown credential issuers', () => {
    expect(check(GLOBEX, ACME_STATUS)).toBe(false)
    expect(check(GLOBEX, ACME)).toBe(false)
    expect(check(ACME, GLOBEX)).toBe(false)
    expect(check(STRANGER, STRANGER)).toBe(false)
    expect(check(STRANGER, ACME_STATUS)).toBe(false)
    expect(check('toString', 'toString')).toBe(false)
    expect(check('__proto__', ACME_STATUS)).toBe(false)
    expect(check(ACME, undefined as unknown as string)).toBe(false)
  })

  it('rejects an invalid bundle', () => {
    expect(thrown(() => check(ACME, ACME, {} as TrustBundle)).code).toBe('ERR_TRUST_BUNDLE_INVALID')
  })
})

describe('authorize', () => {
  const grants: Grant[] = [
    { credentialId: 'urn:uuid:1', role: 'support-agent', issuer: ACME, effective: perms('read:tickets/*') },
    {
      credentialId: 'urn:uuid:2',
      role: 'support-agent',
      issuer: ACME,
      effective: perms('write:tickets/42', 'write:tickets/*'),
    },
  ]

  it('allows with the first grant and the first permission that cover the request', () => {
    expect(authorize({ grants, action: 'read', resource: 'tickets/42' })).toEqual({
      allowed: true,
      credentialId: 'urn:uuid:1',
      role: 'support-agent',
      permission: { action: 'read', resource: 'tickets/*' },
    })
    expect(authorize({ grants, action: 'write', resource: 'tickets/42' })).toEqual({
      allowed: true,
      credentialId: 'urn:uuid:2',
      role: 'support-agent',
      permission: { action: 'write', resource: 'tickets/42' },
    })
    expect(authorize({ grants, action: 'write', resource: 'tickets/a/b' })).toMatchObject({
      allowed: true,
      permission: { action: 'write', resource: 'tickets/*' },
    })
  })

  it('denies what no permission covers, naming what was asked and what the agent had', () => {
    for (const [action, resource] of [
      ['delete', 'tickets/42'],
      ['read', 'tickets'],
      ['read', 'ticketsX'],
      ['read', 'reports/2026'],
    ] as const) {
      const result = authorize({ grants, action, resource })
      expect(result).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' })
      if (result.allowed) continue
      expect(result.message).toContain(`"${action}:${resource}"`)
      expect(result.message).toContain('"urn:uuid:1"')
      expect(result.message).toContain('read:tickets/*')
      expect(result.message).toContain('write:tickets/42, write:tickets/*')
    }
  })

  it('denies when the grants hold no effective permissions', () => {
    const result = authorize({
      grants: [{ credentialId: 'urn:uuid:3', role: 'r', issuer: ACME, effective: [] }],
      action: 'read',
      resource: 'x',
    })
    expect(result).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' })
    expect(!result.allowed && result.message).toContain('no effective permissions')
  })

  it('denies with ERR_POLICY_NO_CREDENTIALS when there are no grants', () => {
    const result = authorize({ grants: [], action: 'read', resource: 'tickets/42' })
    expect(result).toMatchObject({ allowed: false, code: 'ERR_POLICY_NO_CREDENTIALS' })
    expect(!result.allowed && result.message).toContain('"read:tickets/42"')
  })

  it('keeps long denial messages bounded', () => {
    const many: Grant[] = Array.from({ length: 50 }, (_, i) => ({
      credentialId: `urn:uuid:${i}`,
      role: 'r',
      issuer: ACME,
      effective: Array.from({ length: 50 }, (_, j) => ({ action: 'read', resource: `r${j}` })),
    }))
    const result = authorize({ grants: many, action: 'write', resource: 'x' })
    expect(result).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' })
    expect(!result.allowed && result.message.length).toBeLessThan(10_000)
    expect(!result.allowed && result.message).toContain('and 40 more credentials')
  })

  it.each([
    ['*', 'tickets/42', '"action"'],
    ['read', 'tickets/*', '"resource"'],
    ['read', '*', '"resource"'],
    ['read', 'tick*', '"resource"'],
    ['Read', 'tickets/42', '"action"'],
    ['read', 'tickets/../admin', '"resource"'],
    ['read', '/tickets/42', '"resource"'],
    ['read', 'tickets/42 ', '"resource"'],
    ['read', 'tickets%2F42', '"resource"'],
    ['read', '', '"resource"'],
  ])('throws ERR_PERMISSION_INVALID for the request %s:%s', (action, resource, name) => {
    const err = thrown(() => authorize({ grants, action, resource }))
    expect(err.code).toBe('ERR_PERMISSION_INVALID')
    expect(err.message.startsWith(name)).toBe(true)
    // even with no grants: a malformed request is a caller bug, not a denial
    expect(thrown(() => authorize({ grants: [], action, resource })).code).toBe('ERR_PERMISSION_INVALID')
  })

  it('throws on malformed grants', () => {
    expect(
      thrown(() => authorize({ grants: 'x' as unknown as Grant[], action: 'read', resource: 'x' })).code,
    ).toBe('ERR_INPUT_INVALID')
    expect(
      thrown(() =>
        authorize({
          grants: [
            { credentialId: 'c', role: 'r', issuer: ACME, effective: [{ action: 'read', resource: '**' }] },
          ],
          action: 'read',
          resource: 'x',
        }),
      ).code,
    ).toBe('ERR_PERMISSION_INVALID')
  })

  it('works end to end with evaluateTrust', () => {
    const trust = evaluateTrust({
      bundle: bundle(),
      issuer: ACME,
      subject: AGENT,
      role: 'support-agent',
      permissions: perms('*:*'),
    })
    if (!trust.trusted) throw new Error('expected trust')
    const grant: Grant = {
      credentialId: 'urn:uuid:9',
      role: 'support-agent',
      issuer: ACME,
      effective: trust.effective,
    }
    expect(authorize({ grants: [grant], action: 'write', resource: 'tickets/7' })).toMatchObject({
      allowed: true,
    })
    // the credential said "*:*" but the verifier's ceiling caps it
    expect(authorize({ grants: [grant], action: 'delete', resource: 'tickets/7' })).toMatchObject({
      allowed: false,
      code: 'ERR_POLICY_DENIED',
    })
    expect(authorize({ grants: [grant], action: 'read', resource: 'admin/users' })).toMatchObject({
      allowed: false,
      code: 'ERR_POLICY_DENIED',
    })
  })
})
