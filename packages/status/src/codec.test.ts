import { performance } from 'node:perf_hooks'
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { Bitstring } from './bitstring.js'
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeList, encodeList } from './codec.js'

/** `u` + base64url of GZIP of `bytes`: the encoding built with node:zlib directly, not with encodeList. */
const encodeBytes = (bytes: Uint8Array) => `u${gzipSync(bytes).toString('base64url')}`
/** The raw bitstring inside an encodedList, expanded with node:zlib directly, not with decodeList. */
const expandRaw = (encodedList: string) => gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'))

/** A small deterministic PRNG (mulberry32) for reproducible random indexes. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * A single-member GZIP file of `mib` MiB of zeros, built without compressing that much: DEFLATE segments of
 * 16 MiB each, sync-flushed (no final bit, byte-aligned) and concatenated, then an empty final block and the
 * RFC 1952 trailer (CRC-32 and size of the whole input). About 1 KiB per 1 MiB of output.
 */
function gzipBombOfZeros(mib: number): Buffer {
  const segmentBytes = 16 * 1024 * 1024
  const zeros = Buffer.alloc(segmentBytes)
  const segment = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH })
  const segments = (mib * 1024 * 1024) / segmentBytes
  let crc = 0
  for (let i = 0; i < segments; i++) crc = crc32(zeros, crc)
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE((mib * 1024 * 1024) % 2 ** 32, 4)
  const finalEmptyBlock = Buffer.from([0x03, 0x00])
  return Buffer.concat([header, ...new Array<Buffer>(segments).fill(segment), finalEmptyBlock, trailer])
}

// Bitstring Status List v1.0 §2.2 Example 3 (and A.2): an all-zero list of 131,072 entries.
const SPEC_EXAMPLE_ENCODED_LIST = 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA'

describe('encodeList / decodeList', () => {
  it('decodes the spec example encodedList to 131,072 unset entries', () => {
    const list = decodeList(SPEC_EXAMPLE_ENCODED_LIST)
    expect(list.length).toBe(131_072)
    expect(list.bytes.length).toBe(16_384)
    expect(list.bytes.every((b) => b === 0)).toBe(true)
  })

  it('encodes as "u" + unpadded base64url of GZIP (§3.3 step 3)', () => {
    const encoded = encodeList(new Bitstring())
    expect(encoded).toMatch(/^u[A-Za-z0-9_-]+$/)
    const compressed = Buffer.from(encoded.slice(1), 'base64url')
    expect([compressed[0], compressed[1]]).toEqual([0x1f, 0x8b]) // RFC 1952 ID1 ID2
    expect(expandRaw(encoded).length).toBe(16_384)
  })

  it('writes indexes 0, 7, 8 and 131,071 at the exact bits of the encoded bytes', () => {
    const list = new Bitstring()
    for (const index of [0, 7, 8, 131_071]) list.set(index, 1)
    const raw = expandRaw(encodeList(list))
    expect(raw.length).toBe(16_384)
    expect(raw[0]).toBe(0b1000_0001) // indexes 0 and 7
    expect(raw[1]).toBe(0b1000_0000) // index 8
    expect(raw[16_383]).toBe(0b0000_0001) // index 131,071
    expect(raw.subarray(2, 16_383).every((b) => b === 0)).toBe(true)
  })

  it('reads bits from bytes encoded independently (MSB first)', () => {
    const bytes = new Uint8Array(16_384)
    bytes[0] = 0b0100_0001 // indexes 1 and 7
    bytes[1] = 0b1000_0000 // index 8
    bytes[16_383] = 0b0000_0001 // index 131,071
    const list = decodeList(encodeBytes(bytes))
    const set = [1, 7, 8, 131_071]
    for (const index of [0, 1, 2, 6, 7, 8, 9, 131_070, 131_071]) {
      expect(list.get(index)).toBe(set.includes(index) ? 1 : 0)
    }
  })

  it('round-trips a list with ~1% of entries set', () => {
    const random = prng(42)
    const list = new Bitstring({ length: 262_144 })
    const set = new Set<number>()
    while (set.size < 2_621) set.add(Math.floor(random() * list.length))
    for (const index of set) list.set(index, 1)
    const decoded = decodeList(encodeList(list))
    expect(decoded.length).toBe(262_144)
    expect(Buffer.from(decoded.bytes).equals(Buffer.from(list.bytes))).toBe(true)
    let count = 0
    for (let i = 0; i < decoded.length; i++) count += decoded.get(i)
    expect(count).toBe(set.size)
  })

  it('round-trips statusSize 2 values and keeps their bit layout', () => {
    const list = new Bitstring({ statusSize: 2 })
    list.set(0, 3)
    list.set(1, 2)
    list.set(2, 1)
    list.set(131_071, 2)
    const encoded = encodeList(list)
    const raw = expandRaw(encoded)
    expect(raw.length).toBe(32_768)
    expect(raw[0]).toBe(0b11_10_01_00)
    expect(raw[32_767]).toBe(0b00_00_00_10)
    const decoded = decodeList(encoded, { statusSize: 2 })
    expect([0, 1, 2, 3, 131_071].map((i) => decoded.get(i))).toEqual([3, 2, 1, 0, 2])
    // Read as one bit per entry the same bytes are 262,144 entries.
    expect(decodeList(encoded).length).toBe(262_144)
  })

  it('accepts a list of exactly maxDecompressedBytes', () => {
    expect(decodeList(encodeList(new Bitstring()), { maxDecompressedBytes: 16_384 }).length).toBe(131_072)
  })

  describe('refuses malformed encodings with MALFORMED_VALUE_ERROR', () => {
    const valid = encodeList(new Bitstring())
    const body = valid.slice(1)
    const cases: [name: string, encodedList: unknown][] = [
      ['a number', 42],
      ['null', null],
      ['an empty string', ''],
      ['only the prefix', 'u'],
      ['the base58btc prefix "z"', `z${body}`],
      ['the base64 prefix "m"', `m${body}`],
      ['no prefix', body],
      ['an upper-case "U" prefix', `U${body}`],
      ['base64 "+" characters', `u${body.replaceAll('-', '+')}+`],
      ['base64 "/" characters', `u/${body}`],
      ['padding', `${valid}==`],
      ['a single padding character', `${valid}=`],
      ['whitespace', `u${body.slice(0, 10)} ${body.slice(10)}`],
      ['a trailing newline', `${valid}\n`],
      ['a non-ASCII character', `${valid}é`],
      ['an impossible length (4n + 1)', `u${'A'.repeat(4 * 10 + 1)}`],
      ['non-zero trailing bits', 'uHx'],
      ['data that is not GZIP', `u${Buffer.from('not a gzip stream, just some text').toString('base64url')}`],
      [
        'raw DEFLATE without the GZIP frame',
        `u${deflateRawSync(new Uint8Array(16_384)).toString('base64url')}`,
      ],
    ]
    for (const [name, encodedList] of cases) {
      it(name, () => {
        expectError(() => decodeList(encodedList), 'ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR')
      })
    }

    it('a truncated GZIP stream', () => {
      const compressed = gzipSync(new Uint8Array(16_384))
      const truncated = `u${compressed.subarray(0, compressed.length - 6).toString('base64url')}`
      expectError(() => decodeList(truncated), 'ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR')
    })

    it('a GZIP stream with a wrong CRC-32', () => {
      const compressed = Buffer.from(gzipSync(new Uint8Array(16_384)))
      compressed[compressed.length - 8] = (compressed[compressed.length - 8] as number) ^ 0xff
      const corrupt = `u${compressed.toString('base64url')}`
      const err = expectError(() => decodeList(corrupt), 'ERR_STATUS_LIST_MALFORMED', 'MALFORMED_VALUE_ERROR')
      expect(err.message).toMatch(/corrupt GZIP/)
    })

    it('names the prefix it got', () => {
      const err = expectError(
        () => decodeList(`z${body}`),
        'ERR_STATUS_LIST_MALFORMED',
        'MALFORMED_VALUE_ERROR',
      )
      expect(err.message).toBe(
        '"encodedList" must start with the Multibase prefix "u" (base64url, no padding), got "z"',
      )
    })
  })

  describe('refuses lists of the wrong length with STATUS_LIST_LENGTH_ERROR (§3.2 step 9)', () => {
    it('fewer than 131,072 entries', () => {
      const err = expectError(
        () => decodeList(encodeBytes(new Uint8Array(16_383))),
        'ERR_STATUS_LIST_LENGTH',
        'STATUS_LIST_LENGTH_ERROR',
      )
      expect(err.details).toMatchObject({ entries: 131_064, minimum: 131_072 })
    })

    it('16 KiB read at statusSize 2 (65,536 entries)', () => {
      expectError(
        () => decodeList(encodeBytes(new Uint8Array(16_384)), { statusSize: 2 }),
        'ERR_STATUS_LIST_LENGTH',
        'STATUS_LIST_LENGTH_ERROR',
      )
    })

    it('an empty bitstring', () => {
      expectError(
        () => decodeList(encodeBytes(new Uint8Array(0))),
        'ERR_STATUS_LIST_LENGTH',
        'STATUS_LIST_LENGTH_ERROR',
      )
    })

    it('not a whole number of statusSize-bit entries', () => {
      expectError(
        () => decodeList(encodeBytes(new Uint8Array(16_384 * 3 + 1)), { statusSize: 3 }),
        'ERR_STATUS_LIST_LENGTH',
        'STATUS_LIST_LENGTH_ERROR',
      )
    })
  })

  describe('refuses oversized lists with ERR_STATUS_LIST_TOO_LARGE', () => {
    it('a gzip bomb of 1 GiB of zeros, quickly and without inflating it', () => {
      const bomb = gzipBombOfZeros(1024)
      // The bomb is a valid GZIP file: checked on a 64 MiB version built the same way.
      const small = gunzipSync(gzipBombOfZeros(64))
      expect(small.length).toBe(64 * 1024 * 1024)
      const encodedList = `u${bomb.toString('base64url')}`
      expect(encodedList.length).toBeLessThan(1_500_000)
      const started = performance.now()
      const err = expectError(
        () => decodeList(encodedList),
        'ERR_STATUS_LIST_TOO_LARGE',
        'STATUS_LIST_LENGTH_ERROR',
      )
      const elapsedMs = performance.now() - started
      expect(err.details).toMatchObject({ limit: DEFAULT_MAX_DECOMPRESSED_BYTES })
      expect(elapsedMs).toBeLessThan(1_000)
    })

    it('a bomb of concatenated GZIP members, under a low cap', () => {
      const member = gzipSync(new Uint8Array(4 * 1024 * 1024), { level: 9 })
      const encodedList = `u${Buffer.concat(new Array<Buffer>(64).fill(member)).toString('base64url')}`
      const err = expectError(
        () => decodeList(encodedList, { maxDecompressedBytes: 1024 * 1024, maxEncodedLength: 10_000_000 }),
        'ERR_STATUS_LIST_TOO_LARGE',
        'STATUS_LIST_LENGTH_ERROR',
      )
      expect(err.details).toMatchObject({ limit: 1024 * 1024 })
    })

    it('a list one byte over maxDecompressedBytes', () => {
      expectError(
        () => decodeList(encodeList(new Bitstring()), { maxDecompressedBytes: 16_383 }),
        'ERR_STATUS_LIST_TOO_LARGE',
        'STATUS_LIST_LENGTH_ERROR',
      )
    })

    it('an encodedList longer than maxEncodedLength, before decoding it', () => {
      const err = expectError(
        () => decodeList(`u${'!'.repeat(100)}`, { maxEncodedLength: 50 }),
        'ERR_STATUS_LIST_TOO_LARGE',
        'STATUS_LIST_LENGTH_ERROR',
      )
      expect(err.details).toMatchObject({ limit: 50, encodedLength: 101 })
    })

    it('an encodedList longer than any encoding of the default cap', () => {
      expectError(
        () => decodeList(`u${'A'.repeat(23_000_000)}`),
        'ERR_STATUS_LIST_TOO_LARGE',
        'STATUS_LIST_LENGTH_ERROR',
      )
    })
  })

  it('refuses bad options and a non-Bitstring with ERR_INPUT_INVALID', () => {
    for (const maxDecompressedBytes of [0, -1, 1.5, 2 ** 29]) {
      expectError(
        () => decodeList(SPEC_EXAMPLE_ENCODED_LIST, { maxDecompressedBytes }),
        'ERR_INPUT_INVALID',
        undefined,
      )
    }
    expectError(
      () => decodeList(SPEC_EXAMPLE_ENCODED_LIST, { maxEncodedLength: 1 }),
      'ERR_INPUT_INVALID',
      undefined,
    )
    expectError(
      () => decodeList(SPEC_EXAMPLE_ENCODED_LIST, { statusSize: 0 }),
      'ERR_STATUS_LIST_MALFORMED',
      'MALFORMED_VALUE_ERROR',
    )
    expectError(
      () => encodeList(new Uint8Array(16_384) as unknown as Bitstring),
      'ERR_INPUT_INVALID',
      undefined,
    )
  })
})
