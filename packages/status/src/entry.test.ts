import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { buildEntry, parseEntry } from './entry.js'

// Bitstring Status List v1.0 §2.1 Example 1, first entry.
const REVOCATION_ENTRY = {
  id: 'https://example.com/credentials/status/3#94567',
  type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation',
  statusListIndex: '94567',
  statusListCredential: 'https://example.com/credentials/status/3',
}

// §2.1 Example 2, with the four messages a two-bit entry needs (listed out of order on purpose).
const MESSAGE_ENTRY = {
  id: 'https://example.com/credentials/status/8#492847',
  type: 'BitstringStatusListEntry',
  statusPurpose: 'message',
  statusListIndex: '492847',
  statusSize: 2,
  statusListCredential: 'https://example.com/credentials/status/8',
  statusMessage: [
    { status: '0x0', message: 'pending_review' },
    { status: '0x2', message: 'rejected' },
    { status: '0x1', message: 'accepted' },
    { status: '0x3', message: 'undefined', note: 'extra properties are allowed' },
  ],
  statusReference: 'https://example.org/status-dictionary/',
}

const MALFORMED: [string, string] = ['ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR']
const withEntry = (patch: Record<string, unknown>) => ({ ...REVOCATION_ENTRY, ...patch })
const without = (key: string) =>
  Object.fromEntries(Object.entries(REVOCATION_ENTRY).filter(([k]) => k !== key))

describe('parseEntry', () => {
  it('parses the spec example entry (§2.1)', () => {
    expect(parseEntry(REVOCATION_ENTRY)).toEqual({
      id: 'https://example.com/credentials/status/3#94567',
      statusPurpose: 'revocation',
      statusListIndex: '94567',
      index: 94_567,
      statusListCredential: 'https://example.com/credentials/status/3',
      statusSize: 1,
      statusMessage: undefined,
      statusReference: undefined,
    })
  })

  it('accepts each status purpose, index "0" and a missing id', () => {
    for (const statusPurpose of ['revocation', 'suspension', 'refresh', 'message']) {
      expect(parseEntry(withEntry({ statusPurpose })).statusPurpose).toBe(statusPurpose)
    }
    expect(parseEntry(withEntry({ statusListIndex: '0' })).index).toBe(0)
    expect(parseEntry(without('id')).id).toBeUndefined()
    expect(parseEntry(withEntry({ statusListIndex: '9007199254740991' })).index).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('parses statusSize 2 with its messages, in value order', () => {
    const entry = parseEntry(MESSAGE_ENTRY)
    expect(entry.statusSize).toBe(2)
    expect(entry.index).toBe(492_847)
    expect(entry.statusMessage).toEqual([
      { status: '0x0', message: 'pending_review' },
      { status: '0x1', message: 'accepted' },
      { status: '0x2', message: 'rejected' },
      { status: '0x3', message: 'undefined' },
    ])
    expect(entry.statusReference).toBe('https://example.org/status-dictionary/')
  })

  describe('refuses a statusListIndex that is not a base-10 string (§2.1)', () => {
    const cases: [unknown, string][] = [
      ['0x10', '"0x10"'],
      ['-1', '"-1"'],
      ['01', '"01"'],
      [' 1', '" 1"'],
      ['1 ', '"1 "'],
      ['1.0', '"1.0"'],
      ['+1', '"+1"'],
      ['1e3', '"1e3"'],
      ['', '""'],
      ['١', '"١"'],
      [1, 'number 1'],
      [null, 'null'],
      [['1'], 'an array'],
    ]
    for (const [statusListIndex, shown] of cases) {
      it(JSON.stringify(statusListIndex), () => {
        const err = expectError(() => parseEntry(withEntry({ statusListIndex })), ...MALFORMED)
        expect(err.message).toBe(`"statusListIndex" must be a base-10 string, got ${shown}`)
      })
    }
    it('missing', () => {
      const err = expectError(() => parseEntry(without('statusListIndex')), ...MALFORMED)
      expect(err.message).toBe('"statusListIndex" must be a base-10 string, got undefined')
    })
  })

  it('refuses a huge statusListIndex with RANGE_ERROR: no list reaches it (§3.2 step 10)', () => {
    for (const statusListIndex of [
      '9007199254740992',
      '99999999999999999999999999999999',
      '1'.padEnd(500, '0'),
    ]) {
      expectError(() => parseEntry(withEntry({ statusListIndex })), 'ERR_STATUS_RANGE', 'RANGE_ERROR')
    }
  })

  it('refuses a wrong or missing type', () => {
    for (const type of ['StatusList2021Entry', ['BitstringStatusListEntry'], undefined]) {
      expectError(() => parseEntry(withEntry({ type })), ...MALFORMED)
    }
    expectError(() => parseEntry(without('type')), ...MALFORMED)
  })

  it('refuses an unknown or missing statusPurpose', () => {
    for (const statusPurpose of ['revoked', 'Revocation', '', 1, ['revocation']]) {
      expectError(() => parseEntry(withEntry({ statusPurpose })), ...MALFORMED)
    }
    expectError(() => parseEntry(without('statusPurpose')), ...MALFORMED)
  })

  it('refuses a statusListCredential that is not a URL', () => {
    for (const statusListCredential of [
      'not a url',
      '/relative/path',
      '',
      42,
      `https://e.com/${'a'.repeat(5000)}`,
    ]) {
      expectError(() => parseEntry(withEntry({ statusListCredential })), ...MALFORMED)
    }
    expectError(() => parseEntry(without('statusListCredential')), ...MALFORMED)
  })

  it('refuses an id that is not a URL or is the status list URL (§2.1)', () => {
    expectError(() => parseEntry(withEntry({ id: 'nope' })), ...MALFORMED)
    expectError(() => parseEntry(withEntry({ id: 7 })), ...MALFORMED)
    const err = expectError(
      () => parseEntry(withEntry({ id: REVOCATION_ENTRY.statusListCredential })),
      ...MALFORMED,
    )
    expect(err.message).toMatch(/must not be the URL of the status list/)
  })

  it('refuses a statusSize that is not a positive integer (at most 8)', () => {
    for (const statusSize of [0, -1, 1.5, '2', 9, null]) {
      expectError(() => parseEntry(withEntry({ statusSize })), ...MALFORMED)
    }
  })

  it('requires statusMessage when statusSize is greater than 1 (§2.1)', () => {
    const { statusMessage: _, ...noMessages } = MESSAGE_ENTRY
    const err = expectError(() => parseEntry(noMessages), ...MALFORMED)
    expect(err.message).toMatch(/"statusMessage" must be present/)
  })

  it('refuses a statusMessage that does not list every value once', () => {
    const messages = MESSAGE_ENTRY.statusMessage
    const cases: unknown[] = [
      messages.slice(0, 3), // 3 of 4
      [...messages, { status: '0x4', message: 'x' }], // 5
      [messages[0], messages[1], messages[2], { status: '0x4', message: 'too big' }],
      [messages[0], messages[1], messages[2], { status: '0x1', message: 'twice' }],
      [messages[0], messages[1], messages[2], { status: '3', message: 'no 0x' }],
      [messages[0], messages[1], messages[2], { status: 3, message: 'number' }],
      [messages[0], messages[1], messages[2], { status: '0x3' }],
      [messages[0], messages[1], messages[2], 'not an object'],
      'not an array',
    ]
    for (const statusMessage of cases) {
      expectError(() => parseEntry({ ...MESSAGE_ENTRY, statusMessage }), ...MALFORMED)
    }
    // statusSize 1 may carry two messages, and no other count.
    expect(
      parseEntry(
        withEntry({
          statusMessage: [
            { status: '0x1', message: 'revoked' },
            { status: '0x0', message: 'valid' },
          ],
        }),
      ).statusMessage?.[1],
    ).toEqual({ status: '0x1', message: 'revoked' })
    expectError(() => parseEntry(withEntry({ statusMessage: [messages[0]] })), ...MALFORMED)
  })

  it('refuses a statusReference that is not a URL or an array of URLs', () => {
    for (const statusReference of ['nope', [], ['https://e.com/', 'nope'], 3]) {
      expectError(() => parseEntry(withEntry({ statusReference })), ...MALFORMED)
    }
    expect(parseEntry(withEntry({ statusReference: ['https://e.com/a'] })).statusReference).toEqual([
      'https://e.com/a',
    ])
  })

  it('reads own properties only', () => {
    const inherited = Object.create(REVOCATION_ENTRY) as Record<string, unknown>
    expectError(() => parseEntry(inherited), ...MALFORMED)
    const partlyInherited = Object.assign(
      Object.create({ statusListIndex: '5' }) as object,
      without('statusListIndex'),
    )
    expectError(() => parseEntry(partlyInherited), ...MALFORMED)
  })

  it('refuses a value that is not an object', () => {
    for (const value of [null, 'entry', [REVOCATION_ENTRY], 1])
      expectError(() => parseEntry(value), ...MALFORMED)
  })
})

describe('buildEntry', () => {
  it('builds an entry that parses back', () => {
    const entry = buildEntry({
      id: 'https://issuer.example/status/1#77',
      purpose: 'suspension',
      index: 77,
      listCredential: 'https://issuer.example/status/1',
    })
    expect(entry).toEqual({
      id: 'https://issuer.example/status/1#77',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'suspension',
      statusListIndex: '77',
      statusListCredential: 'https://issuer.example/status/1',
    })
    expect(parseEntry(JSON.parse(JSON.stringify(entry))).index).toBe(77)
  })

  it('builds a two-bit message entry', () => {
    const statusMessage = ['0x0', '0x1', '0x2', '0x3'].map((status) => ({ status, message: `m${status}` }))
    const entry = buildEntry({
      purpose: 'message',
      index: 0,
      listCredential: 'https://issuer.example/status/2',
      statusSize: 2,
      statusMessage,
    })
    expect(entry.statusSize).toBe(2)
    expect(entry.id).toBeUndefined()
    expect(parseEntry(entry).statusMessage).toEqual(statusMessage)
  })

  it('refuses what parseEntry would refuse, with ERR_INPUT_INVALID', () => {
    const base = {
      purpose: 'revocation' as const,
      index: 1,
      listCredential: 'https://issuer.example/status/1',
    }
    for (const index of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expectError(() => buildEntry({ ...base, index }), 'ERR_INPUT_INVALID', undefined)
    }
    // Refusals found by parseEntry keep their spec error in the details.
    expectError(() => buildEntry({ ...base, statusSize: 2 }), 'ERR_INPUT_INVALID', 'MALFORMED_VALUE_ERROR')
    expectError(
      () => buildEntry({ ...base, listCredential: 'nope' }),
      'ERR_INPUT_INVALID',
      'MALFORMED_VALUE_ERROR',
    )
    expectError(
      () => buildEntry({ ...base, id: 'https://issuer.example/status/1' }),
      'ERR_INPUT_INVALID',
      'MALFORMED_VALUE_ERROR',
    )
    expectError(
      () => buildEntry({ ...base, purpose: 'other' as 'revocation' }),
      'ERR_INPUT_INVALID',
      'MALFORMED_VALUE_ERROR',
    )
  })
})
