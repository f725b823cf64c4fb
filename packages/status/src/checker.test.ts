/**
 * The verifier's status checks end to end: list credentials built with `buildListCredential`, signed as vc+jwt
 * with node:crypto Ed25519 keys (did:key), published as files in a temp directory, verified and cached by
 * `createStatusCache`, read by `statusChecker`, and finally plugged into `verifyPresentation`. No mocks: real
 * signatures, real files, a fake clock only.
 */
import { generateKeyPairSync, type KeyObject, sign as nodeSign, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ErrorCode, Permission } from '@tessera/core'
import { type StatusResult, signCompactJws, verifyPresentation } from '@tessera/credentials/offline'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, parseTrustBundle, type TrustBundle } from '@tessera/policy'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bitstring } from './bitstring.js'
import {
  createStatusCache,
  type StatusCache,
  type StatusCacheEvent,
  type StatusCacheOptions,
} from './cache.js'
import { statusChecker } from './checker.js'
import { type BitstringStatusListEntry, buildEntry, type StatusPurpose } from './entry.js'
import { directorySource, listFileName, type StatusListSource } from './fetch.js'
import { buildListCredential } from './list-credential.js'

// ---------------------------------------------------------------------------------------------------------
// Fixtures

const T0 = Date.parse('2026-03-01T12:00:00Z')
const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const TTL = 5 * MINUTE
const MAX_STALENESS = 1 * DAY
const BASE = 'https://acme.tessera.invalid/status/'
const REVOCATION_LIST = `${BASE}1-revocation`
const SUSPENSION_LIST = `${BASE}1-suspension`

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

/** Sign `payload` as a compact JWS with `signer`'s key (header `typ` vc+jwt unless overridden). */
function sign(signer: Party, payload: object, header: Record<string, unknown> = {}): Promise<string> {
  return signCompactJws({
    header: { alg: 'EdDSA', typ: 'vc+jwt', kid: signer.kid, ...header },
    payload: payload as Record<string, unknown>,
    sign: (input) => nodeSign(null, input, signer.privateKey),
  })
}

interface ListOptions {
  id?: string
  purpose?: StatusPurpose | StatusPurpose[]
  /** Indexes set to 1 (or [index, value] pairs). */
  set?: (number | [number, number])[]
  issuer?: Party
  /** Who signs; default the issuer. */
  signer?: Party
  validFrom?: number
  validUntil?: number | null
  ttlMs?: number | null
  statusSize?: number
}

/** A signed BitstringStatusListCredential (vc+jwt). */
function listToken(options: ListOptions = {}): Promise<string> {
  const issuer = options.issuer ?? ISSUER
  const bitstring = new Bitstring({ statusSize: options.statusSize ?? 1 })
  for (const item of options.set ?? []) {
    const [index, value] = typeof item === 'number' ? [item, 1] : item
    bitstring.set(index, value)
  }
  const credential = buildListCredential({
    id: options.id ?? REVOCATION_LIST,
    issuer: issuer.did,
    statusPurpose: options.purpose ?? 'revocation',
    bitstring,
    validFrom: new Date(options.validFrom ?? clock - HOUR),
    validUntil: options.validUntil === null ? undefined : new Date(options.validUntil ?? T0 + 30 * DAY),
    ttlMs: options.ttlMs === null ? undefined : (options.ttlMs ?? TTL),
  })
  return sign(options.signer ?? issuer, credential)
}

/** Write a list into the published directory as `<last path segment of its id>`, modified at `clock`. */
async function publish(options: ListOptions = {}, token?: string): Promise<string> {
  const id = options.id ?? REVOCATION_LIST
  const path = join(dir, listFileName(id) ?? 'unnamed')
  writeFileSync(path, `${token ?? (await listToken(options))}\n`)
  utimesSync(path, new Date(clock), new Date(clock))
  return path
}

function unpublish(id: string): void {
  unlinkSync(join(dir, listFileName(id) ?? 'unnamed'))
}

const entry = (purpose: StatusPurpose, index: number, listCredential?: string): BitstringStatusListEntry =>
  buildEntry({
    purpose,
    index,
    listCredential: listCredential ?? (purpose === 'suspension' ? SUSPENSION_LIST : REVOCATION_LIST),
  })

let ISSUER: Party // Acme's credential issuer, publishes its own lists
let STATUS_SERVICE: Party // a separate status publisher Globex trusts for Initech's credentials
let INITECH: Party // Initech's issuer, whose lists STATUS_SERVICE publishes
let STRANGER: Party // in no organisation of the bundle
let HOLDER: Party
let TRUST: TrustBundle
let dir: string
let clock = T0
let events: StatusCacheEvent[] = []
let loads = 0

/** A directory source that counts retrievals (to show what the cache did not fetch). */
function countingSource(source: StatusListSource): StatusListSource {
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
    sources: [countingSource(directorySource(dir))],
    trust: TRUST,
    maxStalenessMs: MAX_STALENESS,
    now: () => new Date(clock),
    onEvent: (event) => events.push(event),
    ...options,
  })
}

/** Check one entry for a credential of `issuer` (default ISSUER), awaiting only a thenable. */
async function check(
  cache: StatusCache,
  statusEntry: unknown,
  issuer: string = ISSUER.did,
): Promise<StatusResult> {
  const result = statusChecker(cache).check({ entry: statusEntry, credentialId: 'urn:uuid:1', issuer })
  return result instanceof Promise ? await result : result
}

function expectFailure(result: StatusResult, code: ErrorCode): Record<string, unknown> {
  expect(result).toMatchObject({ ok: false, code })
  return result.details ?? {}
}

beforeAll(() => {
  ;[ISSUER, STATUS_SERVICE, INITECH, STRANGER, HOLDER] = [
    makeParty(),
    makeParty(),
    makeParty(),
    makeParty(),
    makeParty(),
  ]
  let trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: ISSUER.did,
    role: 'support-agent',
    permissions: ['read:tickets/*', 'write:tickets/*'],
  })
  trust = addTrust(trust, {
    org: 'Initech',
    issuer: INITECH.did,
    role: 'auditor',
    permissions: ['read:reports/*'],
  })
  // Initech's lists are published by a status service; Initech's own key is not accepted for them.
  const json = JSON.parse(JSON.stringify(trust))
  json.organisations.Initech.statusIssuers = [STATUS_SERVICE.did]
  TRUST = parseTrustBundle(json)
})

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-status-checker-'))
  clock = T0
  events = []
  loads = 0
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------------------

describe('statusChecker over a cached list', () => {
  it('accepts an unset entry, and names the list version and its age', async () => {
    await publish({ set: [7] })
    await publish({ id: SUSPENSION_LIST, purpose: 'suspension' })
    const cache = makeCache()
    const revocation = await check(cache, entry('revocation', 42))
    expect(revocation).toEqual({
      ok: true,
      purpose: 'revocation',
      details: {
        listId: REVOCATION_LIST,
        index: 42,
        purpose: 'revocation',
        ageMs: 0,
        versionHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        value: 0,
      },
    })
    expect(await check(cache, entry('suspension', 42))).toMatchObject({ ok: true, purpose: 'suspension' })
  })

  it('answers synchronously (a plain object, not a promise) once the list is cached and fresh', async () => {
    await publish()
    const cache = makeCache()
    const checker = statusChecker(cache)
    const request = { entry: entry('revocation', 1), credentialId: undefined, issuer: ISSUER.did }
    const first = checker.check(request)
    expect(first).toBeInstanceOf(Promise)
    await first
    clock += TTL - SECOND
    const second = checker.check(request)
    expect(second).not.toBeInstanceOf(Promise)
    expect(typeof (second as { then?: unknown }).then).toBe('undefined')
    expect(second).toMatchObject({ ok: true, details: { ageMs: TTL - SECOND } })
    expect(loads).toBe(1)
  })

  it('refuses a revoked credential (ERR_STATUS_REVOKED)', async () => {
    await publish({ set: [94_567] })
    const details = expectFailure(await check(makeCache(), entry('revocation', 94_567)), 'ERR_STATUS_REVOKED')
    expect(details).toMatchObject({ listId: REVOCATION_LIST, index: 94_567, purpose: 'revocation', value: 1 })
  })

  it('refuses a suspended credential (ERR_STATUS_SUSPENDED), and accepts it again once unsuspended', async () => {
    await publish({ id: SUSPENSION_LIST, purpose: 'suspension', set: [5] })
    const cache = makeCache()
    expectFailure(await check(cache, entry('suspension', 5)), 'ERR_STATUS_SUSPENDED')
    clock += MINUTE
    await publish({ id: SUSPENSION_LIST, purpose: 'suspension' }) // suspension is reversible
    await cache.refresh(SUSPENSION_LIST)
    expect(await check(cache, entry('suspension', 5))).toMatchObject({ ok: true })
    expect(events.filter((e) => e.type === 'revocation-cleared')).toEqual([])
  })

  it('reports refresh and message purposes as ok, with the value and its message', async () => {
    const messages = [
      { status: '0x0', message: 'valid' },
      { status: '0x1', message: 'pending review' },
      { status: '0x2', message: 'under investigation' },
      { status: '0x3', message: 'contact issuer' },
    ]
    const id = `${BASE}1-message`
    await publish({ id, purpose: 'message', statusSize: 2, set: [[9, 2]] })
    await publish({ id: `${BASE}1-refresh`, purpose: 'refresh', set: [3] })
    const cache = makeCache()
    const message = buildEntry({
      purpose: 'message',
      index: 9,
      listCredential: id,
      statusSize: 2,
      statusMessage: messages,
    })
    expect(await check(cache, message)).toEqual({
      ok: true,
      purpose: 'message',
      message: 'under investigation',
      details: expect.objectContaining({ listId: id, index: 9, purpose: 'message', value: 2 }),
    })
    expect(await check(cache, entry('refresh', 3, `${BASE}1-refresh`))).toMatchObject({
      ok: true,
      purpose: 'refresh',
      details: { value: 1 },
    })
  })
})

describe('entries that do not fit the list', () => {
  it('refuses a malformed entry with its code (ERR_STATUS_LIST_MALFORMED)', async () => {
    const cache = makeCache()
    expectFailure(
      await check(cache, { ...entry('revocation', 1), statusListIndex: '0x10' }),
      'ERR_STATUS_LIST_MALFORMED',
    )
    expectFailure(
      await check(cache, { ...entry('revocation', 1), statusPurpose: 'expiry' }),
      'ERR_STATUS_LIST_MALFORMED',
    )
    expectFailure(await check(cache, 'not an entry'), 'ERR_STATUS_LIST_MALFORMED')
    expect(loads).toBe(0)
  })

  it('refuses an index outside the list (ERR_STATUS_RANGE)', async () => {
    await publish()
    const details = expectFailure(await check(makeCache(), entry('revocation', 131_072)), 'ERR_STATUS_RANGE')
    expect(details).toMatchObject({ specError: 'RANGE_ERROR', listId: REVOCATION_LIST, index: 131_072 })
  })

  it('refuses an entry whose purpose is not the list purpose (ERR_STATUS_VERIFICATION)', async () => {
    await publish() // a revocation list
    const details = expectFailure(
      await check(makeCache(), entry('suspension', 1, REVOCATION_LIST)),
      'ERR_STATUS_VERIFICATION',
    )
    expect(details).toMatchObject({ specError: 'STATUS_VERIFICATION_ERROR', statusPurpose: 'suspension' })
  })

  it("refuses an entry whose statusSize is not the list's (ERR_STATUS_VERIFICATION)", async () => {
    await publish() // statusSize 1
    const wide = buildEntry({
      purpose: 'revocation',
      index: 1,
      listCredential: REVOCATION_LIST,
      statusSize: 2,
      statusMessage: ['0x0', '0x1', '0x2', '0x3'].map((status) => ({ status, message: status })),
    })
    const details = expectFailure(await check(makeCache(), wide), 'ERR_STATUS_VERIFICATION')
    expect(details).toMatchObject({ statusSize: 2, listStatusSize: 1 })
  })
})

describe('which lists are accepted', () => {
  it('refuses a list signed by an issuer in no organisation of the bundle (ERR_STATUS_ISSUER_UNTRUSTED)', async () => {
    await publish({ issuer: STRANGER, set: [] })
    const details = expectFailure(
      await check(makeCache(), entry('revocation', 1)),
      'ERR_STATUS_ISSUER_UNTRUSTED',
    )
    expect(details).toMatchObject({ listId: REVOCATION_LIST, issuer: STRANGER.did })
  })

  it("refuses a list by another organisation's status issuer (ERR_STATUS_ISSUER_UNTRUSTED)", async () => {
    // STATUS_SERVICE is trusted for Initech's credentials, not for Acme's.
    await publish({ issuer: STATUS_SERVICE })
    const details = expectFailure(
      await check(makeCache(), entry('revocation', 1)),
      'ERR_STATUS_ISSUER_UNTRUSTED',
    )
    expect(details).toMatchObject({ listId: REVOCATION_LIST, index: 1, ageMs: 0 })
  })

  it("accepts a designated status issuer's list for its organisation's credentials only", async () => {
    const id = 'https://initech.tessera.invalid/status/7-revocation'
    await publish({ id, issuer: STATUS_SERVICE, set: [3] })
    const cache = makeCache()
    expect(await check(cache, entry('revocation', 2, id), INITECH.did)).toMatchObject({ ok: true })
    expectFailure(await check(cache, entry('revocation', 3, id), INITECH.did), 'ERR_STATUS_REVOKED')
    // The same list for a credential of Acme: STATUS_SERVICE does not speak for Acme.
    expectFailure(await check(cache, entry('revocation', 2, id), ISSUER.did), 'ERR_STATUS_ISSUER_UNTRUSTED')
  })

  it('does not retrieve anything for a credential whose issuer the bundle does not know (ERR_STATUS_ISSUER_UNTRUSTED)', async () => {
    await publish()
    expectFailure(
      await check(makeCache(), entry('revocation', 1), STRANGER.did),
      'ERR_STATUS_ISSUER_UNTRUSTED',
    )
    expect(loads).toBe(0)
  })

  it('refuses a list whose signature does not verify (ERR_STATUS_VERIFICATION)', async () => {
    // Signed by the stranger's key but naming ISSUER in the kid: the signature fails under ISSUER's key.
    const token = await sign(
      STRANGER,
      buildListCredential({
        id: REVOCATION_LIST,
        issuer: ISSUER.did,
        statusPurpose: 'revocation',
        bitstring: new Bitstring(),
        validFrom: new Date(T0 - HOUR),
      }),
      { kid: ISSUER.kid },
    )
    await publish({}, token)
    const details = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_VERIFICATION')
    expect(details).toMatchObject({
      specError: 'STATUS_VERIFICATION_ERROR',
      reason: 'proof',
      errors: [expect.objectContaining({ code: 'ERR_JWS_SIGNATURE' })],
    })
  })

  it('refuses a list whose bytes were altered after signing (ERR_STATUS_VERIFICATION)', async () => {
    const token = await listToken({ set: [12] })
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const unrevoked = await listToken({ set: [] })
    claims.credentialSubject.encodedList = JSON.parse(
      Buffer.from(unrevoked.split('.')[1] ?? '', 'base64url').toString(),
    ).credentialSubject.encodedList
    await publish({}, `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`)
    const details = expectFailure(
      await check(makeCache(), entry('revocation', 12)),
      'ERR_STATUS_VERIFICATION',
    )
    expect(details.errors).toEqual([expect.objectContaining({ code: 'ERR_JWS_SIGNATURE' })])
  })

  it('refuses a list credential that is not vc+jwt or not a BitstringStatusListCredential', async () => {
    await publish({}, await sign(ISSUER, { id: REVOCATION_LIST }, { typ: 'JWT' }))
    const typ = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_VERIFICATION')
    expect(typ.errors).toEqual([expect.objectContaining({ code: 'ERR_JWS_TYP' })])

    const notAList = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: REVOCATION_LIST,
      type: ['VerifiableCredential'],
      issuer: ISSUER.did,
      validFrom: '2026-03-01T00:00:00Z',
      credentialSubject: { id: `${REVOCATION_LIST}#list` },
    }
    await publish({}, await sign(ISSUER, notAList))
    expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_LIST_MALFORMED')
  })

  it('refuses a file holding another list than the one asked for (ERR_STATUS_VERIFICATION)', async () => {
    // The file for 1-revocation holds the (validly signed) suspension list.
    await publish({}, await listToken({ id: SUSPENSION_LIST, purpose: 'suspension' }))
    const details = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_VERIFICATION')
    expect(details).toMatchObject({ reason: 'id-mismatch', id: SUSPENSION_LIST })
  })

  it('refuses an expired list (validUntil passed) as stale (ERR_STATUS_STALE)', async () => {
    await publish({ validFrom: T0 - 2 * DAY, validUntil: T0 - DAY })
    const details = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_STALE')
    expect(details).toMatchObject({ reason: 'validUntil', listId: REVOCATION_LIST })
  })

  it('stops using a cached list at its validUntil, even offline within maxStalenessMs (ERR_STATUS_STALE)', async () => {
    await publish({ validUntil: T0 + 10 * MINUTE })
    const cache = makeCache({ clockToleranceSec: 0 })
    expect(await check(cache, entry('revocation', 1))).toMatchObject({ ok: true })
    unpublish(REVOCATION_LIST)
    clock = T0 + 10 * MINUTE
    const details = expectFailure(await check(cache, entry('revocation', 1)), 'ERR_STATUS_STALE')
    expect(details).toMatchObject({
      reason: 'validUntil',
      ageMs: 10 * MINUTE,
      validUntil: '2026-03-01T12:10:00.000Z',
    })
  })

  it('fails closed when the list cannot be retrieved (ERR_STATUS_RETRIEVAL)', async () => {
    const details = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_RETRIEVAL')
    expect(details).toMatchObject({
      specError: 'STATUS_RETRIEVAL_ERROR',
      listId: REVOCATION_LIST,
      reason: 'not-found',
    })
  })
})

describe('refresh, offline mode and revocation finality', () => {
  it('picks up a new list when the ttl has elapsed: a revocation takes effect at the next refresh', async () => {
    await publish()
    const cache = makeCache()
    expect(await check(cache, entry('revocation', 77))).toMatchObject({ ok: true })
    const first = events.find((e) => e.type === 'loaded')

    clock += MINUTE
    await publish({ set: [77] }) // revoked at the issuer
    // Within the ttl the cached version is used, as the spec allows.
    expect(await check(cache, entry('revocation', 77))).toMatchObject({
      ok: true,
      details: { ageMs: MINUTE },
    })
    expect(loads).toBe(1)

    clock = T0 + TTL
    const result = await check(cache, entry('revocation', 77))
    const details = expectFailure(result, 'ERR_STATUS_REVOKED')
    expect(details.versionHash).not.toBe(first?.type === 'loaded' ? first.versionHash : undefined)
    expect(details.ageMs).toBe(TTL - MINUTE) // fetched (file written) a minute after T0
    expect(loads).toBe(2)
  })

  it('serves the cached list offline until maxStalenessMs, then fails closed with its age (ERR_STATUS_STALE)', async () => {
    await publish()
    const cache = makeCache()
    expect(await check(cache, entry('revocation', 1))).toMatchObject({ ok: true })
    unpublish(REVOCATION_LIST) // the verifier is cut off from the issuer

    clock = T0 + 2 * HOUR
    expect(await check(cache, entry('revocation', 1))).toMatchObject({
      ok: true,
      details: { ageMs: 2 * HOUR, refreshError: 'ERR_STATUS_RETRIEVAL' },
    })
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'refresh-failed',
        listId: REVOCATION_LIST,
        code: 'ERR_STATUS_RETRIEVAL',
      }),
    )

    clock = T0 + MAX_STALENESS
    expect(await check(cache, entry('revocation', 1))).toMatchObject({
      ok: true,
      details: { ageMs: MAX_STALENESS },
    })

    clock = T0 + MAX_STALENESS + 1
    const result = await check(cache, entry('revocation', 1))
    const details = expectFailure(result, 'ERR_STATUS_STALE')
    expect(details).toMatchObject({
      specError: 'STATUS_RETRIEVAL_ERROR',
      listId: REVOCATION_LIST,
      reason: 'maxStaleness',
      ageMs: MAX_STALENESS + 1,
      maxStalenessMs: MAX_STALENESS,
      refreshError: 'ERR_STATUS_RETRIEVAL',
      index: 1,
      purpose: 'revocation',
    })
    expect(result.ok ? '' : result.message).toMatch(/86400001 ms old/)

    // Back online: the next retrieval restores service.
    clock = T0 + MAX_STALENESS + MINUTE
    await publish()
    clock += 10 * MINUTE
    expect(await check(cache, entry('revocation', 1))).toMatchObject({
      ok: true,
      details: { ageMs: 10 * MINUTE },
    })
  })

  it('measures the age of a directory copy from when it was written: an old copy is stale at once', async () => {
    await publish()
    clock = T0 + MAX_STALENESS + HOUR // the sync job stopped a day ago; the file is still there
    const details = expectFailure(await check(makeCache(), entry('revocation', 1)), 'ERR_STATUS_STALE')
    expect(details).toMatchObject({ reason: 'maxStaleness', ageMs: MAX_STALENESS + HOUR })
  })

  it('with maxStalenessMs 0 never uses a list past its ttl (the spec rule)', async () => {
    await publish()
    const cache = makeCache({ maxStalenessMs: 0 })
    expect(await check(cache, entry('revocation', 1))).toMatchObject({ ok: true })
    unpublish(REVOCATION_LIST)
    clock = T0 + TTL
    expect(await check(cache, entry('revocation', 1))).toMatchObject({ ok: true, details: { ageMs: TTL } })
    clock = T0 + TTL + 1
    expectFailure(await check(cache, entry('revocation', 1)), 'ERR_STATUS_STALE')
  })

  it('keeps a revocation a newer list clears, and reports it (ERR_STATUS_REVOCATION_CLEARED)', async () => {
    await publish({ set: [10, 11] })
    const cache = makeCache()
    expectFailure(await check(cache, entry('revocation', 10)), 'ERR_STATUS_REVOKED')

    clock += MINUTE
    await publish({ set: [11, 12] }) // clears 10 (not allowed), keeps 11, revokes 12
    const [refresh] = await cache.refresh(REVOCATION_LIST)
    expect(refresh).toMatchObject({ ok: true, changed: true, revocationCleared: [10] })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'revocation-cleared', listId: REVOCATION_LIST, indexes: [10] }),
    )

    const details = expectFailure(
      await check(cache, entry('revocation', 10)),
      'ERR_STATUS_REVOCATION_CLEARED',
    )
    expect(details).toMatchObject({ listId: REVOCATION_LIST, index: 10, value: 1, ageMs: 0 })
    expectFailure(await check(cache, entry('revocation', 11)), 'ERR_STATUS_REVOKED')
    expectFailure(await check(cache, entry('revocation', 12)), 'ERR_STATUS_REVOKED') // the new revocation applies
    expect(await check(cache, entry('revocation', 13))).toMatchObject({ ok: true })

    // Still cleared in the next version: still refused, reported once.
    clock += MINUTE
    await publish({ set: [11, 12, 14] })
    expect(await cache.refresh(REVOCATION_LIST)).toMatchObject([{ ok: true, revocationCleared: [] }])
    expectFailure(await check(cache, entry('revocation', 10)), 'ERR_STATUS_REVOCATION_CLEARED')
    expect(events.filter((e) => e.type === 'revocation-cleared')).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------------------
// verifyPresentation with this checker plugged in

describe('verifyPresentation with statusChecker', () => {
  const DOMAIN = 'verifier.globex.example'
  const REQUEST: Permission = { action: 'read', resource: 'tickets/42' }
  const V2 = 'https://www.w3.org/ns/credentials/v2'
  const seconds = (ms: number) => Math.floor(ms / 1000)
  const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`

  async function roleCredential(index: number): Promise<string> {
    const id = `urn:uuid:${randomUUID()}`
    return sign(ISSUER, {
      '@context': [V2],
      id,
      type: ['VerifiableCredential', 'AgentRoleCredential'],
      issuer: ISSUER.did,
      validFrom: stamp(T0 - DAY),
      validUntil: stamp(T0 + 30 * DAY),
      credentialSubject: {
        id: HOLDER.did,
        role: 'support-agent',
        permissions: [{ action: 'read', resource: 'tickets/*' }],
      },
      credentialStatus: [entry('revocation', index), entry('suspension', index)],
    })
  }

  async function presentation(credential: string, at: number): Promise<string> {
    return sign(
      HOLDER,
      {
        '@context': [V2],
        type: ['VerifiablePresentation'],
        holder: HOLDER.did,
        verifiableCredential: [
          {
            '@context': V2,
            type: 'EnvelopedVerifiableCredential',
            id: `data:application/vc+jwt,${credential}`,
          },
        ],
        aud: DOMAIN,
        iat: seconds(at - 10 * SECOND),
        exp: seconds(at + 5 * MINUTE),
      },
      { typ: 'vp+jwt', kid: HOLDER.kid },
    )
  }

  it('allows a credential whose status bits are unset, and denies it once revoked and the list refreshed', async () => {
    await publish()
    await publish({ id: SUSPENSION_LIST, purpose: 'suspension' })
    const cache = makeCache()
    const status = statusChecker(cache)
    const credential = await roleCredential(4_242)

    const allowed = await verifyPresentation({
      presentation: await presentation(credential, clock),
      domain: DOMAIN,
      trust: TRUST,
      status,
      request: REQUEST,
      now: new Date(clock),
    })
    expect(allowed.errors).toEqual([])
    expect(allowed).toMatchObject({ verified: true, allowed: true })
    // the Decision names the list, index and age each status check used
    expect(allowed.checks).toContainEqual({
      check: 'vc[0].credentialStatus[0]',
      ok: true,
      details: expect.objectContaining({
        listId: expect.any(String),
        index: expect.any(Number),
        ageMs: expect.any(Number),
      }),
    })
    expect(allowed.checks).toContainEqual({
      check: 'vc[0].credentialStatus[1]',
      ok: true,
      details: expect.objectContaining({ purpose: 'suspension' }),
    })

    clock += 2 * MINUTE
    await publish({ set: [4_242] }) // the issuer revokes and publishes
    await cache.refresh()

    const denied = await verifyPresentation({
      presentation: await presentation(credential, clock),
      domain: DOMAIN,
      trust: TRUST,
      status,
      request: REQUEST,
      now: new Date(clock),
    })
    expect(denied).toMatchObject({ verified: false, allowed: false })
    expect(denied.errors.map((e) => e.code)).toEqual(['ERR_STATUS_REVOKED'])
    expect(denied.checks).toContainEqual(
      expect.objectContaining({ check: 'vc[0].credentialStatus[0]', ok: false, code: 'ERR_STATUS_REVOKED' }),
    )
    expect(denied.checks).toContainEqual(
      expect.objectContaining({ check: 'vc[0].credentialStatus[1]', ok: true }),
    )
  })

  it('denies a suspended credential, and fails closed when the lists are gone and stale', async () => {
    await publish()
    await publish({ id: SUSPENSION_LIST, purpose: 'suspension', set: [8] })
    const cache = makeCache()
    const status = statusChecker(cache)
    const verify = async (index: number) =>
      verifyPresentation({
        presentation: await presentation(await roleCredential(index), clock),
        domain: DOMAIN,
        trust: TRUST,
        status,
        request: REQUEST,
        now: new Date(clock),
      })
    expect((await verify(8)).errors.map((e) => e.code)).toEqual(['ERR_STATUS_SUSPENDED'])
    expect(await verify(9)).toMatchObject({ verified: true, allowed: true })

    unpublish(REVOCATION_LIST)
    unpublish(SUSPENSION_LIST)
    clock += MAX_STALENESS + MINUTE
    const stale = await verify(9)
    expect(stale).toMatchObject({ verified: false, allowed: false })
    expect(stale.errors.map((e) => e.code)).toEqual(['ERR_STATUS_STALE', 'ERR_STATUS_STALE'])
  })
})
