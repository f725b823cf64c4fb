/**
 * The verifier's status lists kept in its home (`tessera_status_cache`), so that a verifier that runs as one
 * process per decision (the CLI) can work offline from lists it fetched earlier, and so that revocation stays
 * final across processes (Bitstring Status List v1.0 §2.2: revocation "is not reversible").
 *
 * Only list credentials the cache verified are saved, exactly as retrieved (the compact JWS), with the time
 * they were really fetched from the issuer: a saved list ages from then, not from when it was read back, and
 * it is verified again whenever it is read back.
 */
import { createHash } from 'node:crypto'
import { InputError } from '@tessera/core'
import {
  type CachedStatusList,
  createStatusCache,
  type RefreshResult,
  type StatusCache,
  type StatusCacheEvent,
  type StatusCacheOptions,
} from './cache.js'
import { describeValue, statusError } from './errors.js'
import type { FetchedStatusList, StatusListSource } from './fetch.js'
import type { StatusDb } from './issuer.js'

/** A verified list credential saved in a home. */
export interface SavedStatusList {
  listId: string
  /** The list credential (compact JWS `vc+jwt`) as retrieved. */
  token: string
  /** When it was fetched from the issuer (the source's `fetchedAt`), epoch milliseconds. */
  fetchedAt: number
  /** SHA-256 of `token`, base64url (the cache's `versionHash`). */
  versionHash: string
  /** When it was saved, ISO 8601. */
  savedAt: string
}

interface SavedRow {
  list_id: string
  token: string
  fetched_at: number | string
  version_hash: string
  saved_at: string
}

/** The list credential saved for `listId` in a home, or undefined. */
export async function getSavedStatusList(db: StatusDb, listId: string): Promise<SavedStatusList | undefined> {
  const rows = (await db.query(
    `SELECT "list_id", "token", "fetched_at", "version_hash", "saved_at" FROM "tessera_status_cache" WHERE "list_id" = ?`,
    [listId],
  )) as SavedRow[]
  const row = rows[0]
  if (row === undefined) return undefined
  return {
    listId: row.list_id,
    token: row.token,
    fetchedAt: Number(row.fetched_at),
    versionHash: row.version_hash,
    savedAt: row.saved_at,
  }
}

/** True when the home holds at least one saved list credential. */
export async function hasSavedStatusLists(db: StatusDb): Promise<boolean> {
  const rows = (await db.query(`SELECT 1 AS "one" FROM "tessera_status_cache" LIMIT 1`)) as unknown[]
  return rows.length > 0
}

/**
 * A source (`home-cache`) serving the list credential last saved in the home, with its original `fetchedAt`
 * (never later than the cache's clock), so a cache measures its staleness from when it was really fetched.
 * The token is verified again by the cache like any retrieved one.
 *
 * Rejects with `ERR_STATUS_RETRIEVAL` (`details.reason` `not-found`) when no list is saved for the id.
 */
export function homeListSource(db: StatusDb): StatusListSource {
  if (typeof db?.query !== 'function') {
    throw new InputError('ERR_INPUT_INVALID', `"db" must be a home's data source, got ${describeValue(db)}`)
  }
  return {
    name: 'home-cache',
    async load(listId, context) {
      const saved = await getSavedStatusList(db, listId)
      if (saved === undefined) {
        throw statusError(
          'ERR_STATUS_RETRIEVAL',
          `status list ${listId} could not be retrieved: the home cache holds no copy`,
          { details: { listId, reason: 'not-found' } },
        )
      }
      return {
        token: saved.token,
        fetchedAt: new Date(Math.min(saved.fetchedAt, context.now.getTime())),
        location: `home cache (saved ${saved.savedAt})`,
      }
    },
  }
}

/** Options of {@link createPersistentStatusCache}: those of `createStatusCache` plus the home's database. */
export interface PersistentStatusCacheOptions extends Omit<StatusCacheOptions, 'sources'> {
  /** The verifier's home database (`home.dataSource`), with the `tessera_status_cache` table. */
  db: StatusDb
  /** Where lists are retrieved from (may be empty: then only the lists saved in the home are used). */
  sources: readonly StatusListSource[]
}

/**
 * A status list cache (`createStatusCache`) that keeps its verified lists in the home.
 *
 * The first time a list is asked for in this cache, the copy saved in the home (if any) is installed first
 * (verified again, served with its original `fetchedAt`), and only then is the list retrieved from `sources`:
 * so the cache compares the newly retrieved version with the saved one, and
 * - a newer version that clears a revocation bit keeps the bit (`ERR_STATUS_REVOCATION_CLEARED`), and the
 *   saved copy (which has it) is kept and never replaced by a version of that list again;
 * - an older version (earlier `validFrom`) is refused as a rollback;
 * - when no source delivers, the saved copy is served offline until `max(ttl, maxStalenessMs)` after it was
 *   fetched, then checks fail closed with `ERR_STATUS_STALE`.
 *
 * Each version the cache verified and installed (`loaded` event) from one of `sources` is saved (replacing the
 * previous copy) before the call that loaded it resolves; a version that did not verify is never saved. A
 * newer `fetchedAt` of the same version (`unchanged`) is saved too.
 *
 * Limitation: the saved copy is verified again when read back, so once its `validUntil` has passed it is
 * refused, and a revocation it alone holds is no longer compared with newer versions.
 *
 * A failed write rejects the call that caused it (the verification then fails closed).
 *
 * @throws InputError `ERR_INPUT_INVALID` for bad options (as `createStatusCache`).
 */
export function createPersistentStatusCache(options: PersistentStatusCacheOptions): StatusCache {
  const { db, sources, onEvent, ...cacheOptions } = options
  const home = homeListSource(db)
  if (!Array.isArray(sources)) {
    throw new InputError('ERR_INPUT_INVALID', `"sources" must be an array of status list sources`)
  }

  /** Lists whose saved copy is being installed: only the home serves them meanwhile. */
  const seeding = new Set<string>()
  /** Lists primed in this cache (saved copy installed, or none saved). */
  const ready = new Set<string>()
  const priming = new Map<string, Promise<RefreshResult | undefined>>()
  /** The last token each list's sources delivered (before the cache verified it). */
  const delivered = new Map<string, { token: string; fetchedAt: number }>()
  /** Lists a newer version tried to clear a revocation of: the saved copy (with the bit) is kept for good. */
  const frozen = new Set<string>()
  /** Writes to do once the current load completes (events are synchronous, writes are not). */
  const pending = new Map<string, { kind: 'save' | 'touch'; versionHash: string }>()

  const seedSource: StatusListSource = {
    name: home.name,
    load(listId, context) {
      if (!seeding.has(listId)) {
        return Promise.reject(
          statusError(
            'ERR_STATUS_RETRIEVAL',
            `status list ${listId}: the home cache is read once per list, before the other sources`,
            { details: { listId, reason: 'not-served' } },
          ),
        )
      }
      return home.load(listId, context)
    },
  }

  const tracked = sources.map(
    (source): StatusListSource => ({
      name: source.name,
      async load(listId, context) {
        if (seeding.has(listId)) {
          throw statusError(
            'ERR_STATUS_RETRIEVAL',
            `status list ${listId}: the home copy is installed first`,
            {
              details: { listId, reason: 'not-served' },
            },
          )
        }
        delivered.delete(listId)
        const fetched: FetchedStatusList = await source.load(listId, context)
        const fetchedMs = fetched.fetchedAt instanceof Date ? fetched.fetchedAt.getTime() : Number.NaN
        if (typeof fetched.token === 'string' && Number.isFinite(fetchedMs)) {
          delivered.set(listId, {
            token: fetched.token,
            fetchedAt: Math.min(fetchedMs, context.now.getTime()),
          })
        }
        return fetched
      },
    }),
  )

  function record(event: StatusCacheEvent): void {
    if (event.type === 'revocation-cleared') {
      // Keep the saved copy: it holds the revocation the new version clears.
      frozen.add(event.listId)
      pending.delete(event.listId)
    } else if (event.type === 'loaded' || event.type === 'unchanged') {
      const got = delivered.get(event.listId)
      // Only what a source just delivered and the cache installed under exactly this hash (not the home copy).
      if (
        got !== undefined &&
        !frozen.has(event.listId) &&
        createHash('sha256').update(got.token).digest('base64url') === event.versionHash
      ) {
        pending.set(event.listId, {
          kind: event.type === 'loaded' ? 'save' : 'touch',
          versionHash: event.versionHash,
        })
      }
    }
    onEvent?.(event)
  }

  const inner = createStatusCache({ ...cacheOptions, sources: [seedSource, ...tracked], onEvent: record })

  async function flush(): Promise<void> {
    for (const [listId, write] of [...pending]) {
      pending.delete(listId)
      const got = delivered.get(listId)
      if (got === undefined) continue
      if (write.kind === 'save') {
        await db.query(
          `INSERT INTO "tessera_status_cache" ("list_id", "token", "fetched_at", "version_hash", "saved_at")
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT ("list_id") DO UPDATE SET "token" = excluded."token", "fetched_at" = excluded."fetched_at",
             "version_hash" = excluded."version_hash", "saved_at" = excluded."saved_at"`,
          [listId, got.token, got.fetchedAt, write.versionHash, new Date(inner.nowMs()).toISOString()],
        )
      } else {
        await db.query(
          `UPDATE "tessera_status_cache" SET "fetched_at" = ?, "saved_at" = ?
           WHERE "list_id" = ? AND "version_hash" = ? AND "fetched_at" < ?`,
          [got.fetchedAt, new Date(inner.nowMs()).toISOString(), listId, write.versionHash, got.fetchedAt],
        )
      }
    }
  }

  /** Install the saved copy of `listId` (if any), then retrieve it from the sources; once per list. */
  function prime(listId: string): Promise<RefreshResult | undefined> {
    const running = priming.get(listId)
    if (running !== undefined) return running
    const work = (async () => {
      const saved = await getSavedStatusList(db, listId)
      if (saved === undefined) return undefined
      seeding.add(listId)
      try {
        await inner.refresh(listId)
      } finally {
        seeding.delete(listId)
      }
      return sources.length > 0 ? (await inner.refresh(listId))[0] : undefined
    })()
      .then(async (result) => {
        ready.add(listId)
        await flush()
        return result
      })
      .finally(() => priming.delete(listId))
    priming.set(listId, work)
    return work
  }

  async function afterLoad<T>(result: Promise<T>): Promise<T> {
    const value = await result
    await flush()
    return value
  }

  return {
    get(listId, at) {
      if (ready.has(listId)) {
        const list = inner.get(listId, at)
        return list instanceof Promise ? afterLoad(list) : list
      }
      if (typeof listId !== 'string' || listId.length === 0) return inner.get(listId, at)
      return afterLoad(
        prime(listId).then((): CachedStatusList | Promise<CachedStatusList> => inner.get(listId, at)),
      )
    },

    async refresh(listId) {
      if (listId !== undefined && !ready.has(listId)) {
        const primed = await prime(listId)
        if (primed !== undefined) return [primed]
      }
      return afterLoad(inner.refresh(listId))
    },

    async preload(listIds) {
      if (Array.isArray(listIds)) {
        await Promise.all(
          listIds.filter((id) => typeof id === 'string' && id.length > 0 && !ready.has(id)).map(prime),
        )
      }
      return afterLoad(inner.preload(listIds))
    },

    trustsStatusIssuer: (o) => inner.trustsStatusIssuer(o),
    knowsIssuer: (issuer) => inner.knowsIssuer(issuer),
    nowMs: () => inner.nowMs(),
  }
}
