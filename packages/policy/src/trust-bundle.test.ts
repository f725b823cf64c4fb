import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EnvironmentError, InputError, type TesseraError } from '@tessera/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addTrust,
  emptyTrustBundle,
  loadTrustBundle,
  parseTrustBundle,
  removeTrust,
  saveTrustBundle,
  type TrustBundle,
  trustBundleHash,
} from './trust-bundle.js'

const ACME_ISSUER = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const ACME_STATUS = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'
const GLOBEX_ISSUER = 'did:web:globex.example'

/** The README example, as JSON text. */
const EXAMPLE = `{
  "type": "TesseraTrustBundle", "version": 1,
  "organisations": {
    "Acme": { "issuers": ["${ACME_ISSUER}"],
              "roles": { "support-agent": { "ceiling": ["read:tickets/*", "write:tickets/*"] } },
              "statusIssuers": ["${ACME_STATUS}"] },
    "Globex Corp.": { "issuers": ["${GLOBEX_ISSUER}"], "roles": {} }
  }
}`

const example = (): Record<string, unknown> => JSON.parse(EXAMPLE) as Record<string, unknown>

/** A JSON-shaped bundle with one organisation, for mutation in negative tests. */
function oneOrg(org: Record<string, unknown>, name = 'Acme'): unknown {
  return { type: 'TesseraTrustBundle', version: 1, organisations: { [name]: org } }
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

function invalidAt(input: unknown, path: string): TesseraError {
  const err = thrown(() => parseTrustBundle(input))
  expect(err.code).toBe('ERR_TRUST_BUNDLE_INVALID')
  expect(err.details?.path).toBe(path)
  expect(err.message).toContain(path)
  return err
}

function expectPristinePrototype(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
    [
      '__defineGetter__',
      '__defineSetter__',
      '__lookupGetter__',
      '__lookupSetter__',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      'toString',
      'valueOf',
    ].sort(),
  )
  const probe = {} as Record<string, unknown>
  for (const key of ['issuers', 'roles', 'ceiling', 'polluted', 'Acme', 'admin'])
    expect(probe[key]).toBeUndefined()
}

describe('parseTrustBundle', () => {
  it('accepts the documented format and keeps it as it was written', () => {
    const bundle = parseTrustBundle(example())
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(example())
    expect(Object.keys(bundle.organisations)).toEqual(['Acme', 'Globex Corp.'])
    expect(bundle.organisations.Acme?.statusIssuers).toEqual([ACME_STATUS])
    expect('statusIssuers' in (bundle.organisations['Globex Corp.'] ?? {})).toBe(false)
  })

  it('returns a deeply frozen bundle with null-prototype lookup records', () => {
    const bundle = parseTrustBundle(example())
    const acme = bundle.organisations.Acme
    expect(Object.isFrozen(bundle)).toBe(true)
    expect(Object.isFrozen(bundle.organisations)).toBe(true)
    expect(Object.isFrozen(acme)).toBe(true)
    expect(Object.isFrozen(acme?.issuers)).toBe(true)
    expect(Object.isFrozen(acme?.roles)).toBe(true)
    expect(Object.isFrozen(acme?.roles['support-agent']?.ceiling)).toBe(true)
    expect(Object.getPrototypeOf(bundle.organisations)).toBeNull()
    expect(Object.getPrototypeOf(acme?.roles)).toBeNull()
    // a naive consumer indexing with an inherited name finds nothing
    expect(bundle.organisations.toString).toBeUndefined()
    expect(acme?.roles.constructor).toBeUndefined()
  })

  it('does not alias its input', () => {
    const input = example()
    const bundle = parseTrustBundle(input)
    ;(
      (input.organisations as Record<string, { issuers: string[] }>).Acme as { issuers: string[] }
    ).issuers.push('did:key:zEvil')
    expect(bundle.organisations.Acme?.issuers).toEqual([ACME_ISSUER])
  })

  it('returns its own bundles unchanged and accepts JSON round-trips of them', () => {
    const bundle = parseTrustBundle(example())
    expect(parseTrustBundle(bundle)).toBe(bundle)
    expect(parseTrustBundle(JSON.parse(JSON.stringify(bundle)))).toEqual(bundle)
  })

  it('accepts an organisation with no issuers and no roles, and an empty statusIssuers', () => {
    const bundle = parseTrustBundle(oneOrg({ issuers: [], roles: {}, statusIssuers: [] }))
    expect(bundle.organisations.Acme).toEqual({ issuers: [], roles: {}, statusIssuers: [] })
  })

  it.each([
    ['did:key:z6Mk'],
    ['did:web:example.com:user:alice'],
    ['did:example:123%20abc'],
    ['did:ion:EiA_x-1.2'],
  ])('accepts the DID %s', (did) => {
    expect(parseTrustBundle(oneOrg({ issuers: [did], roles: {} })).organisations.Acme?.issuers).toEqual([did])
  })

  it.each([
    ['Acme'],
    ['Globex Corp.'],
    ["O'Reilly & Sons (EU)"],
    ['Société Générale'],
    ['東京'],
    ['a'],
    ['x'.repeat(128)],
  ])('accepts the organisation name %j', (name) => {
    expect(Object.keys(parseTrustBundle(oneOrg({ issuers: [], roles: {} }, name)).organisations)).toEqual([
      name,
    ])
  })

  it.each([['support-agent'], ['Support.Agent'], ['ns:role'], ['r2_d2'], ['a'.repeat(64)]])(
    'accepts the role name %j',
    (role) => {
      const bundle = parseTrustBundle(oneOrg({ issuers: [], roles: { [role]: { ceiling: ['read:*'] } } }))
      expect(Object.keys(bundle.organisations.Acme?.roles ?? {})).toEqual([role])
    },
  )

  describe('rejects, naming the JSON path', () => {
    it.each([
      ['null', null, '$'],
      ['an array', [], '$'],
      ['a string', EXAMPLE, '$'],
      ['a class instance', new Date(), '$'],
      ['a missing type', { version: 1, organisations: {} }, '$'],
      ['a wrong type', { type: 'TrustBundle', version: 1, organisations: {} }, '$.type'],
      ['version 2', { type: 'TesseraTrustBundle', version: 2, organisations: {} }, '$.version'],
      ['version "1"', { type: 'TesseraTrustBundle', version: '1', organisations: {} }, '$.version'],
      ['a missing version', { type: 'TesseraTrustBundle', organisations: {} }, '$'],
      ['missing organisations', { type: 'TesseraTrustBundle', version: 1 }, '$'],
      [
        'an unknown top-level key',
        { type: 'TesseraTrustBundle', version: 1, organisations: {}, extra: 1 },
        '$',
      ],
      [
        'organisations as an array',
        { type: 'TesseraTrustBundle', version: 1, organisations: [] },
        '$.organisations',
      ],
      [
        'an organisation that is not an object',
        oneOrg('x' as unknown as Record<string, unknown>),
        '$.organisations["Acme"]',
      ],
      [
        'an unknown organisation key',
        oneOrg({ issuers: [], roles: {}, admins: [] }),
        '$.organisations["Acme"]',
      ],
      ['missing issuers', oneOrg({ roles: {} }), '$.organisations["Acme"]'],
      ['missing roles', oneOrg({ issuers: [] }), '$.organisations["Acme"]'],
      ['issuers as a string', oneOrg({ issuers: ACME_ISSUER, roles: {} }), '$.organisations["Acme"].issuers'],
      [
        'a non-DID issuer',
        oneOrg({ issuers: ['acme.example'], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      ['an issuer "did:"', oneOrg({ issuers: ['did:'], roles: {} }), '$.organisations["Acme"].issuers[0]'],
      [
        'an issuer with no id',
        oneOrg({ issuers: ['did:key:'], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      [
        'an upper-case method',
        oneOrg({ issuers: ['did:KEY:z6Mk'], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      [
        'a DID URL',
        oneOrg({ issuers: [`${ACME_ISSUER}#key-1`], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      [
        'a DID with a space',
        oneOrg({ issuers: ['did:key:z6 Mk'], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      [
        'an over-long DID',
        oneOrg({ issuers: [`did:key:${'z'.repeat(2050)}`], roles: {} }),
        '$.organisations["Acme"].issuers[0]',
      ],
      ['a non-string issuer', oneOrg({ issuers: [42], roles: {} }), '$.organisations["Acme"].issuers[0]'],
      [
        'a duplicate issuer',
        oneOrg({ issuers: [ACME_ISSUER, ACME_ISSUER], roles: {} }),
        '$.organisations["Acme"].issuers[1]',
      ],
      [
        'a sparse issuers array',
        oneOrg({
          issuers: Object.assign(new Array<string>(3), { 0: ACME_ISSUER, 2: ACME_STATUS }),
          roles: {},
        }),
        '$.organisations["Acme"].issuers[1]',
      ],
      [
        'a bad status issuer',
        oneOrg({ issuers: [], roles: {}, statusIssuers: ['x'] }),
        '$.organisations["Acme"].statusIssuers[0]',
      ],
      [
        'statusIssuers as null',
        oneOrg({ issuers: [], roles: {}, statusIssuers: null }),
        '$.organisations["Acme"].statusIssuers',
      ],
      ['roles as an array', oneOrg({ issuers: [], roles: [] }), '$.organisations["Acme"].roles'],
      [
        'a role that is not an object',
        oneOrg({ issuers: [], roles: { r: ['read:*'] } }),
        '$.organisations["Acme"].roles["r"]',
      ],
      [
        'a role without ceiling',
        oneOrg({ issuers: [], roles: { r: {} } }),
        '$.organisations["Acme"].roles["r"]',
      ],
      [
        'an unknown role key',
        oneOrg({ issuers: [], roles: { r: { ceiling: ['read:*'], floor: [] } } }),
        '$.organisations["Acme"].roles["r"]',
      ],
      [
        'an empty ceiling',
        oneOrg({ issuers: [], roles: { r: { ceiling: [] } } }),
        '$.organisations["Acme"].roles["r"].ceiling',
      ],
      [
        'an invalid permission',
        oneOrg({ issuers: [], roles: { r: { ceiling: ['read:a/../b'] } } }),
        '$.organisations["Acme"].roles["r"].ceiling[0]',
      ],
      [
        'an object permission',
        oneOrg({ issuers: [], roles: { r: { ceiling: [{ action: 'read', resource: '*' }] } } }),
        '$.organisations["Acme"].roles["r"].ceiling[0]',
      ],
      [
        'a duplicate permission',
        oneOrg({ issuers: [], roles: { r: { ceiling: ['read:*', 'write:*', 'read:*'] } } }),
        '$.organisations["Acme"].roles["r"].ceiling[2]',
      ],
    ])('%s', (_name, input, path) => {
      invalidAt(input, path)
    })

    it('an issuer trusted by two organisations', () => {
      const input = {
        type: 'TesseraTrustBundle',
        version: 1,
        organisations: {
          Acme: { issuers: [ACME_ISSUER], roles: {} },
          Evil: { issuers: [ACME_ISSUER], roles: {} },
        },
      }
      const err = invalidAt(input, '$.organisations["Evil"].issuers[0]')
      expect(err.message).toContain('already an issuer of organisation "Acme"')
    })

    it.each([
      [''],
      [' Acme'],
      ['Acme '],
      ['A\nB'],
      ['A\u0000'],
      ['-Acme'],
      ['Ac\u202eme'],
      ['x'.repeat(129)],
    ])('the organisation name %j', (name) => {
      invalidAt(oneOrg({ issuers: [], roles: {} }, name), `$.organisations[${JSON.stringify(name)}]`)
    })

    it.each([[''], ['-agent'], ['support agent'], ['agent/1'], ['agént'], ['a'.repeat(65)]])(
      'the role name %j',
      (role) => {
        invalidAt(
          oneOrg({ issuers: [], roles: { [role]: { ceiling: ['read:*'] } } }),
          `$.organisations["Acme"].roles[${JSON.stringify(role)}]`,
        )
      },
    )

    it('accessor, inherited and symbol-keyed properties', () => {
      const getter = Object.defineProperty({ version: 1, organisations: {} }, 'type', {
        get: () => 'TesseraTrustBundle',
        enumerable: true,
      })
      invalidAt(getter, '$["type"]')
      const inherited = Object.create({ type: 'TesseraTrustBundle', version: 1, organisations: {} }) as object
      invalidAt(inherited, '$')
      invalidAt({ type: 'TesseraTrustBundle', version: 1, organisations: {}, [Symbol('x')]: 1 }, '$')
    })
  })

  describe('caps', () => {
    const orgs = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`Org ${i}`, { issuers: [`did:key:z${i}`], roles: {} }]),
      )

    it('accepts 1,000 organisations and rejects 1,001', () => {
      const ok = parseTrustBundle({ type: 'TesseraTrustBundle', version: 1, organisations: orgs(1_000) })
      expect(Object.keys(ok.organisations)).toHaveLength(1_000)
      invalidAt({ type: 'TesseraTrustBundle', version: 1, organisations: orgs(1_001) }, '$.organisations')
    })

    it('rejects 1,001 roles, issuers, status issuers or ceiling entries', () => {
      const roles = Object.fromEntries(
        Array.from({ length: 1_001 }, (_, i) => [`r${i}`, { ceiling: ['read:*'] }]),
      )
      const dids = Array.from({ length: 1_001 }, (_, i) => `did:key:z${i}`)
      const ceiling = Array.from({ length: 1_001 }, (_, i) => `read:r${i}`)
      invalidAt(oneOrg({ issuers: [], roles }), '$.organisations["Acme"].roles')
      invalidAt(oneOrg({ issuers: dids, roles: {} }), '$.organisations["Acme"].issuers')
      invalidAt(
        oneOrg({ issuers: [], roles: {}, statusIssuers: dids }),
        '$.organisations["Acme"].statusIssuers',
      )
      invalidAt(
        oneOrg({ issuers: [], roles: { r: { ceiling } } }),
        '$.organisations["Acme"].roles["r"].ceiling',
      )
      expect(
        parseTrustBundle(oneOrg({ issuers: dids.slice(1), roles: { r: { ceiling: ceiling.slice(1) } } }))
          .organisations.Acme?.issuers,
      ).toHaveLength(1_000)
    })
  })

  describe('prototype pollution probes', () => {
    it('rejects "__proto__" as an organisation name from JSON.parse, without polluting', () => {
      const input = JSON.parse(
        `{"type":"TesseraTrustBundle","version":1,"organisations":{"__proto__":{"issuers":["${ACME_ISSUER}"],"roles":{"admin":{"ceiling":["*:*"]}},"polluted":true}}}`,
      )
      const err = invalidAt(input, '$.organisations["__proto__"]')
      expect(err.message).toContain('reserved')
      expectPristinePrototype()
    })

    it('rejects a top-level "__proto__" key', () => {
      const input = JSON.parse(
        '{"type":"TesseraTrustBundle","version":1,"organisations":{},"__proto__":{"polluted":1}}',
      )
      invalidAt(input, '$')
      expectPristinePrototype()
    })

    it.each([
      ['__proto__'],
      ['constructor'],
      ['prototype'],
      ['hasOwnProperty'],
      ['toString'],
      ['valueOf'],
      ['__defineGetter__'],
    ])('rejects %j as an organisation name and as a role name', (name) => {
      const asOrg = JSON.parse(
        `{"type":"TesseraTrustBundle","version":1,"organisations":{${JSON.stringify(name)}:{"issuers":[],"roles":{}}}}`,
      )
      invalidAt(asOrg, `$.organisations[${JSON.stringify(name)}]`)
      const asRole = JSON.parse(
        `{"type":"TesseraTrustBundle","version":1,"organisations":{"Acme":{"issuers":[],"roles":{${JSON.stringify(name)}:{"ceiling":["*:*"]}}}}}`,
      )
      invalidAt(asRole, `$.organisations["Acme"].roles[${JSON.stringify(name)}]`)
      expectPristinePrototype()
    })
  })
})

describe('emptyTrustBundle', () => {
  it('trusts nothing and is valid', () => {
    const bundle = emptyTrustBundle()
    expect(JSON.parse(JSON.stringify(bundle))).toEqual({
      type: 'TesseraTrustBundle',
      version: 1,
      organisations: {},
    })
    expect(parseTrustBundle(bundle)).toBe(bundle)
    expect(Object.isFrozen(bundle)).toBe(true)
  })
})

describe('addTrust', () => {
  it('creates an organisation with an issuer and a role ceiling', () => {
    const before = emptyTrustBundle()
    const after = addTrust(before, {
      org: 'Acme',
      issuer: ACME_ISSUER,
      role: 'support-agent',
      permissions: ['read:tickets/*', { action: 'write', resource: 'tickets/*' }],
    })
    expect(JSON.parse(JSON.stringify(after))).toEqual({
      type: 'TesseraTrustBundle',
      version: 1,
      organisations: {
        Acme: {
          issuers: [ACME_ISSUER],
          roles: { 'support-agent': { ceiling: ['read:tickets/*', 'write:tickets/*'] } },
        },
      },
    })
    expect(Object.keys(before.organisations)).toEqual([])
    expect(Object.isFrozen(after)).toBe(true)
  })

  it('adds an issuer once and extends a ceiling with what it does not list yet', () => {
    let bundle = addTrust(emptyTrustBundle(), { org: 'Acme', role: 'r', permissions: ['read:a/*'] })
    const snapshot = JSON.stringify(bundle)
    bundle = addTrust(bundle, { org: 'Acme', issuer: ACME_ISSUER })
    bundle = addTrust(bundle, {
      org: 'Acme',
      issuer: ACME_ISSUER,
      role: 'r',
      permissions: ['read:a/*', 'write:a/*'],
    })
    bundle = addTrust(bundle, { org: 'Acme', role: 'other', permissions: ['*:*'] })
    expect(bundle.organisations.Acme?.issuers).toEqual([ACME_ISSUER])
    expect(bundle.organisations.Acme?.roles.r?.ceiling).toEqual(['read:a/*', 'write:a/*'])
    expect(bundle.organisations.Acme?.roles.other?.ceiling).toEqual(['*:*'])
    expect(
      JSON.stringify(addTrust(emptyTrustBundle(), { org: 'Acme', role: 'r', permissions: ['read:a/*'] })),
    ).toBe(snapshot)
  })

  it('keeps an explicit statusIssuers list as it is', () => {
    const base = parseTrustBundle(example())
    const after = addTrust(base, { org: 'Acme', issuer: 'did:key:z6MkNew' })
    expect(after.organisations.Acme?.issuers).toEqual([ACME_ISSUER, 'did:key:z6MkNew'])
    expect(after.organisations.Acme?.statusIssuers).toEqual([ACME_STATUS])
  })

  it('refuses an issuer that already belongs to another organisation', () => {
    const base = parseTrustBundle(example())
    const err = thrown(() => addTrust(base, { org: 'Globex Corp.', issuer: ACME_ISSUER }))
    expect(err.code).toBe('ERR_TRUST_BUNDLE_INVALID')
    expect(err.message).toContain('"Acme"')
  })

  it.each([
    ['a bad organisation name', { org: ' Acme', issuer: ACME_ISSUER }, 'ERR_INPUT_INVALID', '"org"'],
    ['a reserved organisation name', { org: '__proto__', issuer: ACME_ISSUER }, 'ERR_INPUT_INVALID', '"org"'],
    ['a bad issuer', { org: 'Acme', issuer: 'acme' }, 'ERR_INPUT_INVALID', '"issuer"'],
    ['neither issuer nor role', { org: 'Acme' }, 'ERR_INPUT_INVALID', '"issuer" or "role"'],
    ['a role without permissions', { org: 'Acme', role: 'r' }, 'ERR_INPUT_INVALID', '"permissions"'],
    [
      'a role with no permissions',
      { org: 'Acme', role: 'r', permissions: [] },
      'ERR_INPUT_INVALID',
      '"permissions"',
    ],
    [
      'permissions without a role',
      { org: 'Acme', issuer: ACME_ISSUER, permissions: ['read:*'] },
      'ERR_INPUT_INVALID',
      '"permissions"',
    ],
    [
      'a reserved role name',
      { org: 'Acme', role: 'constructor', permissions: ['read:*'] },
      'ERR_INPUT_INVALID',
      '"role"',
    ],
    ['a bad role name', { org: 'Acme', role: 'a b', permissions: ['read:*'] }, 'ERR_INPUT_INVALID', '"role"'],
    [
      'a bad permission',
      { org: 'Acme', role: 'r', permissions: ['read:a b'] },
      'ERR_PERMISSION_INVALID',
      '"permission"',
    ],
    [
      'a bad object permission',
      { org: 'Acme', role: 'r', permissions: [{ action: '', resource: 'x' }] },
      'ERR_PERMISSION_INVALID',
      '"permission"',
    ],
  ])('rejects %s', (_name, options, code, mention) => {
    const err = thrown(() => addTrust(emptyTrustBundle(), options as Parameters<typeof addTrust>[1]))
    expect(err.code).toBe(code)
    expect(err.message).toContain(mention)
  })

  it('rejects an invalid bundle', () => {
    const err = thrown(() =>
      addTrust({ type: 'x' } as unknown as TrustBundle, { org: 'Acme', issuer: ACME_ISSUER }),
    )
    expect(err.code).toBe('ERR_TRUST_BUNDLE_INVALID')
  })

  it('enforces the caps', () => {
    const orgs = Object.fromEntries(
      Array.from({ length: 1_000 }, (_, i) => [`Org ${i}`, { issuers: [], roles: {} }]),
    )
    const bundle = parseTrustBundle({ type: 'TesseraTrustBundle', version: 1, organisations: orgs })
    expect(thrown(() => addTrust(bundle, { org: 'One more', issuer: ACME_ISSUER })).code).toBe(
      'ERR_TRUST_BUNDLE_INVALID',
    )
  })
})

describe('removeTrust', () => {
  const base = () =>
    parseTrustBundle({
      type: 'TesseraTrustBundle',
      version: 1,
      organisations: {
        Acme: {
          issuers: [ACME_ISSUER, 'did:key:z6MkSecond'],
          roles: { a: { ceiling: ['read:*'] }, b: { ceiling: ['write:*'] } },
          statusIssuers: [ACME_ISSUER, ACME_STATUS],
        },
        Globex: { issuers: [GLOBEX_ISSUER], roles: {} },
      },
    })

  it('removes a whole organisation', () => {
    const before = base()
    const after = removeTrust(before, { org: 'Acme' })
    expect(Object.keys(after.organisations)).toEqual(['Globex'])
    expect(Object.keys(before.organisations)).toEqual(['Acme', 'Globex'])
  })

  it('removes an issuer from issuers and from an explicit statusIssuers', () => {
    const after = removeTrust(base(), { org: 'Acme', issuer: ACME_ISSUER })
    expect(after.organisations.Acme?.issuers).toEqual(['did:key:z6MkSecond'])
    expect(after.organisations.Acme?.statusIssuers).toEqual([ACME_STATUS])
    const statusOnly = removeTrust(base(), { org: 'Acme', issuer: ACME_STATUS })
    expect(statusOnly.organisations.Acme?.statusIssuers).toEqual([ACME_ISSUER])
    expect(statusOnly.organisations.Acme?.issuers).toEqual([ACME_ISSUER, 'did:key:z6MkSecond'])
  })

  it('removes a role, or a role and an issuer', () => {
    expect(
      Object.keys(removeTrust(base(), { org: 'Acme', role: 'a' }).organisations.Acme?.roles ?? {}),
    ).toEqual(['b'])
    const both = removeTrust(base(), { org: 'Acme', role: 'b', issuer: 'did:key:z6MkSecond' })
    expect(Object.keys(both.organisations.Acme?.roles ?? {})).toEqual(['a'])
    expect(both.organisations.Acme?.issuers).toEqual([ACME_ISSUER])
  })

  it.each([
    ['an unknown organisation', { org: 'Initech' }, '"org"'],
    ['an inherited organisation name', { org: 'toString' }, '"org"'],
    ['an organisation named __proto__', { org: '__proto__' }, '"org"'],
    ['an unknown issuer', { org: 'Acme', issuer: GLOBEX_ISSUER }, '"issuer"'],
    ['an unknown role', { org: 'Acme', role: 'c' }, '"role"'],
    ['an inherited role name', { org: 'Acme', role: 'hasOwnProperty' }, '"role"'],
  ])('rejects %s', (_name, options, mention) => {
    const err = thrown(() => removeTrust(base(), options))
    expect(err.code).toBe('ERR_INPUT_INVALID')
    expect(err.message).toContain(mention)
  })
})

describe('trustBundleHash', () => {
  it('is SHA-256 hex over the RFC 8785 canonical JSON', () => {
    const bundle = parseTrustBundle(oneOrg({ issuers: [ACME_ISSUER], roles: { r: { ceiling: ['read:*'] } } }))
    const canonical = `{"organisations":{"Acme":{"issuers":["${ACME_ISSUER}"],"roles":{"r":{"ceiling":["read:*"]}}}},"type":"TesseraTrustBundle","version":1}`
    expect(trustBundleHash(bundle)).toBe(createHash('sha256').update(canonical).digest('hex'))
    expect(trustBundleHash(bundle)).toMatch(/^[0-9a-f]{64}$/)
    expect(trustBundleHash(emptyTrustBundle())).toBe(
      createHash('sha256')
        .update('{"organisations":{},"type":"TesseraTrustBundle","version":1}')
        .digest('hex'),
    )
  })

  it('ignores key order and whitespace, but not content or array order', () => {
    const a = parseTrustBundle(example())
    const reordered = JSON.parse(
      `{"organisations":{"Globex Corp.":{"roles":{},"issuers":["${GLOBEX_ISSUER}"]},"Acme":{"statusIssuers":["${ACME_STATUS}"],"roles":{"support-agent":{"ceiling":["read:tickets/*","write:tickets/*"]}},"issuers":["${ACME_ISSUER}"]}},"version":1,"type":"TesseraTrustBundle"}`,
    )
    expect(trustBundleHash(reordered)).toBe(trustBundleHash(a))
    const swapped = example()
    const role = (swapped.organisations as Record<string, { roles: Record<string, { ceiling: string[] }> }>)
      .Acme?.roles['support-agent']
    role?.ceiling.reverse()
    expect(trustBundleHash(parseTrustBundle(swapped))).not.toBe(trustBundleHash(a))
    expect(trustBundleHash(removeTrust(a, { org: 'Globex Corp.' }))).not.toBe(trustBundleHash(a))
  })

  it('rejects an invalid bundle', () => {
    expect(thrown(() => trustBundleHash({} as TrustBundle)).code).toBe('ERR_TRUST_BUNDLE_INVALID')
  })
})

describe('loadTrustBundle / saveTrustBundle', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-policy-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trips through a file, atomically and without leftovers', async () => {
    const path = join(dir, 'round-trip.json')
    const bundle = parseTrustBundle(example())
    await saveTrustBundle(path, bundle)
    const loaded = await loadTrustBundle(path)
    expect(loaded).toEqual(bundle)
    expect(trustBundleHash(loaded)).toBe(trustBundleHash(bundle))
    const text = await readFile(path, 'utf8')
    expect(text.endsWith('}\n')).toBe(true)
    await saveTrustBundle(path, removeTrust(bundle, { org: 'Acme' }))
    expect(Object.keys((await loadTrustBundle(path)).organisations)).toEqual(['Globex Corp.'])
    expect((await readdir(dir)).filter((name) => name.includes('round-trip'))).toEqual(['round-trip.json'])
  })

  it('loads the documented example, with or without a byte order mark', async () => {
    const path = join(dir, 'bom.json')
    await writeFile(path, `\ufeff${EXAMPLE}`)
    expect(Object.keys((await loadTrustBundle(path)).organisations)).toEqual(['Acme', 'Globex Corp.'])
  })

  it('rejects invalid JSON, invalid UTF-8 and invalid bundles with ERR_TRUST_BUNDLE_INVALID', async () => {
    const cases: [string, string | Buffer, string][] = [
      ['not-json.json', '{"type": ', 'not valid JSON'],
      ['utf8.json', Buffer.from([0x7b, 0xff, 0x7d]), 'UTF-8'],
      [
        'bundle.json',
        '{"type":"TesseraTrustBundle","version":1,"organisations":{"Acme":{"issuers":["x"],"roles":{}}}}',
        '$.organisations["Acme"].issuers[0]',
      ],
      ['empty.json', '', 'not valid JSON'],
    ]
    for (const [name, content, mention] of cases) {
      const path = join(dir, name)
      await writeFile(path, content)
      const err = await loadTrustBundle(path).then(
        () => undefined,
        (e: unknown) => e as TesseraError,
      )
      expect(err).toBeInstanceOf(InputError)
      expect(err?.code).toBe('ERR_TRUST_BUNDLE_INVALID')
      expect(err?.message).toContain(path)
      expect(err?.message).toContain(mention)
    }
  })

  it('rejects a file over 4 MiB before parsing it', async () => {
    const path = join(dir, 'big.json')
    await writeFile(path, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20))
    await expect(loadTrustBundle(path)).rejects.toMatchObject({ code: 'ERR_TRUST_BUNDLE_INVALID' })
    const justFits = join(dir, 'fits.json')
    const text = '{"type":"TesseraTrustBundle","version":1,"organisations":{}}'
    await writeFile(justFits, text + ' '.repeat(4 * 1024 * 1024 - text.length))
    expect(await loadTrustBundle(justFits)).toEqual(emptyTrustBundle())
  })

  it('reports a missing file or a directory as ERR_IO', async () => {
    const missing = loadTrustBundle(join(dir, 'missing.json'))
    await expect(missing).rejects.toBeInstanceOf(EnvironmentError)
    await expect(missing).rejects.toMatchObject({ code: 'ERR_IO' })
    await mkdir(join(dir, 'a-directory'))
    await expect(loadTrustBundle(join(dir, 'a-directory'))).rejects.toMatchObject({ code: 'ERR_IO' })
  })

  it('refuses to save an invalid bundle or into a missing directory', async () => {
    await expect(saveTrustBundle(join(dir, 'x.json'), {} as TrustBundle)).rejects.toMatchObject({
      code: 'ERR_TRUST_BUNDLE_INVALID',
    })
    await expect(
      saveTrustBundle(join(dir, 'no', 'such', 'x.json'), emptyTrustBundle()),
    ).rejects.toMatchObject({
      code: 'ERR_IO',
    })
    expect(await readdir(dir)).not.toContain('x.json')
  })

  it('rejects an empty path', async () => {
    await expect(loadTrustBundle('')).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
    await expect(saveTrustBundle('', emptyTrustBundle())).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })
})
