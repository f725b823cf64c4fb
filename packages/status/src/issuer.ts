import { randomBytes } from 'node:crypto'
import { IdentityError, InputError, TesseraError } from '@tessera/core'
import { Bitstring, MIN_STATUS_LIST_ENTRIES } from './bitstring.js'
import { type BitstringStatusListEntry, buildEntry } from './entry.js'
import { permuteIndex } from './permutation.js'

/**
 * What the issuer side needs from a database: one `query` over the home's SQLite connection (the home's
 * TypeORM `DataSource` fits). Callers run these functions inside their own transaction so the status index is
 * recorded atomically with the credential (see `inTransaction` in @tessera/identity).
 */
export interface StatusDb {
  query(sql: string, params?: unknown[]): Promise<unknown>
}

/** The two purposes every role credential carries (Bitstring Status List v1.0 §2.1 `statusPurpose`). */
export const ISSUED_PURPOSES = ['revocation', 'suspension'] as const
export type IssuedPurpose = (typeof ISSUED_PURPOSES)[number]

/** Where a list's credential is published: `${baseUrl}/${listNumber}-${purpose}`. */
export function statusListId(baseUrl: string, listNumber: number, purpose: IssuedPurpose): string {
  return `${baseUrl.replace(/\/+$/, '')}/${listNumber}-${purpose}`
}

/** Validate a status base URL: https, or http on loopback (tests), no query or fragment. */
export function validateStatusBaseUrl(value: unknown): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  const loopback = url !== undefined && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)
  if (
    !url ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) ||
    url.search ||
    url.hash
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"statusBaseUrl" must be an https URL without query or fragment, got ${JSON.stringify(value)}`,
    )
  }
  return url.href.replace(/\/+$/, '')
}

interface ListRow {
  list_number: number
  length: number
  allocated: number
  permutation_key: Uint8Array
  revocation: Uint8Array
  suspension: Uint8Array
  revocation_version: number
  suspension_version: number
}

interface EntryRow {
  credential_id: string
  list_number: number
  status_index: number
  revoked_at: string | null
  suspended_manual: number
  suspended_agent: number
}

const rows = async <T>(db: StatusDb, sql: string, params: unknown[] = []) =>
  (await db.query(sql, params)) as T[]

/**
 * Allocate a status index for a credential about to be issued and return its two `BitstringStatusListEntry`s
 * (revocation and suspension share the index, each in its purpose's list). The index is the next position of
 * the current list through a keyed random permutation: random, never reused; a full list starts a new one.
 * Run it in the issuing transaction: the index is recorded with the credential or not at all.
 */
export async function allocateStatusEntries(
  db: StatusDb,
  options: { credentialId: string; baseUrl: string; listLength?: number; now?: Date },
): Promise<BitstringStatusListEntry[]> {
  const baseUrl = validateStatusBaseUrl(options.baseUrl)
  const length = options.listLength ?? MIN_STATUS_LIST_ENTRIES
  let [list] = await rows<ListRow>(
    db,
    `SELECT * FROM "tessera_status_list" ORDER BY "list_number" DESC LIMIT 1`,
  )
  if (!list || list.allocated >= list.length) {
    const listNumber = (list?.list_number ?? 0) + 1
    const empty = new Bitstring({ length }).bytes
    await db.query(
      `INSERT INTO "tessera_status_list" ("list_number", "length", "allocated", "permutation_key", "revocation",
         "suspension", "created_at") VALUES (?, ?, 0, ?, ?, ?, ?)`,
      [
        listNumber,
        length,
        randomBytes(32),
        Buffer.from(empty),
        Buffer.from(empty),
        (options.now ?? new Date()).toISOString(),
      ],
    )
    ;[list] = await rows<ListRow>(db, `SELECT * FROM "tessera_status_list" WHERE "list_number" = ?`, [
      listNumber,
    ])
    if (!list) throw new TesseraError('ERR_INTERNAL', 'status list was not created')
  }
  const index = permuteIndex(list.permutation_key, list.allocated, list.length)
  await db.query(`UPDATE "tessera_status_list" SET "allocated" = "allocated" + 1 WHERE "list_number" = ?`, [
    list.list_number,
  ])
  await db.query(
    `INSERT INTO "tessera_status_entry" ("credential_id", "list_number", "status_index") VALUES (?, ?, ?)`,
    [options.credentialId, list.list_number, index],
  )
  const listNumber = list.list_number
  return ISSUED_PURPOSES.map((purpose) =>
    buildEntry({ purpose, index, listCredential: statusListId(baseUrl, listNumber, purpose) }),
  )
}

/** The status of one issued credential. */
export interface CredentialStatusState {
  credentialId: string
  listNumber: number
  index: number
  revoked: boolean
  revokedAt: string | null
  suspended: boolean
  /** Why it is suspended: by its own suspension, and/or because its agent is suspended. */
  suspendedBy: ('credential' | 'agent')[]
}

const toState = (row: EntryRow): CredentialStatusState => ({
  credentialId: row.credential_id,
  listNumber: row.list_number,
  index: row.status_index,
  revoked: row.revoked_at !== null,
  revokedAt: row.revoked_at,
  suspended: row.suspended_manual === 1 || row.suspended_agent === 1,
  suspendedBy: [
    ...(row.suspended_manual === 1 ? (['credential'] as const) : []),
    ...(row.suspended_agent === 1 ? (['agent'] as const) : []),
  ],
})

/** The status of a credential, or `ERR_CREDENTIAL_NOT_FOUND` if it has no status entry here. */
export async function getCredentialStatus(
  db: StatusDb,
  credentialId: string,
): Promise<CredentialStatusState> {
  const [row] = await rows<EntryRow>(db, `SELECT * FROM "tessera_status_entry" WHERE "credential_id" = ?`, [
    credentialId,
  ])
  if (!row) {
    throw new IdentityError(
      'ERR_CREDENTIAL_NOT_FOUND',
      `no credential ${JSON.stringify(credentialId)} with a status entry here`,
    )
  }
  return toState(row)
}

/** A change of a credential's status. */
export type StatusAction = 'revoke' | 'suspend' | 'reinstate'

async function writeBit(db: StatusDb, row: EntryRow, purpose: IssuedPurpose, value: boolean): Promise<void> {
  const [list] = await rows<ListRow>(db, `SELECT * FROM "tessera_status_list" WHERE "list_number" = ?`, [
    row.list_number,
  ])
  if (!list) throw new TesseraError('ERR_INTERNAL', `status list ${row.list_number} is missing`)
  const bitstring = new Bitstring({ bytes: new Uint8Array(list[purpose]) })
  if ((bitstring.get(row.status_index) === 1) === value) return
  bitstring.set(row.status_index, value)
  await db.query(
    `UPDATE "tessera_status_list" SET "${purpose}" = ?, "${purpose}_version" = "${purpose}_version" + 1 WHERE "list_number" = ?`,
    [Buffer.from(bitstring.bytes), row.list_number],
  )
}

/**
 * Revoke, suspend or reinstate a credential: sets its bit in the revocation or suspension list and bumps that
 * list's version (the next `publish` re-signs it). Revocation is final: reinstating or suspending a revoked
 * credential is `ERR_STATUS_REVOKED_FINAL`. `by: 'agent'` records a suspension caused by the agent's own
 * suspension, lifted when the agent resumes without touching a suspension made for the credential itself.
 * Idempotent: repeating an action changes nothing (`changed: false`). Run inside a transaction.
 */
export async function changeCredentialStatus(
  db: StatusDb,
  options: { credentialId: string; action: StatusAction; by?: 'credential' | 'agent'; now?: Date },
): Promise<CredentialStatusState & { changed: boolean }> {
  const by = options.by ?? 'credential'
  const [row] = await rows<EntryRow>(db, `SELECT * FROM "tessera_status_entry" WHERE "credential_id" = ?`, [
    options.credentialId,
  ])
  if (!row) {
    throw new IdentityError(
      'ERR_CREDENTIAL_NOT_FOUND',
      `no credential ${JSON.stringify(options.credentialId)} with a status entry here`,
    )
  }
  const before = toState(row)
  if (before.revoked && options.action !== 'revoke') {
    if (by === 'agent') return { ...before, changed: false }
    throw new IdentityError(
      'ERR_STATUS_REVOKED_FINAL',
      `credential ${options.credentialId} was revoked at ${before.revokedAt}; revocation is final`,
    )
  }
  const column = by === 'agent' ? 'suspended_agent' : 'suspended_manual'
  switch (options.action) {
    case 'revoke':
      if (before.revoked) return { ...before, changed: false }
      await db.query(`UPDATE "tessera_status_entry" SET "revoked_at" = ? WHERE "credential_id" = ?`, [
        (options.now ?? new Date()).toISOString(),
        row.credential_id,
      ])
      await writeBit(db, row, 'revocation', true)
      break
    case 'suspend':
      await db.query(`UPDATE "tessera_status_entry" SET "${column}" = 1 WHERE "credential_id" = ?`, [
        row.credential_id,
      ])
      break
    case 'reinstate':
      await db.query(`UPDATE "tessera_status_entry" SET "${column}" = 0 WHERE "credential_id" = ?`, [
        row.credential_id,
      ])
      break
    default:
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"action" must be revoke, suspend or reinstate, got ${JSON.stringify(options.action)}`,
      )
  }
  const after = await getCredentialStatus(db, row.credential_id)
  if (after.suspended !== before.suspended) await writeBit(db, row, 'suspension', after.suspended)
  const changed = after.revoked !== before.revoked || after.suspendedBy.join() !== before.suspendedBy.join()
  return { ...after, changed }
}
