import { gunzipSync, gzipSync } from 'node:zlib'
import { InputError } from '@tessera/core'
import { assertStatusSize, Bitstring, MAX_BITSTRING_BYTES } from './bitstring.js'
import { describeValue, statusError } from './errors.js'

// The codec is node:zlib plus Buffer's base64url, by hand: Digital Bazaar's @digitalbazaar/bitstring (pako)
// cannot cap gzip output, so a hostile list could exhaust memory before any check ran.

/** Multibase prefix of base64url without padding (Controlled Identifiers v1.0 §2.4 Multibase, cited by §3.3). */
export const MULTIBASE_BASE64URL_PREFIX = 'u'

/**
 * Default cap on the decompressed bitstring: 16 MiB, 1,024 times the 16 KiB minimum (134,217,728 one-bit
 * entries). A larger list is refused with `ERR_STATUS_LIST_TOO_LARGE` instead of being inflated.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024

const BASE64URL = /^[A-Za-z0-9_-]+$/
const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

/**
 * The longest `encodedList` worth decoding when the bitstring may be `maxDecompressedBytes` long: GZIP never
 * expands incompressible data by more than a few bytes per 16 KiB block plus its 18-byte frame, so anything
 * longer cannot be a list within the cap.
 */
export function maxEncodedLengthFor(maxDecompressedBytes: number): number {
  const maxCompressed = maxDecompressedBytes + Math.ceil(maxDecompressedBytes / 64) + 1024
  return MULTIBASE_BASE64URL_PREFIX.length + Math.ceil((maxCompressed * 4) / 3)
}

/**
 * Encode a bitstring as `encodedList` (Bitstring Status List v1.0 §3.3 step 3): GZIP (RFC 1952), then
 * Multibase base64url with no padding, i.e. `u` + base64url.
 */
export function encodeList(bitstring: Bitstring): string {
  if (!(bitstring instanceof Bitstring)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"bitstring" must be a Bitstring, got ${describeValue(bitstring)}`,
    )
  }
  return MULTIBASE_BASE64URL_PREFIX + gzipSync(bitstring.bytes).toString('base64url')
}

/** Options of `decodeList`. */
export interface DecodeListOptions {
  /** Bits per entry (§2.1 `statusSize`, default 1), taken from the status entry being checked. */
  statusSize?: number
  /** Cap on the GZIP output in bytes (default 16 MiB); over it, `ERR_STATUS_LIST_TOO_LARGE`. */
  maxDecompressedBytes?: number
  /** Cap on `encodedList` in characters (default: the longest encoding of `maxDecompressedBytes`). */
  maxEncodedLength?: number
}

/**
 * Decode `encodedList` into a bitstring: the Bitstring Expansion Algorithm (§3.4: Multibase-decode, then GZIP
 * decompress) plus the length rule of the Validate Algorithm (§3.2 step 9). Safe on hostile input: every size is
 * capped before work proportional to it is done.
 *
 * Throws (each a `VerificationError` with `details.specError`):
 * - `ERR_STATUS_LIST_MALFORMED` (`MALFORMED_VALUE_ERROR`): not a string, no `u` prefix, not strict unpadded
 *   canonical base64url, not GZIP, or a corrupt GZIP stream;
 * - `ERR_STATUS_LIST_TOO_LARGE` (`STATUS_LIST_LENGTH_ERROR`): the encoding or its decompressed bitstring is over
 *   the caps (a gzip bomb stops at `maxDecompressedBytes`, it is never inflated in full);
 * - `ERR_STATUS_LIST_LENGTH` (`STATUS_LIST_LENGTH_ERROR`): fewer than 131,072 entries, or not a whole number of
 *   `statusSize`-bit entries.
 */
export function decodeList(encodedList: unknown, options: DecodeListOptions = {}): Bitstring {
  const statusSize = options.statusSize ?? 1
  assertStatusSize(statusSize)
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  assertMaxDecompressedBytes(maxDecompressedBytes)
  const maxEncodedLength = options.maxEncodedLength ?? maxEncodedLengthFor(maxDecompressedBytes)
  if (!Number.isSafeInteger(maxEncodedLength) || maxEncodedLength < 2) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"maxEncodedLength" must be an integer of at least 2, got ${describeValue(maxEncodedLength)}`,
    )
  }

  if (typeof encodedList !== 'string') {
    throw malformed(`"encodedList" must be a string, got ${describeValue(encodedList)}`)
  }
  if (encodedList.length > maxEncodedLength) {
    throw statusError(
      'ERR_STATUS_LIST_TOO_LARGE',
      `"encodedList" is ${encodedList.length} characters, over the limit of ${maxEncodedLength}`,
      { details: { limit: maxEncodedLength, encodedLength: encodedList.length } },
    )
  }
  if (!encodedList.startsWith(MULTIBASE_BASE64URL_PREFIX)) {
    throw malformed(
      `"encodedList" must start with the Multibase prefix "u" (base64url, no padding), got ${describeValue(encodedList.slice(0, 1))}`,
    )
  }
  const body = encodedList.slice(1)
  // Buffer's decoder skips characters outside the alphabet and accepts padding: check the text first, then
  // insist the encoding is canonical (zero trailing bits, RFC 4648 §3.5).
  if (!BASE64URL.test(body) || body.length % 4 === 1) {
    throw malformed('"encodedList" must be base64url without padding (RFC 4648 §5) after the "u" prefix')
  }
  const compressed = Buffer.from(body, 'base64url')
  if (compressed.toString('base64url') !== body) {
    throw malformed('"encodedList" is not canonical base64url (non-zero trailing bits)')
  }
  if (compressed.length < 18 || compressed[0] !== GZIP_MAGIC_0 || compressed[1] !== GZIP_MAGIC_1) {
    throw malformed('"encodedList" does not hold a GZIP stream (RFC 1952)')
  }

  let bytes: Buffer
  try {
    bytes = gunzipSync(compressed, { maxOutputLength: maxDecompressedBytes })
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw statusError(
        'ERR_STATUS_LIST_TOO_LARGE',
        `the decompressed status list is over the limit of ${maxDecompressedBytes} bytes`,
        { cause: err, details: { limit: maxDecompressedBytes } },
      )
    }
    throw malformed(`"encodedList" holds a corrupt GZIP stream: ${(err as Error).message}`, err)
  }
  return new Bitstring({
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    statusSize,
  })
}

function malformed(message: string, cause?: unknown) {
  return statusError('ERR_STATUS_LIST_MALFORMED', message, cause === undefined ? undefined : { cause })
}

/** Check a decompression cap: an integer from 1 to {@link MAX_BITSTRING_BYTES}. @throws InputError `ERR_INPUT_INVALID` */
export function assertMaxDecompressedBytes(
  maxDecompressedBytes: unknown,
): asserts maxDecompressedBytes is number {
  if (
    typeof maxDecompressedBytes !== 'number' ||
    !Number.isSafeInteger(maxDecompressedBytes) ||
    maxDecompressedBytes < 1 ||
    maxDecompressedBytes > MAX_BITSTRING_BYTES
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"maxDecompressedBytes" must be an integer from 1 to ${MAX_BITSTRING_BYTES}, got ${describeValue(maxDecompressedBytes)}`,
    )
  }
}
