/**
 * The status list cache on its own: shared retrievals, refresh/preload, retry back-off, rollback refusal,
 * source order, the list cap, options, `keepRevocations`, and a cache fed over HTTP by a real node:http server
 * on 127.0.0.1. Lists are real vc+jwt credentials signed with node:crypto Ed25519 keys (did:key).
 */
import { generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signCompactJws } from '@tessera/credentials/offline'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bitstring } from './bitstring.js'
import {
  type CachedStatusList,
  createStatusCache,
  keepRevocations,
  type StatusCache,
  type StatusCacheOptions,
} from './cache.js'
import { statusChecker } from './checker.js'
import { buildEntry } from './entry.js'
import { directorySource, httpSource, type StatusListSource } from './fetch.js'
import { buildListCredential } from './list-credential.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const TTL = 5 * MINUTE
const LIST = 'https://acme.tessera.invalid/status/1-revocation'
const OTHER_LIST = 'https://acme.tessera.invalid/status/2-revocation'

let issuer: { did: string; kid: string; privateKey: KeyObject }
let trust: TrustBundle
let dir: string
let clock = T0
let loads = 0

beforeAll(() => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x ?? ''
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(x, 'base64url') })
  issuer = { did, kid: `${did}#${did.slice('did:key:'.length)}`, privateKey }
  trust = addTrust(emptyTrustBundle(), { org: 'Acme', issuer: did, role: 'agent', permissions: ['read:*'] })
})

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-status-cache-'))
  clock = T0
  loads = 0
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

async function listToken(options: { id?: string; set?: number[]; validFrom?: number; ttlMs?: number } = {}) {
  const bitstring = new Bitstring()
  for (const index of options.set ?? []) bitstring.set(index, 1)
  const credential = buildListCredential({
    id: options.id ?? LIST,
    issuer: issuer.did,
    statusPurpose: 'revocation',
    bitstring,
    validFrom: new Date(options.validFrom ?? clock - HOUR),
    validUntil: new Date(T0 + 30 * DAY),
    ttlMs: options.ttlMs ?? TTL,
  })
  return signCompactJws({
    header: { alg: 'EdDSA', typ: 'vc+jwt', kid: issuer.kid },
    payload: credential as unknown as Record<string, unknown>,
    sign: (input) => nodeSign(null, input, issuer.privateKey),
  })
}

async function publish(options: Parameters<typeof listToken>[0] = {}, into = dir): Promise<void> {
  const id = options.id ?? LIST
  const path = join(into, id.slice(id.lastIndexOf('/') + 1))
  writeFileSync(path, await listToken(options))
  utimesSync(path, new Date(clock), new Date(clock))
}

function counting(source: StatusListSource): StatusListSource {
  return {
    name: source.name,
    load: (listId, context) => {
      loads++
      return source.load(listId, context)
    },
  }
}

function makeCache(options: Partial<StatusCacheOptions> = {}): StatusCache {
  return createStatusCache({
    sources: [counting(directorySource(dir))],
    trust,
    maxStalenessMs: DAY,
    now: () => new Date(clock),
    ...options,
  })
}

async function codeOf(pending: () => unknown): Promise<unknown> {
  try {
    await pending()
  } catch (err) {
    return (err as { code?: unknown }).code
  }
  return 'no error'
}

describe('createStatusCache', () => {
  it('decodes a list once and serves later gets synchronously, the same snapshot', async () => {
    await publish({ set: [3] })
    const cache = makeCache()
    const first = await cache.get(LIST)
    expect(first).toMatchObject({
      listCredentialId: LIST,
      statusPurpose: 'revocation',
      issuer: issuer.did,
      fetchedAt: T0,
      loadedAt: T0,
      ttlMs: TTL,
      validUntil: T0 + 30 * DAY,
    })
    expect(first.bitstring.get(3)).toBe(1)
    clock += MINUTE
    const second = cache.get(LIST)
    expect(second).toBe(first)
    expect(loads).toBe(1)
  })

  it('shares one retrieval between concurrent requests for the same list', async () => {
    await publish()
    const cache = makeCache()
    const pending = [
      cache.get(LIST),
      cache.get(LIST),
      cache.get(LIST),
      cache.preload([LIST]),
      cache.refresh(LIST),
    ]
    const [a, b, c, preload, refresh] = await Promise.all(pending)
    expect(loads).toBe(1)
    expect(a).toBe(b)
    expect(b).toBe(c)
    expect(preload).toEqual(refresh)
    expect(refresh).toEqual([
      {
        listId: LIST,
        ok: true,
        changed: true,
        versionHash: (a as CachedStatusList).versionHash,
        fetchedAt: new Date(T0),
        revocationCleared: [],
      },
    ])
  })

  it('preloads lists for offline use and reports each outcome', async () => {
    await publish()
    const cache = makeCache()
    const results = await cache.preload([LIST, OTHER_LIST])
    expect(results.map((r) => [r.listId, r.ok, r.ok ? undefined : r.code])).toEqual([
      [LIST, true, undefined],
      [OTHER_LIST, false, 'ERR_STATUS_RETRIEVAL'],
    ])
    rmSync(join(dir, '1-revocation'))
    clock += HOUR
    expect((await cache.get(LIST)).refreshError).toMatchObject({
      code: 'ERR_STATUS_RETRIEVAL',
      at: T0 + HOUR,
    })
  })

  it('does not verify or decode an unchanged version again, and keeps its fetchedAt', async () => {
    await publish()
    const events: string[] = []
    const cache = makeCache({ onEvent: (e) => events.push(e.type) })
    const first = await cache.get(LIST)
    clock += TTL
    const second = await cache.get(LIST)
    expect(second.bitstring).toBe(first.bitstring)
    expect(second).toMatchObject({ versionHash: first.versionHash, fetchedAt: T0, loadedAt: T0 + TTL })
    expect(events).toEqual(['loaded', 'unchanged'])
  })

  it('asks the sources again only after retryAfterMs once a retrieval failed', async () => {
    const cache = makeCache({ retryAfterMs: 30_000 })
    expect(await codeOf(() => cache.get(LIST))).toBe('ERR_STATUS_RETRIEVAL')
    await publish()
    clock += 29_999
    // The failure is remembered: answered synchronously, nothing fetched.
    expect(() => cache.get(LIST)).toThrow(expect.objectContaining({ code: 'ERR_STATUS_RETRIEVAL' }))
    expect(loads).toBe(1)
    clock += 1
    expect((await cache.get(LIST)).listCredentialId).toBe(LIST)
    expect(loads).toBe(2)
  })

  it('refuses a version older than the one held (a rollback), and keeps serving the held one', async () => {
    clock = T0 + HOUR
    await publish({ set: [1], validFrom: T0 + HOUR })
    const cache = makeCache()
    const held = await cache.get(LIST)
    await publish({ set: [], validFrom: T0 }) // an earlier, validly signed version replayed
    const [result] = await cache.refresh(LIST)
    expect(result).toMatchObject({
      ok: false,
      code: 'ERR_STATUS_VERIFICATION',
      details: { reason: 'rollback' },
      cachedVersionHash: held.versionHash,
    })
    expect((await cache.get(LIST)).versionHash).toBe(held.versionHash)
  })

  it('takes the first source that delivers a valid list, after ones that fail or deliver another list', async () => {
    const wrong = mkdtempSync(join(tmpdir(), 'tessera-status-cache-wrong-'))
    const empty = mkdtempSync(join(tmpdir(), 'tessera-status-cache-empty-'))
    try {
      // `wrong` holds, under 1-revocation, a list whose id is another one.
      writeFileSync(join(wrong, '1-revocation'), await listToken({ id: OTHER_LIST }))
      await publish({ set: [9] })
      const cache = makeCache({
        sources: [directorySource(empty), directorySource(wrong), directorySource(dir)],
      })
      expect((await cache.get(LIST)).bitstring.get(9)).toBe(1)
      // Nothing valid anywhere: the refusal of a found list is reported over "not found", with every attempt.
      const failing = makeCache({ sources: [directorySource(empty), directorySource(wrong)] })
      let caught: { code?: string; details?: Record<string, unknown> } = {}
      try {
        await failing.get(LIST)
      } catch (err) {
        caught = err as typeof caught
      }
      expect(caught.code).toBe('ERR_STATUS_VERIFICATION')
      expect(caught.details).toMatchObject({
        reason: 'id-mismatch',
        attempts: [
          expect.objectContaining({ code: 'ERR_STATUS_RETRIEVAL' }),
          expect.objectContaining({ code: 'ERR_STATUS_VERIFICATION' }),
        ],
      })
    } finally {
      rmSync(wrong, { recursive: true, force: true })
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('holds at most maxLists lists, forgetting failures first (ERR_STATUS_RETRIEVAL when full)', async () => {
    await publish()
    await publish({ id: OTHER_LIST })
    const cache = makeCache({ maxLists: 1 })
    expect(await codeOf(() => cache.get('https://acme.tessera.invalid/status/9'))).toBe(
      'ERR_STATUS_RETRIEVAL',
    )
    await cache.get(LIST) // replaces the remembered failure
    let caught: { code?: string; details?: Record<string, unknown> } = {}
    try {
      await cache.get(OTHER_LIST)
    } catch (err) {
      caught = err as typeof caught
    }
    expect(caught).toMatchObject({ code: 'ERR_STATUS_RETRIEVAL', details: { reason: 'cache-full' } })
  })

  it('throws ERR_INPUT_INVALID / ERR_TRUST_BUNDLE_INVALID for bad options', () => {
    const base = { sources: [directorySource(dir)], trust, maxStalenessMs: DAY }
    const invalid = (code: string) => expect.objectContaining({ code })
    expect(() => createStatusCache({ ...base, sources: [] })).toThrow(invalid('ERR_INPUT_INVALID'))
    expect(() => createStatusCache({ ...base, maxStalenessMs: -1 })).toThrow(invalid('ERR_INPUT_INVALID'))
    expect(() => createStatusCache({ ...base, maxStalenessMs: undefined as unknown as number })).toThrow(
      invalid('ERR_INPUT_INVALID'),
    )
    expect(() => createStatusCache({ ...base, clockToleranceSec: 301 })).toThrow(invalid('ERR_INPUT_INVALID'))
    expect(() => createStatusCache({ ...base, algorithms: [] })).toThrow(invalid('ERR_INPUT_INVALID'))
    expect(() => createStatusCache({ ...base, maxDecompressedBytes: 0 })).toThrow(
      invalid('ERR_INPUT_INVALID'),
    )
    expect(() => createStatusCache({ ...base, trust: {} as TrustBundle })).toThrow(
      invalid('ERR_TRUST_BUNDLE_INVALID'),
    )
    expect(() => makeCache().get('' as string)).toThrow(invalid('ERR_INPUT_INVALID'))
    expect(() => statusChecker({} as StatusCache)).toThrow(invalid('ERR_INPUT_INVALID'))
  })
})

describe('keepRevocations', () => {
  it('returns the new list itself when no revocation is cleared', () => {
    const previous = new Bitstring()
    previous.set(5, 1)
    const next = new Bitstring()
    next.set(5, 1)
    next.set(6, 1)
    const kept = keepRevocations(previous, next)
    expect(kept.bitstring).toBe(next)
    expect(kept.cleared).toEqual([])
  })

  it('sets cleared entries back in a copy, leaving the new list untouched', () => {
    const previous = new Bitstring()
    for (const index of [0, 7, 8, 131_071]) previous.set(index, 1)
    const next = new Bitstring()
    next.set(8, 1)
    next.set(100, 1)
    const kept = keepRevocations(previous, next)
    expect(kept.cleared).toEqual([0, 7, 131_071])
    for (const index of [0, 7, 8, 100, 131_071]) expect(kept.bitstring.get(index)).toBe(1)
    expect(kept.bitstring.get(1)).toBe(0)
    expect(next.get(0)).toBe(0)
  })

  it('compares entries when they are wider than one bit', () => {
    const previous = new Bitstring({ statusSize: 2 })
    previous.set(3, 2)
    previous.set(4, 1)
    const next = new Bitstring({ statusSize: 2 })
    next.set(4, 3)
    const kept = keepRevocations(previous, next)
    expect(kept.cleared).toEqual([3])
    expect([kept.bitstring.get(3), kept.bitstring.get(4)]).toEqual([2, 3])
  })
})

describe('a cache fed over HTTP', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
  })

  it('verifies lists served by a local server, and a revocation published there takes effect at the next refresh', async () => {
    let body = await listToken()
    let status = 200
    server = createServer((req, res) => {
      if (req.url !== '/acme/1-revocation') res.writeHead(404).end()
      else res.writeHead(status, { 'content-type': 'application/vc+jwt' }).end(body)
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const cache = makeCache({
      sources: [
        httpSource({
          urlMap: { 'https://acme.tessera.invalid/status/': `${origin}/acme/` },
          allowHttp: true,
        }),
      ],
    })
    const checker = statusChecker(cache)
    const check = async (index: number) => {
      const result = checker.check({
        entry: buildEntry({ purpose: 'revocation', index, listCredential: LIST }),
        credentialId: undefined,
        issuer: issuer.did,
      })
      return result instanceof Promise ? await result : result
    }
    expect(await check(21)).toMatchObject({ ok: true, details: { ageMs: 0 } })

    clock += MINUTE
    body = await listToken({ set: [21] })
    clock = T0 + TTL
    expect(await check(21)).toMatchObject({ ok: false, code: 'ERR_STATUS_REVOKED', details: { ageMs: 0 } })

    // The server fails: the list is served offline, then refused once stale.
    status = 500
    clock += TTL
    expect(await check(22)).toMatchObject({ ok: true, details: { refreshError: 'ERR_STATUS_RETRIEVAL' } })
    expect(await check(200_000)).toMatchObject({ ok: false, code: 'ERR_STATUS_RANGE' })
    clock = T0 + TTL + DAY + 1
    expect(await check(22)).toMatchObject({
      ok: false,
      code: 'ERR_STATUS_STALE',
      details: { ageMs: DAY + 1, refreshError: 'ERR_STATUS_RETRIEVAL' },
    })
  })
})
