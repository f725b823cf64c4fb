/**
 * Cross-checks against an independent implementation, Digital Bazaar's @digitalbazaar/vc-bitstring-status-list
 * 2.0.1 and @digitalbazaar/bitstring 3.1.0 (pako GZIP, base64url-universal): lists encoded here decode there to
 * the same bits and the other way round, and Digital Bazaar's checkStatus accepts our entry and list credential.
 */
import { describe, expect, it } from 'vitest'
import { Bitstring } from './bitstring.js'
import { checkStatus } from './check.js'
import { decodeList, encodeList } from './codec.js'
import { buildEntry, parseEntry } from './entry.js'
import { buildListCredential, parseListCredential } from './list-credential.js'

// The packages ship no types: load them through a `string` specifier and describe the parts used here.
interface DbStatusList {
  length: number
  bitstring: { bits: Uint8Array }
  setStatus(index: number, status: boolean): void
  getStatus(index: number): boolean
  encode(): Promise<string>
}
interface DbStatusListModule {
  createList(options: { length: number }): Promise<DbStatusList>
  decodeList(options: { encodedList: string }): Promise<DbStatusList>
  createCredential(options: {
    id: string
    list: DbStatusList
    statusPurpose: string
  }): Promise<Record<string, unknown>>
  checkStatus(options: Record<string, unknown>): Promise<{
    verified: boolean
    error?: Error
    results?: { verified: boolean; status: boolean }[]
  }>
}
interface DbBitstring {
  bits: Uint8Array
  set(position: number, on: boolean): void
  get(position: number): boolean
  encodeBits(): Promise<string>
}
interface DbBitstringModule {
  Bitstring: {
    new (options: { length?: number; buffer?: Uint8Array }): DbBitstring
    decodeBits(options: { encoded: string }): Promise<Uint8Array>
  }
}

const DB_STATUS_LIST: string = '@digitalbazaar/vc-bitstring-status-list'
const DB_BITSTRING: string = '@digitalbazaar/bitstring'
const db = (await import(DB_STATUS_LIST)) as DbStatusListModule
const dbBits = (await import(DB_BITSTRING)) as DbBitstringModule

const LIST_URL = 'https://issuer.example/status/7'
const ISSUER = 'did:example:issuer'

/** A small deterministic PRNG (mulberry32). */
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

/** The edge indexes plus ~1% random ones. */
function indexesToSet(length: number, seed: number): number[] {
  const random = prng(seed)
  const set = new Set([0, 7, 8, 131_071, length - 1])
  while (set.size < length / 100) set.add(Math.floor(random() * length))
  return [...set].sort((a, b) => a - b)
}

describe('interop with Digital Bazaar', () => {
  it('a list encoded here decodes there to the same bits', async () => {
    const list = new Bitstring({ length: 262_144 })
    const set = indexesToSet(list.length, 1)
    for (const index of set) list.set(index, 1)
    const theirs = await db.decodeList({ encodedList: encodeList(list) })
    expect(theirs.length).toBe(262_144)
    for (const index of set) expect(theirs.getStatus(index)).toBe(true)
    expect(Buffer.from(theirs.bitstring.bits).equals(Buffer.from(list.bytes))).toBe(true)
  })

  it('a list encoded there decodes here to the same bits', async () => {
    const theirs = await db.createList({ length: 131_072 })
    const set = indexesToSet(131_072, 2)
    for (const index of set) theirs.setStatus(index, true)
    const encodedList = await theirs.encode()
    const ours = decodeList(encodedList)
    expect(ours.length).toBe(131_072)
    for (let index = 0; index < ours.length; index++) {
      if (ours.get(index) !== (theirs.getStatus(index) ? 1 : 0)) throw new Error(`bit ${index} differs`)
    }
    expect(set.every((index) => ours.get(index) === 1)).toBe(true)
    expect(ours.bytes[0]).toBe(0b1000_0001) // indexes 0 and 7 in both implementations
  })

  it('their raw Bitstring.encodeBits, with the "u" prefix, decodes here', async () => {
    const theirs = new dbBits.Bitstring({ length: 131_072 })
    theirs.set(8, true)
    theirs.set(131_071, true)
    const ours = decodeList(`u${await theirs.encodeBits()}`)
    expect([ours.get(7), ours.get(8), ours.get(9), ours.get(131_071)]).toEqual([0, 1, 0, 1])
  })

  it('statusSize 2 values land on the bits their Bitstring reads (value 0b10 sets the first bit)', async () => {
    const list = new Bitstring({ statusSize: 2 })
    list.set(0, 0b10)
    list.set(1, 0b01)
    list.set(131_071, 0b11)
    const encoded = encodeList(list)
    const theirs = new dbBits.Bitstring({
      buffer: await dbBits.Bitstring.decodeBits({ encoded: encoded.slice(1) }),
    })
    expect([0, 1, 2, 3].map((p) => theirs.get(p))).toEqual([true, false, false, true])
    expect([262_142, 262_143].map((p) => theirs.get(p))).toEqual([true, true])
  })

  it('their list credential parses here, and their checkStatus accepts our entry and list credential', async () => {
    const theirList = await db.createList({ length: 131_072 })
    theirList.setStatus(42, true)
    const theirCredential = await db.createCredential({
      id: LIST_URL,
      list: theirList,
      statusPurpose: 'revocation',
    })
    // createCredential leaves the issuer to the caller.
    const parsed = parseListCredential({ ...theirCredential, issuer: ISSUER })
    const entry = parseEntry(buildEntry({ purpose: 'revocation', index: 42, listCredential: LIST_URL }))
    const list = {
      bitstring: decodeList(parsed.encodedList),
      statusPurpose: parsed.statusPurpose,
      listCredentialId: LIST_URL,
    }
    expect(checkStatus({ entry, list }).set).toBe(true)

    const ours = new Bitstring()
    ours.set(42, 1)
    const listCredential = buildListCredential({
      id: LIST_URL,
      issuer: ISSUER,
      statusPurpose: 'revocation',
      bitstring: ours,
      validFrom: new Date('2026-01-01T00:00:00Z'),
    })
    const credentialFor = (index: number) => ({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: ISSUER,
      credentialSubject: { id: 'did:example:agent' },
      credentialStatus: buildEntry({ purpose: 'revocation', index, listCredential: LIST_URL }),
    })
    const documentLoader = async (url: string) => {
      if (url !== LIST_URL) throw new Error(`unexpected URL ${url}`)
      return { document: listCredential, documentUrl: url, contextUrl: null }
    }
    for (const [index, status] of [
      [42, true],
      [43, false],
    ] as const) {
      const result = await db.checkStatus({
        credential: credentialFor(index),
        documentLoader,
        verifyBitstringStatusListCredential: false,
        verifyMatchingIssuers: true,
      })
      expect(result.error).toBeUndefined()
      expect(result.verified).toBe(true)
      expect(result.results?.[0]?.status).toBe(status)
    }
  })
})
