import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EnvironmentError, InputError } from '@tessera/core'
import { Bitstring } from './bitstring.js'
import { listFileName } from './fetch.js'
import {
  ISSUED_PURPOSES,
  type IssuedPurpose,
  type StatusDb,
  statusListId,
  validateStatusBaseUrl,
} from './issuer.js'
import { type BitstringStatusListCredential, buildListCredential } from './list-credential.js'

/** Default validity of a published list credential: 1 day (verifiers refuse a list past `validUntil`). */
export const DEFAULT_LIST_VALIDITY_SEC = 86_400
/** Default `ttl`: verifiers should refresh a list after 5 minutes (§2.2 `ttl`, milliseconds). */
export const DEFAULT_PUBLISHED_TTL_MS = 5 * 60_000

/** One published list credential. */
export interface PublishedList {
  id: string
  listNumber: number
  purpose: IssuedPurpose
  version: number
  /** True when this call signed it anew (its bits changed, it neared `validUntil`, or `force`). */
  resigned: boolean
  validUntil: string
  /** The file written, when an output folder was given. */
  file?: string
}

interface ListRow {
  list_number: number
  revocation: Uint8Array
  suspension: Uint8Array
  revocation_version: number
  suspension_version: number
}

interface PublicationRow {
  list_number: number
  purpose: IssuedPurpose
  version: number
  list_id: string
  jwt: string
  valid_until: string
}

/**
 * Publish every status list as a signed `BitstringStatusListCredential` (§2.2), one per list and purpose.
 * Idempotent: a list is re-signed only when its bits changed since the last publication, when less than half of
 * its validity is left, or with `force`; otherwise the stored credential is reused. With `outDir`, each is written
 * (atomically) to a file named after its id. `signCredential` secures a credential as vc+jwt with the issuer's key.
 * Run inside a transaction so versions and publications agree.
 */
export async function publishStatusLists(
  db: StatusDb,
  options: {
    issuer: string
    baseUrl: string
    signCredential: (credential: BitstringStatusListCredential) => Promise<string>
    outDir?: string
    now?: Date
    validForSec?: number
    ttlMs?: number
    force?: boolean
  },
): Promise<PublishedList[]> {
  const baseUrl = validateStatusBaseUrl(options.baseUrl)
  const now = options.now ?? new Date()
  const validForSec = options.validForSec ?? DEFAULT_LIST_VALIDITY_SEC
  const ttlMs = options.ttlMs ?? DEFAULT_PUBLISHED_TTL_MS
  if (!Number.isInteger(validForSec) || validForSec < 60) {
    throw new InputError('ERR_INPUT_INVALID', `"validFor" must be at least 60 seconds, got ${validForSec}`)
  }
  const lists = (await db.query(
    `SELECT "list_number", "revocation", "suspension", "revocation_version", "suspension_version"
     FROM "tessera_status_list" ORDER BY "list_number"`,
  )) as ListRow[]
  const published = new Map(
    ((await db.query(`SELECT * FROM "tessera_status_publication"`)) as PublicationRow[]).map((p) => [
      `${p.list_number}-${p.purpose}`,
      p,
    ]),
  )
  if (options.outDir) {
    try {
      mkdirSync(options.outDir, { recursive: true })
    } catch (err) {
      throw new EnvironmentError('ERR_IO', `cannot create ${options.outDir}: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }
  const results: PublishedList[] = []
  for (const list of lists) {
    for (const purpose of ISSUED_PURPOSES) {
      const id = statusListId(baseUrl, list.list_number, purpose)
      const version = list[`${purpose}_version`]
      const previous = published.get(`${list.list_number}-${purpose}`)
      const remainingMs = previous ? Date.parse(previous.valid_until) - now.getTime() : 0
      const fresh =
        previous !== undefined &&
        previous.version === version &&
        previous.list_id === id &&
        remainingMs > (validForSec * 1000) / 2 &&
        !options.force
      let jwt: string
      let validUntil: string
      if (fresh) {
        jwt = previous.jwt
        validUntil = previous.valid_until
      } else {
        const until = new Date(now.getTime() + validForSec * 1000)
        const credential = buildListCredential({
          id,
          issuer: options.issuer,
          statusPurpose: purpose,
          bitstring: new Bitstring({ bytes: new Uint8Array(list[purpose]) }),
          validFrom: now,
          validUntil: until,
          ttlMs,
        })
        jwt = await options.signCredential(credential)
        validUntil = until.toISOString()
        await db.query(
          `INSERT INTO "tessera_status_publication" ("list_number", "purpose", "version", "list_id", "jwt", "valid_until", "published_at")
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT ("list_number", "purpose") DO UPDATE SET "version" = excluded."version", "list_id" = excluded."list_id",
             "jwt" = excluded."jwt", "valid_until" = excluded."valid_until", "published_at" = excluded."published_at"`,
          [list.list_number, purpose, version, id, jwt, validUntil, now.toISOString()],
        )
      }
      const result: PublishedList = {
        id,
        listNumber: list.list_number,
        purpose,
        version,
        resigned: !fresh,
        validUntil,
      }
      if (options.outDir) {
        const name = listFileName(id)
        if (name === undefined) throw new InputError('ERR_INPUT_INVALID', `unexpected status list id ${id}`)
        const file = join(options.outDir, name)
        writeAtomically(file, jwt)
        result.file = file
      }
      results.push(result)
    }
  }
  return results
}

function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, `${content}\n`)
    renameSync(tmp, file)
  } catch (err) {
    throw new EnvironmentError('ERR_IO', `cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** The stored published credential of a list, for serving it (e.g. `GET /status/{id}`). */
export async function getPublishedList(db: StatusDb, listId: string): Promise<string | undefined> {
  const rows = (await db.query(`SELECT "jwt" FROM "tessera_status_publication" WHERE "list_id" = ?`, [
    listId,
  ])) as {
    jwt: string
  }[]
  return rows[0]?.jwt
}
