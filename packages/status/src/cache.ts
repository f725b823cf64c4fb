/**
 * The verifier's status list cache: retrieves published `BitstringStatusListCredential`s from its sources,
 * verifies each (`vc+jwt` proof, validity period, shape, issuer trusted for status), decodes its bitstring once,
 * and serves it to status checks until its `ttl` elapses (Bitstring Status List v1.0 §2.2 `ttl`, §3.2 steps 4-9).
 *
 * Offline mode: when a refresh fails, the cached list keeps being served until it is older than
 * `maxStalenessMs`; then checks fail closed with `ERR_STATUS_STALE`. Revocation is final (§2.2: "This status is
 * not reversible"): a newer list that clears a revocation bit is reported (`ERR_STATUS_REVOCATION_CLEARED`) and
 * the bit is kept.
 */
import { createHash } from 'node:crypto'
import { InputError, TesseraError, toTesseraError, VerificationError } from '@tessera/core'
import { DEFAULT_LIMITS, type JwsAlg, verifyCredential } from '@tessera/credentials/offline'
import { isStatusIssuerTrusted, parseTrustBundle, type TrustBundle } from '@tessera/policy'
import { Bitstring } from './bitstring.js'
import type { DecodedStatusList } from './check.js'
import { assertMaxDecompressedBytes, DEFAULT_MAX_DECOMPRESSED_BYTES, decodeList } from './codec.js'
import { describeValue, statusError } from './errors.js'
import { DEFAULT_MAX_LIST_BYTES, type FetchedStatusList, type StatusListSource } from './fetch.js'
import { parseListCredential } from './list-credential.js'

/** `ttl` when a list credential states none: 300,000 ms (Bitstring Status List v1.0 §2.2, "MUST use"). */
export const DEFAULT_LIST_TTL_MS = 300_000

/** Default wait after a failed retrieval before the sources are asked again, in milliseconds. */
export const DEFAULT_RETRY_AFTER_MS = 10_000

/** Default floor on the time between two retrievals of one list (a `ttl` of 0 would fetch on every check). */
export const DEFAULT_MIN_TTL_MS = 1_000

/** Default cap on the number of lists one cache holds. */
export const DEFAULT_MAX_LISTS = 1_024

/**
 * A verified, decoded status list as the cache serves it: an immutable snapshot (a refresh installs a new
 * one), usable directly as `checkStatus`'s `list`.
 */
export interface CachedStatusList extends DecodedStatusList {
  /** The list credential's `id`, equal to the entries' `statusListCredential` (§2.1, §2.2). */
  readonly listCredentialId: string
  /** The expanded `encodedList`, with any revocation a newer list tried to clear kept set. */
  readonly bitstring: Bitstring
  /** `credentialSubject.statusPurpose` (§2.2). */
  readonly statusPurpose: string | readonly string[]
  /** `credentialSubject.statusSize`, when stated (§2.2). */
  readonly statusSize: number | undefined
  /** The list credential's `issuer`, the DID whose `assertionMethod` key signed it. */
  readonly issuer: string
  /** When this version was obtained from the issuer (the source's `fetchedAt`), epoch milliseconds. */
  readonly fetchedAt: number
  /** When the cache last read it from a source, epoch milliseconds. */
  readonly loadedAt: number
  /** `validFrom` (§2.2), epoch milliseconds. */
  readonly validFrom: number | undefined
  /** `validUntil` (§2.2), epoch milliseconds: the list is never used after it. */
  readonly validUntil: number | undefined
  /** `credentialSubject.ttl`, or 300,000 ms when absent (§2.2). */
  readonly ttlMs: number
  /** SHA-256 of the published compact JWS, base64url: names the exact version used. */
  readonly versionHash: string
  /** Entries whose revocation a newer list cleared: still reported revoked (`ERR_STATUS_REVOCATION_CLEARED`). */
  readonly revocationCleared: ReadonlySet<number>
  /** Where the version came from (file path or URL). */
  readonly location: string
  /** The last refresh failure while this version is served offline; undefined after a successful refresh. */
  readonly refreshError: { readonly code: string; readonly message: string; readonly at: number } | undefined
}

/** What the cache reports as it works (for logs and monitoring). */
export type StatusCacheEvent =
  | {
      type: 'loaded'
      listId: string
      versionHash: string
      previousVersionHash: string | undefined
      location: string
    }
  | { type: 'unchanged'; listId: string; versionHash: string; location: string }
  | {
      type: 'refresh-failed'
      listId: string
      code: string
      message: string
      /** The version still served offline, if any. */
      cachedVersionHash: string | undefined
    }
  | {
      type: 'revocation-cleared'
      listId: string
      /** Entries the new version clears although the cached one had them revoked; they stay revoked. */
      indexes: readonly number[]
      versionHash: string
      previousVersionHash: string
    }

/** The outcome of (re)loading one list. */
export type RefreshResult =
  | {
      listId: string
      ok: true
      /** False when the source returned the version already cached (nothing verified or decoded again). */
      changed: boolean
      versionHash: string
      fetchedAt: Date
      /** Entries this version newly tried to clear from revocation (kept revoked). */
      revocationCleared: readonly number[]
    }
  | {
      listId: string
      ok: false
      code: TesseraError['code']
      message: string
      details: Record<string, unknown> | undefined
      /** The version still served offline, if any. */
      cachedVersionHash: string | undefined
    }

/** Options of {@link createStatusCache}. */
export interface StatusCacheOptions {
  /** Where lists are retrieved from, in order of preference; the first that delivers a valid list wins. */
  sources: readonly StatusListSource[]
  /** Whose status lists are accepted: a list's issuer must be a status issuer for the credential's issuer. */
  trust: TrustBundle
  /**
   * Offline mode: how long after its `fetchedAt` a list may still be used when no newer one can be
   * retrieved, in milliseconds. A list is usable while its age is at most `max(ttl, maxStalenessMs)`; 0 is
   * the spec's strict rule (never used more than `ttl` after it was fetched, §2.2).
   */
  maxStalenessMs: number
  /** The clock; default the system clock. */
  now?: () => Date
  /** Allowance for clock skew on `validFrom`/`validUntil`, in seconds; default 60, at most 300. */
  clockToleranceSec?: number
  /** JOSE algorithms accepted on list credentials; default `['EdDSA']`. */
  algorithms?: readonly JwsAlg[]
  /** Longest list credential (compact JWS) accepted, in characters; default 1 MiB. */
  maxListTokenLength?: number
  /** Cap on a decoded bitstring, in bytes; default 16 MiB (see `decodeList`). */
  maxDecompressedBytes?: number
  /** Wait after a failed retrieval before the sources are asked again; default 10,000 ms. */
  retryAfterMs?: number
  /** Floor on the time between two retrievals of one list; default 1,000 ms. */
  minTtlMs?: number
  /** Most lists held; default 1,024. */
  maxLists?: number
  /** Called for each {@link StatusCacheEvent}; must not throw (what it throws is ignored). */
  onEvent?: (event: StatusCacheEvent) => void
}

/** A cache of verified status lists; see {@link createStatusCache}. */
export interface StatusCache {
  /**
   * The list `listId` names, usable at `nowMs` (default: the cache's clock). Synchronous when the cached
   * version is within its `ttl` (the fast path: a plain object, no promise); otherwise the sources are asked
   * (one retrieval shared by concurrent callers) and a promise is returned.
   *
   * Throws or rejects with a `VerificationError`: `ERR_STATUS_STALE` (`details.ageMs`) when the only version at
   * hand is past its `validUntil` or older than `max(ttl, maxStalenessMs)`; otherwise why no version could be
   * loaded (`ERR_STATUS_RETRIEVAL`, `ERR_STATUS_VERIFICATION`, `ERR_STATUS_ISSUER_UNTRUSTED`,
   * `ERR_STATUS_LIST_*`). After a failure the sources are asked again only after `retryAfterMs`.
   */
  get(listId: string, nowMs?: number): CachedStatusList | Promise<CachedStatusList>
  /** Retrieve `listId` now (or every list held), whatever its `ttl`. Never rejects for a bad list. */
  refresh(listId?: string): Promise<RefreshResult[]>
  /** Retrieve the lists not yet held or due, e.g. before going offline. Never rejects for a bad list. */
  preload(listIds: readonly string[]): Promise<RefreshResult[]>
  /**
   * True when `statusIssuer` may publish status for `credentialIssuer`'s credentials: the same DID, or one of
   * the `statusIssuers` of the credential issuer's organisation (`isStatusIssuerTrusted`).
   */
  trustsStatusIssuer(options: { credentialIssuer: string; statusIssuer: string }): boolean
  /** True when `issuer` belongs to an organisation of the trust bundle (only then are its lists retrieved). */
  knowsIssuer(issuer: string): boolean
  /** The cache's clock, epoch milliseconds. */
  nowMs(): number
}

interface ListState {
  list: CachedStatusList | undefined
  /** The last failed retrieval (cleared by a successful one). */
  error: TesseraError | undefined
  /** When the sources are next asked, epoch ms. */
  nextLoadAt: number
  inflight: Promise<RefreshResult> | undefined
}

const NO_CLEARED: ReadonlySet<number> = new Set()
const TRUST_MEMO_LIMIT = 10_000

/**
 * Create a status list cache over `sources`, accepting lists only from issuers `trust` accepts for status.
 *
 * Each retrieved list credential is verified as a `vc+jwt` (typ, alg allow-list, `kid` an `assertionMethod`
 * of the issuer's did:key, signature, VC Data Model 2.0 claims, `validFrom`/`validUntil` with the clock
 * tolerance; the credentials package's `verifyCredential`), its `id` must be the list id asked for (a source
 * cannot substitute another list), its issuer must be a status issuer of some organisation in `trust`, and its
 * shape is checked (`parseListCredential`) and bitstring decoded (`decodeList`) once per new version. A version
 * whose `validFrom` is earlier than the cached one's is refused as a rollback.
 *
 * @throws InputError `ERR_INPUT_INVALID` for bad options, `ERR_TRUST_BUNDLE_INVALID` for a bad bundle.
 */
export function createStatusCache(options: StatusCacheOptions): StatusCache {
  const sources = readSources(options.sources)
  const bundle = parseTrustBundle(options.trust)
  const maxStalenessMs = readInteger(options.maxStalenessMs, 'maxStalenessMs', { required: true })
  const clock = options.now
  if (clock !== undefined && typeof clock !== 'function') {
    throw new InputError('ERR_INPUT_INVALID', `"now" must be a function returning a Date`)
  }
  const clockToleranceSec = options.clockToleranceSec ?? DEFAULT_LIMITS.clockToleranceSec
  if (
    typeof clockToleranceSec !== 'number' ||
    !Number.isFinite(clockToleranceSec) ||
    clockToleranceSec < 0 ||
    clockToleranceSec > DEFAULT_LIMITS.maxClockToleranceSec
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"clockToleranceSec" must be a number from 0 to ${DEFAULT_LIMITS.maxClockToleranceSec}, got ${describeValue(clockToleranceSec)}`,
    )
  }
  const toleranceMs = clockToleranceSec * 1000
  const algorithms = options.algorithms ?? ['EdDSA']
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', `"algorithms" must be a non-empty list of JOSE algorithms`)
  }
  const maxListTokenLength = readInteger(options.maxListTokenLength, 'maxListTokenLength', {
    fallback: DEFAULT_MAX_LIST_BYTES,
    min: 1,
  })
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  // decodeList validates this value; check it once here so a bad option throws at creation, not per list.
  assertMaxDecompressedBytes(maxDecompressedBytes)
  const retryAfterMs = readInteger(options.retryAfterMs, 'retryAfterMs', {
    fallback: DEFAULT_RETRY_AFTER_MS,
    min: 1,
  })
  const minTtlMs = readInteger(options.minTtlMs, 'minTtlMs', { fallback: DEFAULT_MIN_TTL_MS })
  const maxLists = readInteger(options.maxLists, 'maxLists', { fallback: DEFAULT_MAX_LISTS, min: 1 })
  const onEvent = options.onEvent

  // Who may publish status at all (any organisation's issuers and status issuers), and whose credentials'
  // lists are retrieved (any organisation's issuers): lists of strangers are neither fetched nor kept.
  const knownIssuers = new Set<string>()
  const anyStatusIssuers = new Set<string>()
  for (const org of Object.values(bundle.organisations)) {
    for (const did of org.issuers) {
      knownIssuers.add(did)
      anyStatusIssuers.add(did)
    }
    for (const did of org.statusIssuers ?? []) anyStatusIssuers.add(did)
  }
  const trustMemo = new Map<string, Map<string, boolean>>()
  const states = new Map<string, ListState>()

  function nowMs(): number {
    // The system clock without a Date per call: the fast path reads the clock on every check.
    if (clock === undefined) return Date.now()
    const date = clock()
    const ms = date instanceof Date ? date.getTime() : Number.NaN
    if (!Number.isFinite(ms)) throw new InputError('ERR_INPUT_INVALID', `"now" must return a valid Date`)
    return ms
  }

  function emit(event: StatusCacheEvent): void {
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch {
      // A monitoring hook must not change a verification outcome.
    }
  }

  /** The cached version if it may be used at `at`; throws why not. */
  function settle(listId: string, state: ListState, at: number): CachedStatusList {
    const list = state.list
    if (list === undefined) {
      throw (
        state.error ??
        statusError('ERR_STATUS_RETRIEVAL', `status list ${listId} has not been retrieved`, {
          details: { listId, reason: 'not-loaded' },
        })
      )
    }
    if (list.validUntil !== undefined && at >= list.validUntil + toleranceMs) {
      throw staleError(list, at, 'validUntil', state.error)
    }
    if (at - list.fetchedAt > Math.max(list.ttlMs, maxStalenessMs)) {
      throw staleError(list, at, 'maxStaleness', state.error)
    }
    return list
  }

  function staleError(
    list: CachedStatusList,
    at: number,
    reason: 'validUntil' | 'maxStaleness',
    refreshError: TesseraError | undefined,
  ): VerificationError {
    const ageMs = at - list.fetchedAt
    const why =
      reason === 'validUntil'
        ? `its validUntil ${new Date(list.validUntil ?? 0).toISOString()} has passed`
        : `it is ${ageMs} ms old (fetched ${new Date(list.fetchedAt).toISOString()}), over the limit of ${Math.max(list.ttlMs, maxStalenessMs)} ms`
    const failure = refreshError === undefined ? '' : `; the last refresh failed: ${refreshError.code}`
    return new VerificationError(
      'ERR_STATUS_STALE',
      `status list ${list.listCredentialId} may not be used: ${why}${failure}`,
      {
        details: {
          specError: 'STATUS_RETRIEVAL_ERROR',
          listId: list.listCredentialId,
          reason,
          ageMs,
          fetchedAt: new Date(list.fetchedAt).toISOString(),
          ...(list.validUntil === undefined ? {} : { validUntil: new Date(list.validUntil).toISOString() }),
          ttlMs: list.ttlMs,
          maxStalenessMs,
          versionHash: list.versionHash,
          ...(refreshError === undefined ? {} : { refreshError: refreshError.code }),
        },
      },
    )
  }

  function stateFor(listId: string): ListState {
    const existing = states.get(listId)
    if (existing !== undefined) return existing
    if (states.size >= maxLists) {
      // Make room by forgetting a failure (a list never loaded); a list held is never evicted, since its
      // revocation bits are what keeps revocation final.
      for (const [id, state] of states) {
        if (state.list === undefined && state.inflight === undefined) {
          states.delete(id)
          break
        }
      }
      if (states.size >= maxLists) {
        throw statusError('ERR_STATUS_RETRIEVAL', `the status list cache is full (${maxLists} lists)`, {
          details: { listId, reason: 'cache-full', limit: maxLists },
        })
      }
    }
    const state: ListState = {
      list: undefined,
      error: undefined,
      nextLoadAt: Number.NEGATIVE_INFINITY,
      inflight: undefined,
    }
    states.set(listId, state)
    return state
  }

  function load(listId: string, state: ListState): Promise<RefreshResult> {
    if (state.inflight !== undefined) return state.inflight
    const pending = runLoad(listId, state).finally(() => {
      state.inflight = undefined
    })
    state.inflight = pending
    return pending
  }

  async function runLoad(listId: string, state: ListState): Promise<RefreshResult> {
    const failures: TesseraError[] = []
    for (const source of sources) {
      const at = nowMs()
      let fetched: FetchedStatusList
      try {
        fetched = await source.load(listId, { now: new Date(at) })
      } catch (err) {
        failures.push(sourceFailure(err, listId, source))
        continue
      }
      try {
        return await accept(listId, state, fetched, at)
      } catch (err) {
        failures.push(toTesseraError(err))
      }
    }
    const error = mainFailure(listId, failures)
    const at = nowMs()
    state.error = error
    state.nextLoadAt = at + retryAfterMs
    if (state.list !== undefined) {
      state.list = { ...state.list, refreshError: { code: error.code, message: error.message, at } }
    }
    emit({
      type: 'refresh-failed',
      listId,
      code: error.code,
      message: error.message,
      cachedVersionHash: state.list?.versionHash,
    })
    return {
      listId,
      ok: false,
      code: error.code,
      message: error.message,
      details: error.details,
      cachedVersionHash: state.list?.versionHash,
    }
  }

  /** Verify and install what a source delivered; throws why it is refused. */
  async function accept(
    listId: string,
    state: ListState,
    fetched: FetchedStatusList,
    at: number,
  ): Promise<RefreshResult> {
    const token = fetched.token
    if (typeof token !== 'string' || token.length > maxListTokenLength) {
      throw statusError(
        'ERR_STATUS_RETRIEVAL',
        `status list ${listId} from ${fetched.location} is not a token of at most ${maxListTokenLength} characters`,
        { details: { listId, reason: 'too-large', limit: maxListTokenLength } },
      )
    }
    const fetchedMs = fetched.fetchedAt instanceof Date ? fetched.fetchedAt.getTime() : Number.NaN
    if (!Number.isFinite(fetchedMs)) {
      throw statusError(
        'ERR_STATUS_RETRIEVAL',
        `status list ${listId}: the source gave no valid "fetchedAt"`,
        {
          details: { listId, reason: 'source-error' },
        },
      )
    }
    const fetchedAt = Math.min(fetchedMs, at)
    const versionHash = createHash('sha256').update(token).digest('base64url')
    const previous = state.list

    if (previous !== undefined && previous.versionHash === versionHash) {
      // The version already verified and decoded: only its age changes. settle() still applies validUntil.
      install(
        state,
        {
          ...previous,
          fetchedAt: Math.max(previous.fetchedAt, fetchedAt),
          loadedAt: at,
          refreshError: undefined,
        },
        at,
      )
      emit({ type: 'unchanged', listId, versionHash, location: fetched.location })
      return {
        listId,
        ok: true,
        changed: false,
        versionHash,
        fetchedAt: new Date(fetchedAt),
        revocationCleared: [],
      }
    }

    const verified = await verifyListToken(listId, token, at)
    if (
      previous?.validFrom !== undefined &&
      verified.validFrom !== undefined &&
      verified.validFrom < previous.validFrom
    ) {
      throw statusError(
        'ERR_STATUS_VERIFICATION',
        `status list ${listId} from ${fetched.location} is older (validFrom ${new Date(verified.validFrom).toISOString()}) than the version held (validFrom ${new Date(previous.validFrom).toISOString()}): refused as a rollback`,
        { details: { listId, reason: 'rollback' } },
      )
    }

    let bitstring = verified.bitstring
    let revocationCleared = previous?.revocationCleared ?? NO_CLEARED
    let newlyCleared: number[] = []
    if (previous !== undefined && hasPurpose(previous.statusPurpose, 'revocation')) {
      const kept = keepRevocations(previous.bitstring, bitstring)
      bitstring = kept.bitstring
      newlyCleared = kept.cleared.filter((index) => !revocationCleared.has(index))
      if (newlyCleared.length > 0) revocationCleared = new Set([...revocationCleared, ...newlyCleared])
    }
    const list: CachedStatusList = {
      listCredentialId: listId,
      bitstring,
      statusPurpose: verified.statusPurpose,
      statusSize: verified.statusSize,
      issuer: verified.issuer,
      fetchedAt,
      loadedAt: at,
      validFrom: verified.validFrom,
      validUntil: verified.validUntil,
      ttlMs: verified.ttlMs,
      versionHash,
      revocationCleared,
      location: fetched.location,
      refreshError: undefined,
    }
    install(state, list, at)
    emit({
      type: 'loaded',
      listId,
      versionHash,
      previousVersionHash: previous?.versionHash,
      location: fetched.location,
    })
    if (newlyCleared.length > 0 && previous !== undefined) {
      emit({
        type: 'revocation-cleared',
        listId,
        indexes: newlyCleared,
        versionHash,
        previousVersionHash: previous.versionHash,
      })
    }
    return {
      listId,
      ok: true,
      changed: true,
      versionHash,
      fetchedAt: new Date(fetchedAt),
      revocationCleared: newlyCleared,
    }
  }

  function install(state: ListState, list: CachedStatusList, at: number): void {
    state.list = list
    state.error = undefined
    const refreshAt = at + Math.max(list.ttlMs, minTtlMs)
    state.nextLoadAt =
      list.validUntil === undefined ? refreshAt : Math.min(refreshAt, list.validUntil + toleranceMs)
  }

  interface VerifiedList {
    issuer: string
    statusPurpose: string | readonly string[]
    statusSize: number | undefined
    bitstring: Bitstring
    validFrom: number | undefined
    validUntil: number | undefined
    ttlMs: number
  }

  /** §3.2 steps 4 (proof), 9 (length) and the checks of §2.2, on a list credential just retrieved. */
  async function verifyListToken(listId: string, token: string, at: number): Promise<VerifiedList> {
    const result = await verifyCredential({
      credential: token,
      now: new Date(at),
      clockToleranceSec,
      algorithms,
      limits: { maxCredentialTokenLength: maxListTokenLength },
    })
    if (!result.verified || result.credential === undefined) {
      const errors = result.errors.map((e) => ({ code: e.code, message: e.message }))
      if (errors.length > 0 && errors.every((e) => e.code === 'ERR_VC_EXPIRED')) {
        throw new VerificationError(
          'ERR_STATUS_STALE',
          `status list ${listId} may not be used: the published list has expired (${errors.map((e) => e.message).join('; ')})`,
          { details: { specError: 'STATUS_RETRIEVAL_ERROR', listId, reason: 'validUntil', errors } },
        )
      }
      throw statusError(
        'ERR_STATUS_VERIFICATION',
        `status list credential ${listId} does not verify: ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
        { details: { listId, reason: 'proof', errors } },
      )
    }
    const parsed = parseListCredential(result.credential.credential)
    if (parsed.id !== listId) {
      throw statusError(
        'ERR_STATUS_VERIFICATION',
        `the status list credential retrieved for ${listId} is ${parsed.id === undefined ? 'one without an id' : `${parsed.id}`}`,
        { details: { listId, reason: 'id-mismatch', id: parsed.id } },
      )
    }
    if (!anyStatusIssuers.has(parsed.issuer)) {
      throw new VerificationError(
        'ERR_STATUS_ISSUER_UNTRUSTED',
        `status list ${listId} is issued by ${parsed.issuer}, which the trust bundle accepts for no organisation's status`,
        { details: { specError: 'STATUS_VERIFICATION_ERROR', listId, issuer: parsed.issuer } },
      )
    }
    const bitstring = decodeList(parsed.encodedList, {
      statusSize: parsed.statusSize ?? 1,
      maxDecompressedBytes,
    })
    return {
      issuer: parsed.issuer,
      statusPurpose: parsed.statusPurpose,
      statusSize: parsed.statusSize,
      bitstring,
      validFrom: parsed.validFrom?.getTime(),
      validUntil: parsed.validUntil?.getTime(),
      ttlMs: parsed.ttlMs ?? DEFAULT_LIST_TTL_MS,
    }
  }

  function readListId(listId: unknown): string {
    if (typeof listId !== 'string' || listId.length === 0) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"listId" must be a status list URL, got ${describeValue(listId)}`,
      )
    }
    return listId
  }

  return {
    get(listId, at) {
      readListId(listId)
      const now = at ?? nowMs()
      const state = states.get(listId)
      if (state !== undefined && now < state.nextLoadAt) return settle(listId, state, now)
      const fresh = stateFor(listId)
      return load(listId, fresh).then(() => settle(listId, fresh, nowMs()))
    },

    async refresh(listId) {
      const ids = listId === undefined ? [...states.keys()] : [readListId(listId)]
      return Promise.all(ids.map((id) => load(id, stateFor(id))))
    },

    async preload(listIds) {
      if (!Array.isArray(listIds)) {
        throw new InputError('ERR_INPUT_INVALID', `"listIds" must be an array of status list URLs`)
      }
      const ids = listIds.map(readListId)
      const now = nowMs()
      return Promise.all(
        ids.map(async (id): Promise<RefreshResult> => {
          const state = stateFor(id)
          const list = state.list
          if (list !== undefined && now < state.nextLoadAt) {
            return {
              listId: id,
              ok: true,
              changed: false,
              versionHash: list.versionHash,
              fetchedAt: new Date(list.fetchedAt),
              revocationCleared: [],
            }
          }
          return load(id, state)
        }),
      )
    },

    trustsStatusIssuer({ credentialIssuer, statusIssuer }) {
      if (statusIssuer === credentialIssuer) return typeof statusIssuer === 'string'
      let byStatusIssuer = trustMemo.get(credentialIssuer)
      const known = byStatusIssuer?.get(statusIssuer)
      if (known !== undefined) return known
      const trusted = isStatusIssuerTrusted({ bundle, credentialIssuer, statusIssuer })
      if (trustMemo.size >= TRUST_MEMO_LIMIT) trustMemo.clear()
      if (byStatusIssuer === undefined) {
        byStatusIssuer = new Map()
        trustMemo.set(credentialIssuer, byStatusIssuer)
      }
      if (byStatusIssuer.size < TRUST_MEMO_LIMIT) byStatusIssuer.set(statusIssuer, trusted)
      return trusted
    },

    knowsIssuer(issuer) {
      return knownIssuers.has(issuer)
    },

    nowMs,
  }
}

/**
 * Keep every revocation `previous` has and `next` clears (§2.2: revocation "is not reversible"). Returns `next`
 * itself when nothing was cleared, otherwise a copy with the cleared entries set back to their old value, and
 * the cleared entry indexes. An entry beyond the end of a shorter `next` counts as cleared (a check on it fails
 * with RANGE_ERROR anyway).
 */
export function keepRevocations(
  previous: Bitstring,
  next: Bitstring,
): { bitstring: Bitstring; cleared: number[] } {
  const cleared: number[] = []
  const oldBytes = previous.bytes
  const newBytes = next.bytes
  if (previous.statusSize === 1 && next.statusSize === 1) {
    for (let i = 0; i < oldBytes.length; i++) {
      const lost = (oldBytes[i] as number) & ~(i < newBytes.length ? (newBytes[i] as number) : 0)
      if (lost === 0) continue
      for (let bit = 0; bit < 8; bit++) if (lost & (0x80 >>> bit)) cleared.push(i * 8 + bit)
    }
  } else {
    for (let index = 0; index < previous.length; index++) {
      if (previous.get(index) !== 0 && (index >= next.length || next.get(index) === 0)) cleared.push(index)
    }
  }
  if (cleared.length === 0) return { bitstring: next, cleared }
  const merged = new Bitstring({ bytes: new Uint8Array(newBytes), statusSize: next.statusSize })
  for (const index of cleared) {
    if (index < merged.length) {
      const value = previous.get(index)
      merged.set(index, value < 2 ** merged.statusSize ? value : 2 ** merged.statusSize - 1)
    }
  }
  return { bitstring: merged, cleared }
}

function hasPurpose(statusPurpose: string | readonly string[], purpose: string): boolean {
  return typeof statusPurpose === 'string' ? statusPurpose === purpose : statusPurpose.includes(purpose)
}

/** A source's failure as a retrieval error (a source that throws something else is broken, not the list). */
function sourceFailure(err: unknown, listId: string, source: StatusListSource): TesseraError {
  if (err instanceof TesseraError && !(err instanceof InputError)) return err
  return statusError(
    'ERR_STATUS_RETRIEVAL',
    `status list ${listId} could not be retrieved from ${source.name}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err, details: { listId, reason: 'source-error' } },
  )
}

/**
 * The failure to report when no source delivered a usable list: a list that was found and refused says more
 * than a source that did not have it, so the first non-retrieval error wins; every attempt is in
 * `details.attempts`.
 */
function mainFailure(listId: string, failures: readonly TesseraError[]): TesseraError {
  const main =
    failures.find((f) => f.code !== 'ERR_STATUS_RETRIEVAL') ??
    failures[0] ??
    statusError('ERR_STATUS_RETRIEVAL', `status list ${listId}: no source is configured`, {
      details: { listId, reason: 'no-source' },
    })
  if (failures.length <= 1) return main
  const attempts = failures.map((f) => ({ code: f.code, message: f.message }))
  return new TesseraError(main.code, main.message, {
    cause: main,
    details: { ...main.details, attempts },
  })
}

function readSources(value: unknown): StatusListSource[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as StatusListSource).load === 'function' &&
        typeof (s as StatusListSource).name === 'string',
    )
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"sources" must be a non-empty array of status list sources (directorySource, httpSource)`,
    )
  }
  return [...(value as StatusListSource[])]
}

function readInteger(
  value: unknown,
  name: string,
  options: { fallback?: number; min?: number; required?: boolean },
): number {
  if (value === undefined && !options.required && options.fallback !== undefined) return options.fallback
  const min = options.min ?? 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" must be an integer of at least ${min}, got ${describeValue(value)}`,
    )
  }
  return value
}
