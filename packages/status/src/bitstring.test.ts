import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { Bitstring, MAX_STATUS_SIZE, MIN_STATUS_LIST_ENTRIES } from './bitstring.js'

describe('Bitstring', () => {
  it('defaults to the minimum of 131,072 one-bit entries (16 KiB), all zero (§3.3 step 1)', () => {
    const bits = new Bitstring()
    expect(MIN_STATUS_LIST_ENTRIES).toBe(131_072)
    expect(bits.length).toBe(131_072)
    expect(bits.statusSize).toBe(1)
    expect(bits.bytes.length).toBe(16_384)
    expect(bits.bytes.every((b) => b === 0)).toBe(true)
  })

  it('puts index 0 in the most significant bit of the first byte (§2.2, §7.1)', () => {
    const cases: [index: number, byte: number, mask: number][] = [
      [0, 0, 0x80],
      [1, 0, 0x40],
      [7, 0, 0x01],
      [8, 1, 0x80],
      [131_071, 16_383, 0x01],
    ]
    for (const [index, byte, mask] of cases) {
      const bits = new Bitstring()
      bits.set(index, true)
      expect(bits.bytes[byte]).toBe(mask)
      expect(bits.bytes.reduce((n, b) => n + (b === 0 ? 0 : 1), 0)).toBe(1)
      expect(bits.get(index)).toBe(1)
      bits.set(index, 0)
      expect(bits.bytes[byte]).toBe(0)
      expect(bits.get(index)).toBe(0)
    }
  })

  it('packs statusSize 2 entries left to right, most significant bit first', () => {
    const bits = new Bitstring({ statusSize: 2 })
    expect(bits.length).toBe(131_072)
    expect(bits.bytes.length).toBe(32_768)
    bits.set(0, 2) // bits 0-1: 10
    bits.set(1, 1) // bits 2-3: 01
    bits.set(3, 3) // bits 6-7: 11
    expect(bits.bytes[0]).toBe(0b10_01_00_11)
    bits.set(131_071, 1) // the last two bits
    expect(bits.bytes[32_767]).toBe(0b00_00_00_01)
    expect([0, 1, 2, 3, 131_071].map((i) => bits.get(i))).toEqual([2, 1, 0, 3, 1])
    bits.set(3, 0)
    expect(bits.bytes[0]).toBe(0b10_01_00_00)
  })

  it('handles entries that straddle bytes (statusSize 3)', () => {
    const bits = new Bitstring({ statusSize: 3 })
    bits.set(2, 0b101) // bits 6, 7, 8
    expect(bits.bytes[0]).toBe(0b0000_0010)
    expect(bits.bytes[1]).toBe(0b1000_0000)
    expect(bits.get(2)).toBe(5)
    expect(bits.get(1)).toBe(0)
    expect(bits.get(3)).toBe(0)
  })

  it('wraps given bytes without copying', () => {
    const bytes = new Uint8Array(16_384 * 2)
    bytes[0] = 0x80
    const bits = new Bitstring({ bytes })
    expect(bits.length).toBe(262_144)
    expect(bits.get(0)).toBe(1)
    bits.set(1, 1)
    expect(bytes[0]).toBe(0xc0)
  })

  it('refuses an index outside the list with RANGE_ERROR (§3.2 step 10)', () => {
    const bits = new Bitstring()
    for (const index of [131_072, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40]) {
      expectError(() => bits.get(index), 'ERR_STATUS_RANGE', 'RANGE_ERROR')
      expectError(() => bits.set(index, 1), 'ERR_STATUS_RANGE', 'RANGE_ERROR')
    }
  })

  it('refuses a value that does not fit in statusSize bits', () => {
    const one = new Bitstring()
    expectError(() => one.set(0, 2), 'ERR_INPUT_INVALID', undefined)
    const two = new Bitstring({ statusSize: 2 })
    for (const value of [4, -1, 1.5]) expectError(() => two.set(0, value), 'ERR_INPUT_INVALID', undefined)
  })

  it('refuses fewer than 131,072 entries with STATUS_LIST_LENGTH_ERROR', () => {
    expectError(
      () => new Bitstring({ length: 131_064 }),
      'ERR_STATUS_LIST_LENGTH',
      'STATUS_LIST_LENGTH_ERROR',
    )
    expectError(
      () => new Bitstring({ bytes: new Uint8Array(16_383) }),
      'ERR_STATUS_LIST_LENGTH',
      'STATUS_LIST_LENGTH_ERROR',
    )
    // 16 KiB at statusSize 2 is only 65,536 entries: the minimum is 131,072 × statusSize bits.
    const err = expectError(
      () => new Bitstring({ bytes: new Uint8Array(16_384), statusSize: 2 }),
      'ERR_STATUS_LIST_LENGTH',
      'STATUS_LIST_LENGTH_ERROR',
    )
    expect(err.details).toMatchObject({ entries: 65_536, minimum: 131_072, statusSize: 2 })
  })

  it('refuses bytes that are not a whole number of entries', () => {
    const err = expectError(
      () => new Bitstring({ bytes: new Uint8Array(16_384 * 3 + 1), statusSize: 3 }),
      'ERR_STATUS_LIST_LENGTH',
      'STATUS_LIST_LENGTH_ERROR',
    )
    expect(err.message).toMatch(/not a whole number of 3-bit entries/)
  })

  it('refuses a length that is not whole bytes, and bad arguments', () => {
    expectError(() => new Bitstring({ length: 131_073 }), 'ERR_INPUT_INVALID', undefined)
    expectError(() => new Bitstring({ length: 1.5 }), 'ERR_INPUT_INVALID', undefined)
    expectError(() => new Bitstring({ bytes: [0] as unknown as Uint8Array }), 'ERR_INPUT_INVALID', undefined)
  })

  it(`refuses a statusSize that is not an integer from 1 to ${MAX_STATUS_SIZE}`, () => {
    for (const statusSize of [0, -1, 1.5, 9, Number.NaN]) {
      expectError(() => new Bitstring({ statusSize }), 'ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR')
    }
    expect(new Bitstring({ statusSize: 8 }).bytes.length).toBe(131_072)
  })
})
