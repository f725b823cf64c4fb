import { InputError, type Permission } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import {
  formatPermission,
  intersectPermissions,
  parsePermission,
  permissionCovers,
  validatePermission,
  validateRequest,
} from './permission.js'

/** The error thrown by `fn`, asserting it is an InputError. */
function thrown(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected a throw')
}

const p = (text: string): Permission => parsePermission(text)

describe('parsePermission', () => {
  it.each([
    ['read:tickets/*', 'read', 'tickets/*'],
    ['*:reports/2026', '*', 'reports/2026'],
    ['write:tickets/42', 'write', 'tickets/42'],
    ['*:*', '*', '*'],
    ['read:*', 'read', '*'],
    ['read:tick*', 'read', 'tick*'],
    ['a:x', 'a', 'x'],
    ['tickets.read-all_v2:a/b/c', 'tickets.read-all_v2', 'a/b/c'],
    ['read:A-Z.a_z~0-9/.hidden/..x/x..', 'read', 'A-Z.a_z~0-9/.hidden/..x/x..'],
    [`${'a'.repeat(64)}:x`, 'a'.repeat(64), 'x'],
    [`read:${'r'.repeat(256)}`, 'read', 'r'.repeat(256)],
    [`read:${'r'.repeat(255)}*`, 'read', `${'r'.repeat(255)}*`],
  ])('accepts %s', (text, action, resource) => {
    expect(parsePermission(text)).toEqual({ action, resource })
  })

  it.each([
    ['', 'missing ":"'],
    ['read', 'missing ":"'],
    ['read:', 'resource must not be empty'],
    [':tickets', 'action must not be empty'],
    ['read:tickets:42', 'only one ":"'],
    ['read::tickets', 'only one ":"'],
    ['Read:tickets', 'action must be'],
    ['1read:tickets', 'action must be'],
    ['re ad:tickets', 'action must be'],
    ['**:tickets', 'action must be'],
    ['re*:tickets', 'action must be'],
    [`${'a'.repeat(65)}:x`, 'action must be'],
    [' read:tickets', 'action must be'],
    ['read:tickets ', 'U+0020'],
    ['read: tickets', 'U+0020'],
    ['read:tick\tets', 'U+0009'],
    ['read:tick\nets', 'U+000A'],
    ['read:tick\u0000', 'U+0000'],
    ['read:tick\u007f', 'U+007F'],
    ['read:tick\u00a0', 'U+00A0'],
    ['read:tickets%2F42', '"%"'],
    ['read:tickets/42?x', '"?"'],
    ['read:tickets\\42', '"\\"'],
    ['read:tickéts', 'U+00E9'],
    ['read:/tickets', 'no empty segment'],
    ['read:tickets/', 'no empty segment'],
    ['read:tickets//42', 'no empty segment'],
    ['read:/', 'no empty segment'],
    ['read:/*', 'no empty segment'],
    ['read:tickets//*', 'no empty segment'],
    ['read:.', '"." or ".."'],
    ['read:..', '"." or ".."'],
    ['read:tickets/../admin', '"." or ".."'],
    ['read:tickets/./42', '"." or ".."'],
    ['read:tickets/..', '"." or ".."'],
    ['read:../*', '"." or ".."'],
    ['read:tickets/.*', '"." or ".."'],
    ['read:**', '"*" is only allowed once'],
    ['read:tickets/**', '"*" is only allowed once'],
    ['read:*/tickets', '"*" is only allowed once'],
    ['read:tickets/*/42', '"*" is only allowed once'],
    ['read:ti*ckets', '"*" is only allowed once'],
    [`read:${'r'.repeat(257)}`, 'at most 256'],
    [`read:${'r'.repeat(256)}*`, 'at most 256'],
    [`read:${'r'.repeat(400)}`, 'too long'],
  ])('rejects %j (%s)', (text, reason) => {
    const err = thrown(() => parsePermission(text))
    expect(err.code).toBe('ERR_PERMISSION_INVALID')
    expect(err.message).toMatch(/^"permission" must be ACTION:RESOURCE/)
    expect(err.message).toContain(reason)
    expect(err.message).toContain(', got "')
  })

  it('rejects non-strings', () => {
    for (const value of [undefined, null, 42, {}, ['read:x']]) {
      expect(thrown(() => parsePermission(value as unknown as string)).code).toBe('ERR_PERMISSION_INVALID')
    }
  })

  it('truncates long input in the message', () => {
    const err = thrown(() => parsePermission(`read:${'x'.repeat(300)}`))
    expect(err.message.length).toBeLessThan(300)
    expect(err.message).toContain('…')
  })
})

describe('validatePermission', () => {
  it('accepts the object form and returns a fresh copy', () => {
    const input = { action: 'read', resource: 'tickets/*' }
    const out = validatePermission(input)
    expect(out).toEqual(input)
    expect(out).not.toBe(input)
    expect(validatePermission(JSON.parse('{"resource":"*","action":"*"}'))).toEqual({
      action: '*',
      resource: '*',
    })
    expect(validatePermission(Object.assign(Object.create(null), { action: 'a', resource: 'b' }))).toEqual({
      action: 'a',
      resource: 'b',
    })
  })

  it.each([
    ['null', null],
    ['a string', 'read:tickets/*'],
    ['an array', ['read', 'tickets']],
    ['missing action', { resource: 'x' }],
    ['missing resource', { action: 'read' }],
    ['an extra key', { action: 'read', resource: 'x', note: 'hi' }],
    ['a __proto__ key', JSON.parse('{"action":"read","resource":"x","__proto__":{"admin":true}}')],
    ['a non-string action', { action: 1, resource: 'x' }],
    ['a non-string resource', { action: 'read', resource: ['x'] }],
    ['an invalid action', { action: 'READ', resource: 'x' }],
    ['an invalid resource', { action: 'read', resource: 'a/../b' }],
    ['inherited properties', Object.create({ action: 'read', resource: 'x' })],
    [
      'a class instance',
      new (class P {
        action = 'read'
        resource = 'x'
      })(),
    ],
    [
      'an accessor',
      Object.defineProperty({ resource: 'x' }, 'action', { get: () => 'read', enumerable: true }),
    ],
    ['a symbol key', { action: 'read', resource: 'x', [Symbol('s')]: 1 }],
  ])('rejects %s', (_name, value) => {
    expect(thrown(() => validatePermission(value)).code).toBe('ERR_PERMISSION_INVALID')
  })

  it('names the field and the value in the message', () => {
    const err = thrown(() => validatePermission({ action: 'read', resource: 'a b' }))
    expect(err.message).toMatch(/^"permission" must be an object \{ action, resource \}/)
    expect(err.message).toContain('got "read:a b"')
  })
})

describe('validateRequest', () => {
  it('accepts concrete requests', () => {
    expect(validateRequest({ action: 'read', resource: 'tickets/42' })).toEqual({
      action: 'read',
      resource: 'tickets/42',
    })
  })

  it.each([
    ['*', 'tickets/42', '"action"'],
    ['READ', 'tickets/42', '"action"'],
    ['read', 'tickets/*', '"resource"'],
    ['read', '*', '"resource"'],
    ['read', 'tick*ets', '"resource"'],
    ['read', 'tickets/../admin', '"resource"'],
    ['read', '', '"resource"'],
  ])('rejects %s:%s naming %s', (action, resource, name) => {
    const err = thrown(() => validateRequest({ action, resource }))
    expect(err.code).toBe('ERR_PERMISSION_INVALID')
    expect(err.message.startsWith(name)).toBe(true)
  })
})

describe('formatPermission', () => {
  it('round-trips with parsePermission', () => {
    for (const text of ['read:tickets/*', '*:*', 'write:tickets/42', 'read:tick*']) {
      expect(formatPermission(parsePermission(text))).toBe(text)
    }
  })

  it('refuses to format an invalid permission', () => {
    expect(thrown(() => formatPermission({ action: 'read', resource: 'a:b' })).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
    expect(thrown(() => formatPermission({ action: 'a:b', resource: 'x' })).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
  })
})

describe('permissionCovers', () => {
  const covers = (granted: string, requested: string) => permissionCovers(p(granted), p(requested))

  it.each([
    ['read:tickets/42', 'read:tickets/42', true],
    ['read:tickets/42', 'read:tickets/43', false],
    ['read:tickets/42', 'read:tickets/42/x', false],
    ['read:tickets/42', 'write:tickets/42', false],
    ['*:tickets/42', 'write:tickets/42', true],
    ['read:*', 'read:anything/at/all', true],
    ['read:*', 'write:x', false],
    ['*:*', 'delete:x/y/z', true],
    // prefix wildcard after "/": whole segments below the prefix
    ['read:tickets/*', 'read:tickets/42', true],
    ['read:tickets/*', 'read:tickets/a/b', true],
    ['read:tickets/*', 'read:tickets', false],
    ['read:tickets/*', 'read:ticketsX', false],
    ['read:tickets/*', 'read:ticketsX/1', false],
    ['read:tickets/*', 'read:tick', false],
    ['read:tickets/*', 'read:other/tickets/1', false],
    ['read:a/b/*', 'read:a/b/c/d', true],
    ['read:a/b/*', 'read:a/bc/d', false],
    // "*" not preceded by "/": a plain string prefix (documented)
    ['read:tick*', 'read:tick', true],
    ['read:tick*', 'read:tickets', true],
    ['read:tick*', 'read:tickets/42', true],
    ['read:tick*', 'read:tick-archive/1', true],
    ['read:tick*', 'read:tic', false],
    ['read:tick*', 'read:stick', false],
    ['read:tickets*', 'read:tickets', true],
    ['read:tickets*', 'read:ticketsX', true],
    ['read:tickets/4*', 'read:tickets/42', true],
    ['read:tickets/4*', 'read:tickets/4', true],
    ['read:tickets/4*', 'read:tickets/5', false],
    // actions are exact names: no prefix matching
    ['read:*', 'readall:x', false],
    ['read.x:*', 'read:x', false],
  ])('%s covers %s: %s', (granted, requested, expected) => {
    expect(covers(granted, requested)).toBe(expected)
  })

  it('rejects a non-concrete request', () => {
    for (const requested of ['read:tickets/*', '*:tickets/1', 'read:*', 'read:tick*']) {
      const err = thrown(() => covers('*:*', requested))
      expect(err.code).toBe('ERR_PERMISSION_INVALID')
      expect(err.message).toMatch(/^"requested"/)
    }
  })

  it('rejects an invalid granted pattern', () => {
    const err = thrown(() => permissionCovers({ action: 'read', resource: '**' }, p('read:x')))
    expect(err.code).toBe('ERR_PERMISSION_INVALID')
    expect(err.message).toMatch(/^"granted"/)
  })
})

describe('intersectPermissions', () => {
  const intersect = (granted: string[], ceiling: string[]) =>
    intersectPermissions(granted.map(p), ceiling.map(p)).map(formatPermission)

  it.each([
    [['read:tickets/*'], ['read:tickets/*'], ['read:tickets/*']],
    [['*:*'], ['read:tickets/*', 'write:tickets/*'], ['read:tickets/*', 'write:tickets/*']],
    [['read:tickets/*', 'write:tickets/*'], ['*:*'], ['read:tickets/*', 'write:tickets/*']],
    [['*:tickets/*'], ['read:tickets/42'], ['read:tickets/42']],
    [['read:tickets/42'], ['*:tickets/*'], ['read:tickets/42']],
    [['read:tickets/*'], ['read:tickets/a/*'], ['read:tickets/a/*']],
    [['read:tickets/*'], ['write:tickets/*'], []],
    [['read:tickets/*'], ['read:reports/*'], []],
    [['read:tickets/*'], ['read:tickets'], []],
    [['read:tickets'], ['read:tickets/*'], []],
    [['read:tick*'], ['read:tickets/*'], ['read:tickets/*']],
    [['read:tickets/*'], ['read:tick*'], ['read:tickets/*']],
    [['read:tick*'], ['read:tickets'], ['read:tickets']],
    [['read:tick*'], ['read:ta*'], []],
    [['read:a*'], ['read:ab*'], ['read:ab*']],
    [['*:*'], ['*:*'], ['*:*']],
    [[], ['*:*'], []],
    [['*:*'], [], []],
    // duplicates collapse, first occurrence kept
    [['read:a/*', 'read:a/*'], ['read:*'], ['read:a/*']],
    [['*:a/*', 'read:*'], ['read:a/*'], ['read:a/*']],
  ])('%j ∩ %j = %j', (granted, ceiling, expected) => {
    expect(intersect(granted, ceiling)).toEqual(expected)
  })

  it('returns fresh objects and leaves its inputs alone', () => {
    const granted = [p('read:tickets/*')]
    const ceiling = [p('*:*')]
    const [out] = intersectPermissions(granted, ceiling)
    expect(out).not.toBe(granted[0])
    expect(granted).toEqual([p('read:tickets/*')])
    expect(ceiling).toEqual([p('*:*')])
  })

  it('rejects invalid inputs', () => {
    expect(thrown(() => intersectPermissions([{ action: 'read', resource: '' }], [])).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
    expect(thrown(() => intersectPermissions([], [{ action: 'x y', resource: 'a' }])).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
    expect(thrown(() => intersectPermissions('read:*' as unknown as Permission[], [])).code).toBe(
      'ERR_PERMISSION_INVALID',
    )
  })
})
