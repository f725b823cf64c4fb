import { InputError } from '@tessera/core'
import { describeValue, statusError } from './errors.js'

/**
 * The minimum number of entries in a status list: Bitstring Status List v1.0 §3.2 step 2
 * (`minimumNumberOfEntries`, 131,072) and §3.3 step 1 ("a minimum size of 16KB" at one bit per entry).
 * A list with `statusSize` bits per entry is at least 131,072 × `statusSize` bits.
 */
export const MIN_STATUS_LIST_ENTRIES = 131_072

/**
 * The largest `statusSize` Tessera accepts. §2.1 only asks for "an integer greater than zero", but
 * `statusMessage` must then list 2^statusSize messages; 8 bits (256 messages) bounds what a hostile entry can
 * make a verifier allocate. Conforming processors MAY support only 1 (§1.3).
 */
export const MAX_STATUS_SIZE = 8

/**
 * The largest bitstring held in memory (256 MiB), so every bit position fits in 31 bits and the hot path can
 * use integer shifts. Decoding caps far lower by default (see `decodeList`).
 */
export const MAX_BITSTRING_BYTES = 2 ** 28

/** Check a `statusSize` (Bitstring Status List v1.0 §2.1: an integer greater than zero; Tessera: at most 8). */
export function assertStatusSize(statusSize: unknown, name = 'statusSize'): asserts statusSize is number {
  if (
    typeof statusSize !== 'number' ||
    !Number.isInteger(statusSize) ||
    statusSize < 1 ||
    statusSize > MAX_STATUS_SIZE
  ) {
    throw statusError(
      'ERR_STATUS_LIST_MALFORMED',
      `"${name}" must be an integer from 1 to ${MAX_STATUS_SIZE}, got ${describeValue(statusSize)}`,
    )
  }
}

/**
 * A status list bitstring: `length` entries of `statusSize` bits each, packed into bytes.
 *
 * Bit order (Bitstring Status List v1.0 §2.2 `encodedList`, §7.1 Bitstring Encoding): index 0 is the left-most
 * bit of the bitstring, i.e. the most significant bit (0x80) of the first byte; bit `n` lives in byte
 * `floor(n / 8)` under the mask `0x80 >> (n % 8)`.
 *
 * Entry `i` occupies bits `i × statusSize` .. `i × statusSize + statusSize - 1` (§3.3 step 2: "statusListIndex
 * times the statusSize"). The spec does not say how those bits form a number; Tessera reads them left to right,
 * most significant first, consistent with the left-to-right layout, so with `statusSize` 2 the value `0x2` sets
 * the first of the two bits.
 */
export class Bitstring {
  /** The packed bits. Shared, not copied: mutate through `set`. */
  readonly bytes: Uint8Array
  /** Bits per entry (§2.1 `statusSize`). */
  readonly statusSize: number
  /** Number of entries (not bits): `bytes.length × 8 / statusSize`. */
  readonly length: number

  /**
   * A zeroed list of `length` entries (default and minimum 131,072, §3.3 step 1; `length` × `statusSize` a
   * multiple of 8), or a view over `bytes` (e.g. decoded by `decodeList`). Throws `ERR_STATUS_LIST_LENGTH` (`STATUS_LIST_LENGTH_ERROR`) below the minimum or
   * when `bytes` is not a whole number of entries.
   */
  constructor(options: { length?: number; statusSize?: number; bytes?: Uint8Array } = {}) {
    const statusSize = options.statusSize ?? 1
    assertStatusSize(statusSize)
    let bytes: Uint8Array
    if (options.bytes !== undefined) {
      if (!(options.bytes instanceof Uint8Array)) {
        throw new InputError(
          'ERR_INPUT_INVALID',
          `"bytes" must be a Uint8Array, got ${describeValue(options.bytes)}`,
        )
      }
      bytes = options.bytes
    } else {
      const length = options.length ?? MIN_STATUS_LIST_ENTRIES
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new InputError(
          'ERR_INPUT_INVALID',
          `"length" must be a whole number of entries, got ${describeValue(length)}`,
        )
      }
      if (length < MIN_STATUS_LIST_ENTRIES) throw tooShort(length, statusSize)
      if ((length * statusSize) % 8 !== 0) {
        throw new InputError(
          'ERR_INPUT_INVALID',
          `"length" × "statusSize" must be a whole number of bytes (a multiple of 8 bits), got ${length} × ${statusSize}`,
        )
      }
      const byteLength = (length * statusSize) / 8
      if (byteLength > MAX_BITSTRING_BYTES) throw tooLarge(byteLength)
      bytes = new Uint8Array(byteLength)
    }
    if (bytes.length > MAX_BITSTRING_BYTES) throw tooLarge(bytes.length)
    const bits = bytes.length * 8
    if (bits % statusSize !== 0) {
      throw statusError(
        'ERR_STATUS_LIST_LENGTH',
        `the bitstring of ${bits} bits is not a whole number of ${statusSize}-bit entries`,
        { details: { bits, statusSize } },
      )
    }
    const entries = bits / statusSize
    if (entries < MIN_STATUS_LIST_ENTRIES) throw tooShort(entries, statusSize)
    this.bytes = bytes
    this.statusSize = statusSize
    this.length = entries
  }

  /**
   * The status value of entry `index` (0 .. 2^statusSize - 1). Throws `ERR_STATUS_RANGE` (`RANGE_ERROR`,
   * Bitstring Status List v1.0 §3.2 step 10) when `index` is not an entry of this list.
   */
  get(index: number): number {
    if (!(index >= 0 && index < this.length && Number.isInteger(index))) throw outOfRange(index, this.length)
    const bytes = this.bytes
    const size = this.statusSize
    if (size === 1) return ((bytes[index >>> 3] as number) >>> (7 - (index & 7))) & 1
    let bit = index * size
    let value = 0
    for (let i = 0; i < size; i++, bit++) {
      value = (value << 1) | (((bytes[bit >>> 3] as number) >>> (7 - (bit & 7))) & 1)
    }
    return value
  }

  /**
   * Set entry `index` to `value` (0 .. 2^statusSize - 1; `true`/`false` stand for 1/0). Throws
   * `ERR_STATUS_RANGE` for an index outside the list and `ERR_INPUT_INVALID` for a value that does not fit.
   */
  set(index: number, value: number | boolean): void {
    if (!(index >= 0 && index < this.length && Number.isInteger(index))) throw outOfRange(index, this.length)
    const size = this.statusSize
    const v = value === true ? 1 : value === false ? 0 : value
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** size) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"value" must be an integer from 0 to ${2 ** size - 1} (statusSize ${size}), got ${describeValue(value)}`,
      )
    }
    const bytes = this.bytes
    let bit = index * size
    for (let i = size - 1; i >= 0; i--, bit++) {
      const mask = 0x80 >>> (bit & 7)
      const at = bit >>> 3
      if ((v >>> i) & 1) bytes[at] = (bytes[at] as number) | mask
      else bytes[at] = (bytes[at] as number) & ~mask
    }
  }
}

function outOfRange(index: number, length: number) {
  return statusError(
    'ERR_STATUS_RANGE',
    `status list index ${describeValue(index)} is outside the list of ${length} entries (0 to ${length - 1})`,
    { details: { index, length } },
  )
}

function tooShort(entries: number, statusSize: number) {
  return statusError(
    'ERR_STATUS_LIST_LENGTH',
    `a status list must have at least ${MIN_STATUS_LIST_ENTRIES} entries (${MIN_STATUS_LIST_ENTRIES * statusSize} bits at statusSize ${statusSize}), got ${entries}`,
    { details: { entries, minimum: MIN_STATUS_LIST_ENTRIES, statusSize } },
  )
}

function tooLarge(byteLength: number) {
  return statusError(
    'ERR_STATUS_LIST_TOO_LARGE',
    `a status list bitstring may be at most ${MAX_BITSTRING_BYTES} bytes, got ${byteLength}`,
    { details: { bytes: byteLength, limit: MAX_BITSTRING_BYTES } },
  )
}
