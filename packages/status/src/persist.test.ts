/**
 * Status lists kept in the verifier's home: a real SQLite home (initHome/openHome with the status migrations),
 * real list credentials signed with node:crypto Ed25519 keys (did:key) and published as files. Each "restart"
 * is a new cache instance over the same home. No mocks: a fake clock only.
 */
import { generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto'
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ErrorCode } from '@tessera/core'
import { credentialsMigrations } from '@tessera/credentials'
import { type StatusResult, signCompactJws } from '@tessera/credentials/offline'
import { type Home, initHome, openHome } from '@tessera/identity'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bitstring } from './bitstring.js'
import type { StatusCache, StatusCacheEvent } from './cache.js'
import { statusChecker } from './checker.js'
import { buildEntry } from './entry.js'
import { directorySource, listFileName } from './fetch.js'
import { buildListCredential } from './list-credential.js'
import { statusMigrations } from './migrations.js'
import { createPersistentStatusCache, getSavedStatusList, homeListSource } from './persist.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const TTL = 5 * MINUTE
const MAX_STALENESS = DAY
const LIST = 'https://acme.tessera.invalid/status/1-revocation'

interface Party {
  did: string
  kid: string
  privateKey: KeyObject
}

function makeParty(): Party {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x ?? ''
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(x, 'base64url') })
  return { did, kid: `${did}#${did.slice('did:key:'.length)}`, privateKey }
}

/** A signed revocation BitstringStatusListCredential (vc+jwt) with `set` revoked, valid from `validFrom`. */
function listToken(options: { set?: number[]; validFrom?: number; signer?: Party } = {}): Promise<string> {
  const bitstring = new Bitstring({ statusSize: 1 })
  for (const index of options.set ?? []) bitstring.set(index, 1)
  const credential = buildListCredential({
    id: LIST,
    issuer: ISSUER.did,
    statusPurpose: 'revocation',
    bitstring,
    validFrom: new Date(options.validFrom ?? clock - HOUR),
    validUntil: new Date(T0 + 30 * DAY),
    ttlMs: TTL,
  })
  const signer = options.signer ?? ISSUER
  return signCompactJws({
    header: { alg: 'EdDSA', typ: 'vc+jwt', kid: signer.kid },
    payload: credential as unknown as Record<string, unknown>,
    sign: (input) => nodeSign(null, input, signer.privateKey),
  })
}

/** Publish a list file modified at `clock`; returns the token. */
async function publish(
  options: { set?: number[]; validFrom?: number; signer?: Party } = {},
): Promise<string> {
  const token = await listToken(options)
  const path = join(dir, listFileName(LIST) ?? 'unnamed')
  writeFileSync(path, `${token}\n`)
  utimesSync(path, new Date(clock), new Date(clock))
  return token
}

const unpublish = () => unlinkSync(join(dir, listFileName(LIST) ?? 'unnamed'))

/** A new cache over the home ("a new process"), reading `dir` unless `sources` is false. */
function makeCache(withSources = true): StatusCache {
  return createPersistentStatusCache({
    db: home.dataSource,
    sources: withSources ? [directorySource(dir)] : [],
    trust: TRUST,
    maxStalenessMs: MAX_STALENESS,
    now: () => new Date(clock),
    onEvent: (event) => events.push(event),
  })
}

async function check(cache: StatusCache, index: number): Promise<StatusResult> {
  const result = statusChecker(cache).check({
    entry: buildEntry({ purpose: 'revocation', index, listCredential: LIST }),
    credentialId: 'urn:uuid:1',
    issuer: ISSUER.did,
  })
  return result instanceof Promise ? await result : result
}

function expectFailure(result: StatusResult, code: ErrorCode): void {
  expect(result).toMatchObject({ ok: false, code })
}

let ISSUER: Party
let STRANGER: Party
let TRUST: TrustBundle
let root: string
let home: Home
let dir: string
let clock = T0
let events: StatusCacheEvent[] = []

beforeAll(async () => {
  ISSUER = makeParty()
  STRANGER = makeParty()
  TRUST = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: ISSUER.did,
    role: 'support-agent',
    permissions: ['read:tickets/*'],
  })
  root = mkdtempSync(join(tmpdir(), 'tessera-status-persist-'))
  const migrations = [...credentialsMigrations, ...statusMigrations]
  await initHome({ dir: join(root, 'globex'), org: 'Globex', env: {}, migrations })
  home = await openHome({ dir: join(root, 'globex'), env: {}, migrations })
})

afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

beforeEach(async () => {
  await home.dataSource.query(`DELETE FROM "tessera_status_cache"`)
  dir = mkdtempSync(join(root, 'published-'))
  clock = T0
  events = []
})

describe('status lists kept in the home', () => {
  it('saves a verified list as retrieved and serves it after its source is gone', async () => {
    const token = await publish({ set: [3] })
    const first = makeCache()
    expectFailure(await check(first, 3), 'ERR_STATUS_REVOKED')
    const saved = await getSavedStatusList(home.dataSource, LIST)
    expect(saved).toMatchObject({ listId: LIST, token, fetchedAt: T0 })
    expect(saved?.versionHash).toMatch(/^[A-Za-z0-9_-]{43}$/)

    unpublish()
    clock += HOUR
    for (const restarted of [makeCache(), makeCache(false)]) {
      // Staleness counts from when the list was really fetched (T0), not from when it was read back.
      expect(await check(restarted, 5)).toMatchObject({
        ok: true,
        details: { versionHash: saved?.versionHash, ageMs: HOUR },
      })
      expectFailure(await check(restarted, 3), 'ERR_STATUS_REVOKED')
    }
  })

  it('replaces the saved copy with a newer verified version', async () => {
    await publish()
    expect(await check(makeCache(), 4)).toMatchObject({ ok: true })
    clock += HOUR
    const newer = await publish({ set: [4] })
    expectFailure(await check(makeCache(), 4), 'ERR_STATUS_REVOKED')
    expect(await getSavedStatusList(home.dataSource, LIST)).toMatchObject({ token: newer, fetchedAt: clock })
    unpublish()
    expectFailure(await check(makeCache(false), 4), 'ERR_STATUS_REVOKED')
  })

  it('fails closed with ERR_STATUS_STALE once the saved list is older than maxStalenessMs', async () => {
    await publish()
    expect(await check(makeCache(), 1)).toMatchObject({ ok: true })
    unpublish()
    clock = T0 + MAX_STALENESS - MINUTE
    expect(await check(makeCache(), 1)).toMatchObject({ ok: true })
    clock = T0 + MAX_STALENESS + MINUTE
    expectFailure(await check(makeCache(), 1), 'ERR_STATUS_STALE')
    expectFailure(await check(makeCache(false), 1), 'ERR_STATUS_STALE')
  })

  it('keeps a saved revocation a newer list clears after a restart (ERR_STATUS_REVOCATION_CLEARED)', async () => {
    const revoked = await publish({ set: [10] })
    expectFailure(await check(makeCache(), 10), 'ERR_STATUS_REVOKED')
    clock += HOUR
    await publish() // a newer list (later validFrom) with entry 10 cleared
    const restarted = makeCache()
    expectFailure(await check(restarted, 10), 'ERR_STATUS_REVOCATION_CLEARED')
    expect(events.some((e) => e.type === 'revocation-cleared' && e.indexes.includes(10))).toBe(true)
    // The saved copy keeps the revocation; later restarts still refuse to clear it.
    expect((await getSavedStatusList(home.dataSource, LIST))?.token).toBe(revoked)
    clock += HOUR
    await publish({ set: [11] })
    const again = makeCache()
    expectFailure(await check(again, 10), 'ERR_STATUS_REVOCATION_CLEARED')
    expectFailure(await check(again, 11), 'ERR_STATUS_REVOKED')
    expect((await getSavedStatusList(home.dataSource, LIST))?.token).toBe(revoked)
  })

  it('refuses an older version than the saved one as a rollback, serving the saved one', async () => {
    await publish({ set: [2] })
    expectFailure(await check(makeCache(), 2), 'ERR_STATUS_REVOKED')
    await publish({ validFrom: T0 - 2 * HOUR }) // older validFrom, entry 2 cleared
    expectFailure(await check(makeCache(), 2), 'ERR_STATUS_REVOKED')
  })

  it('never saves a list that does not verify', async () => {
    await publish({ signer: STRANGER })
    expectFailure(await check(makeCache(), 1), 'ERR_STATUS_VERIFICATION')
    expect(await getSavedStatusList(home.dataSource, LIST)).toBeUndefined()

    const good = await publish()
    expect(await check(makeCache(), 1)).toMatchObject({ ok: true })
    clock += HOUR
    await publish({ set: [1], signer: STRANGER })
    // The forged newer list is refused; the saved (verified) one is served and kept.
    expect(await check(makeCache(), 1)).toMatchObject({ ok: true })
    expect((await getSavedStatusList(home.dataSource, LIST))?.token).toBe(good)
  })

  it('homeListSource serves the saved token with its original fetchedAt, or ERR_STATUS_RETRIEVAL', async () => {
    const source = homeListSource(home.dataSource)
    expect(source.name).toBe('home-cache')
    await expect(source.load(LIST, { now: new Date(clock) })).rejects.toMatchObject({
      code: 'ERR_STATUS_RETRIEVAL',
      details: { reason: 'not-found' },
    })
    const token = await publish()
    await check(makeCache(), 0)
    const loaded = await source.load(LIST, { now: new Date(T0 + DAY) })
    expect(loaded.token).toBe(token)
    expect(loaded.fetchedAt.getTime()).toBe(T0)
  })
})
