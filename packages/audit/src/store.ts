/**
 * The audit log in an organisation home's SQLite database: the migration, appends (inside the caller's
 * transaction or in their own), reads, checkpoint creation and verification of the stored log.
 *
 * Appends go through the raw better-sqlite3 connection TypeORM holds, with prepared statements: it is the
 * same connection, so the statements join whatever transaction is open on it, and a batch costs one
 * synchronous loop instead of one awaited TypeORM query per row (see bench/audit.bench.mjs).
 */
import { EnvironmentError, InputError, TesseraError, VerificationError } from '@tessera/core'
import { type Home, type MigrationClass, mapDatabaseError } from '@tessera/identity'
import {
  type SignedCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  verifyStoredCheckpoint,
} from './checkpoint.js'
import {
  type AuditData,
  type AuditEntryInput,
  type AuditEventType,
  canonicalEntryText,
  GENESIS_HASH,
  isAuditEventType,
  type PreparedEntry,
  prepareEntry,
  type StoredAuditEntry,
} from './entry.js'
import { CompactRange, HASH_SIZE, type Hash, type LeafHashes, leafHash } from './merkle.js'
import { type KeptCheckpoint, type LogVerification, LogVerifier } from './verify.js'

/** What a migration needs of TypeORM's QueryRunner (typed here so this package does not depend on TypeORM). */
interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>
}

/** The audit tables. Never edit a shipped migration; add a new class. */
export class TesseraAudit1764700200000 {
  name = 'TesseraAudit1764700200000'

  async up(q: SqlRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_audit" (
        "seq" integer PRIMARY KEY NOT NULL CHECK ("seq" >= 1),
        "time" varchar NOT NULL,
        "actor" varchar NOT NULL,
        "type" varchar NOT NULL,
        "subject" varchar,
        "data" text NOT NULL,
        "prev_hash" varchar NOT NULL,
        "leaf_hash" varchar NOT NULL)`,
    )
    // Low-cardinality or time-ordered keys only: their new entries land at the end of an index run, so appends
    // stay cheap. An index on "subject" (one run per agent, entries all over the B-tree) cut appends from
    // ~65,000 to ~18,000 rows/s in bench measurements; subject filters scan instead.
    await q.query(`CREATE INDEX "idx_tessera_audit_actor" ON "tessera_audit" ("actor")`)
    await q.query(`CREATE INDEX "idx_tessera_audit_type" ON "tessera_audit" ("type")`)
    await q.query(`CREATE INDEX "idx_tessera_audit_time" ON "tessera_audit" ("time")`)
    await q.query(
      `CREATE TABLE "tessera_audit_checkpoint" (
        "id" integer PRIMARY KEY AUTOINCREMENT,
        "size" integer NOT NULL CHECK ("size" >= 0),
        "root" varchar NOT NULL,
        "iat" integer NOT NULL,
        "jws" text NOT NULL,
        "compact_range" text NOT NULL)`,
    )
    await q.query(`CREATE INDEX "idx_tessera_audit_checkpoint_size" ON "tessera_audit_checkpoint" ("size")`)
  }

  async down(q: SqlRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_audit_checkpoint"`)
    await q.query(`DROP TABLE "tessera_audit"`)
  }
}

/** The audit package's migrations: pass them to `initHome`/`openHome({ migrations })`. */
export const auditMigrations: readonly MigrationClass[] = [TesseraAudit1764700200000]

// ---------------------------------------------------------------------------------------------------------
// The raw connection

/** The part of better-sqlite3's Statement used here. */
interface Statement {
  run(...params: unknown[]): unknown
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  iterate(...params: unknown[]): IterableIterator<unknown>
}

/** The part of better-sqlite3's Database used here. */
interface Database {
  prepare(sql: string): Statement
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { immediate(...args: A): R }
  readonly inTransaction: boolean
}

const statements = new WeakMap<Database, Map<string, Statement>>()

/** The better-sqlite3 connection TypeORM holds for this home (every query of the home goes through it). */
export function homeDatabase(home: Home): Database {
  const db = (home.dataSource.driver as unknown as { databaseConnection?: Database }).databaseConnection
  if (db === undefined || typeof db.prepare !== 'function') {
    throw new EnvironmentError('ERR_DB_FAILURE', `the home's database is closed or is not better-sqlite3`)
  }
  return db
}

function statement(db: Database, sql: string): Statement {
  let cache = statements.get(db)
  if (cache === undefined) {
    cache = new Map()
    statements.set(db, cache)
  }
  let stmt = cache.get(sql)
  if (stmt === undefined) {
    stmt = db.prepare(sql)
    cache.set(sql, stmt)
  }
  return stmt
}

/** Run synchronous database work, mapping driver errors to `ERR_DB_LOCKED`/`ERR_DB_FAILURE`. */
function guarded<T>(context: string, work: () => T): T {
  try {
    return work()
  } catch (err) {
    throw err instanceof TesseraError ? err : mapDatabaseError(err, context)
  }
}

/** The statement `home.transaction` starts with: it takes SQLite's write lock before anything is read. */
const TAKE_WRITE_LOCK = `UPDATE "tessera_meta" SET "value" = "value" WHERE "key" = 'write_lock'`
const SELECT_TAIL = `SELECT "seq", "leaf_hash" FROM "tessera_audit" ORDER BY "seq" DESC LIMIT 1`
const INSERT_ENTRY = `INSERT INTO "tessera_audit" ("seq", "time", "actor", "type", "subject", "data", "prev_hash", "leaf_hash")
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
const ENTRY_COLUMNS = `"seq", "time", "actor", "type", "subject", "data", "prev_hash", "leaf_hash"`

interface EntryRow {
  seq: number
  time: string
  actor: string
  type: string
  subject: string | null
  data: string
  prev_hash: string
  leaf_hash: string
}

// ---------------------------------------------------------------------------------------------------------
// Appends

/** Append prepared entries after the current tail; synchronous, so nothing interleaves on the connection. */
function insertEntries(db: Database, prepared: readonly PreparedEntry[]): StoredAuditEntry[] {
  return guarded('appending to the audit log', () => {
    // seq = max + 1, read inside the write-locked transaction: no other process can append in between.
    const tail = statement(db, SELECT_TAIL).get() as { seq: number; leaf_hash: string } | undefined
    let seq = tail === undefined ? 1 : tail.seq + 1
    let prevHash = tail === undefined ? GENESIS_HASH : tail.leaf_hash
    const insert = statement(db, INSERT_ENTRY)
    const now = new Date().toISOString()
    const stored: StoredAuditEntry[] = []
    for (const entry of prepared) {
      const time = entry.time ?? now
      const subject = entry.subject
      const text = canonicalEntryText({
        seq,
        time,
        actor: entry.actor,
        type: entry.type,
        subject,
        dataJson: entry.dataJson,
        prevHash,
      })
      const hash = leafHash(text).toString('hex')
      insert.run(seq, time, entry.actor, entry.type, subject ?? null, entry.dataJson, prevHash, hash)
      const out: StoredAuditEntry = {
        seq,
        time,
        actor: entry.actor,
        type: entry.type,
        data: entry.data,
        prevHash,
        leafHash: hash,
      }
      if (subject !== undefined) out.subject = subject
      stored.push(out)
      prevHash = hash
      seq++
    }
    return stored
  })
}

/**
 * Append entries to the home's audit log, in order, as one batch.
 *
 * - Called inside `home.transaction(work)` (or a hook that runs in one), it joins that transaction: the
 *   entries commit with the operation, and if writing them fails the operation fails.
 * - Called outside any transaction, it runs in one of its own.
 *
 * Either way `seq` is max + 1 read under SQLite's write lock, so processes appending to the same home never
 * fork the chain or lose an entry. The log joins whatever transaction is open on the home's connection: in a
 * process where concurrent work may hold a transaction on the same home (a server), wrap a standalone append
 * in `home.transaction(() => appendAudit(...))` so it cannot join someone else's.
 *
 * @returns the entries as stored (seq, time, prevHash, leafHash).
 * @throws InputError `ERR_INPUT_INVALID` for an entry that is not valid (before anything is written);
 *   EnvironmentError `ERR_DB_LOCKED`/`ERR_DB_FAILURE`.
 */
export async function appendAudit(
  home: Home,
  entries: readonly AuditEntryInput[],
): Promise<StoredAuditEntry[]> {
  if (!Array.isArray(entries)) throw new InputError('ERR_INPUT_INVALID', `"entries" must be an array`)
  const prepared = entries.map((input, i) => prepareEntry(input, i))
  if (prepared.length === 0) return []
  const db = homeDatabase(home)
  if (db.inTransaction) {
    // The caller's transaction. home.transaction took the write lock first; make sure of it (a no-op then),
    // so the tail read below is the newest one. The batch runs in a SAVEPOINT (better-sqlite3 nests that
    // way), so it is whole or absent even if the caller catches a failure and commits anyway.
    guarded('locking the audit log', () => statement(db, TAKE_WRITE_LOCK).run())
  }
  // Otherwise our own transaction: BEGIN IMMEDIATE takes the write lock before the tail is read, as
  // home.transaction does. It runs start to COMMIT synchronously, so no other work on this connection can
  // interleave with it (which is what home.transaction's queue ensures for transactions that await).
  return guarded('appending to the audit log', () => ownTransaction(db).immediate(prepared))
}

const ownTransactions = new WeakMap<
  Database,
  { immediate(prepared: readonly PreparedEntry[]): StoredAuditEntry[] }
>()

function ownTransaction(db: Database) {
  let tx = ownTransactions.get(db)
  if (tx === undefined) {
    tx = db.transaction((prepared: readonly PreparedEntry[]) => insertEntries(db, prepared))
    ownTransactions.set(db, tx)
  }
  return tx
}

// ---------------------------------------------------------------------------------------------------------
// Reads

function rowToEntry(row: EntryRow): StoredAuditEntry {
  let data: unknown
  try {
    data = JSON.parse(row.data)
  } catch (err) {
    throw new VerificationError('ERR_AUDIT_TAMPERED', `audit entry ${row.seq}: "data" is not JSON`, {
      cause: err,
      details: { firstBad: { seq: row.seq, reason: 'hash-mismatch' } },
    })
  }
  const entry: StoredAuditEntry = {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    type: row.type as AuditEventType,
    data: data as AuditData,
    prevHash: row.prev_hash,
    leafHash: row.leaf_hash,
  }
  if (row.subject !== null) entry.subject = row.subject
  return entry
}

/** Filters of {@link listAudit}. */
export interface AuditFilter {
  /** Only entries with seq greater than this (paging). */
  afterSeq?: number | undefined
  /** Only entries at or after this time. */
  since?: Date | string | undefined
  /** Only entries before this time. */
  until?: Date | string | undefined
  actor?: string | undefined
  type?: AuditEventType | readonly AuditEventType[] | undefined
  /** Not indexed (an index would slow every append): a scan of the log. */
  subject?: string | undefined
  /** At most this many (default 100, at most 10,000). */
  limit?: number | undefined
  /** `asc` (oldest first, the default) or `desc` (newest first). */
  order?: 'asc' | 'desc' | undefined
}

const DEFAULT_LIST_LIMIT = 100
const MAX_LIST_LIMIT = 10_000

function timeFilter(value: Date | string, name: string): string {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" must be a date or an RFC 3339 time, got ${JSON.stringify(value)}`,
    )
  }
  return date.toISOString()
}

/**
 * Entries of the log, filtered, in seq order. Entries are returned as stored: use {@link verifyAudit} to know
 * whether they are genuine.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a bad filter.
 */
export async function listAudit(home: Home, filter: AuditFilter = {}): Promise<StoredAuditEntry[]> {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.afterSeq !== undefined) {
    if (!Number.isSafeInteger(filter.afterSeq) || filter.afterSeq < 0) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"afterSeq" must be a non-negative integer, got ${filter.afterSeq}`,
      )
    }
    where.push(`"seq" > ?`)
    params.push(filter.afterSeq)
  }
  // Times are stored as toISOString() text, which sorts chronologically.
  if (filter.since !== undefined) {
    where.push(`"time" >= ?`)
    params.push(timeFilter(filter.since, 'since'))
  }
  if (filter.until !== undefined) {
    where.push(`"time" < ?`)
    params.push(timeFilter(filter.until, 'until'))
  }
  for (const name of ['actor', 'subject'] as const) {
    const value = filter[name]
    if (value === undefined) continue
    if (typeof value !== 'string' || value.length === 0) {
      throw new InputError('ERR_INPUT_INVALID', `"${name}" must be a non-empty string`)
    }
    where.push(`"${name}" = ?`)
    params.push(value)
  }
  if (filter.type !== undefined) {
    const types = typeof filter.type === 'string' ? [filter.type] : [...filter.type]
    for (const type of types) {
      if (!isAuditEventType(type)) {
        throw new InputError('ERR_INPUT_INVALID', `"type" ${JSON.stringify(type)} is not an audit event type`)
      }
    }
    where.push(`"type" IN (${types.map(() => '?').join(', ')})`)
    params.push(...types)
  }
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"limit" must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`,
    )
  }
  const order = filter.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') {
    throw new InputError('ERR_INPUT_INVALID', `"order" must be "asc" or "desc", got ${JSON.stringify(order)}`)
  }
  const sql = `SELECT ${ENTRY_COLUMNS} FROM "tessera_audit" ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY "seq" ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`
  const db = homeDatabase(home)
  const rows = guarded('reading the audit log', () => db.prepare(sql).all(...params, limit)) as EntryRow[]
  return rows.map(rowToEntry)
}

/** One entry by seq, or undefined. */
export async function getAuditEntry(home: Home, seq: number): Promise<StoredAuditEntry | undefined> {
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new InputError('ERR_INPUT_INVALID', `"seq" must be a positive integer, got ${seq}`)
  }
  const db = homeDatabase(home)
  const row = guarded('reading the audit log', () =>
    statement(db, `SELECT ${ENTRY_COLUMNS} FROM "tessera_audit" WHERE "seq" = ?`).get(seq),
  ) as EntryRow | undefined
  return row === undefined ? undefined : rowToEntry(row)
}

/** Entries in the log: its last seq (0 when empty). */
export async function auditSize(home: Home): Promise<number> {
  return lastSeq(homeDatabase(home))
}

function lastSeq(db: Database): number {
  const row = guarded('reading the audit log', () => statement(db, SELECT_TAIL).get()) as
    | { seq: number }
    | undefined
  return row?.seq ?? 0
}

const CHUNK = 5000

/** Rows with seq in (after, until], in chunks, yielding to the event loop between chunks. */
async function* rowChunks(db: Database, after: number, until: number): AsyncGenerator<EntryRow[]> {
  const select = statement(
    db,
    `SELECT ${ENTRY_COLUMNS} FROM "tessera_audit" WHERE "seq" > ? AND "seq" <= ? ORDER BY "seq" LIMIT ?`,
  )
  let last = after
  while (last < until) {
    const rows = guarded('reading the audit log', () => select.all(last, until, CHUNK)) as EntryRow[]
    if (rows.length === 0) return
    yield rows
    last = (rows[rows.length - 1] as EntryRow).seq
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Internal: stored rows with seq in (after, until], as the exporter writes them. */
export async function* readRows(home: Home, after: number, until: number): AsyncGenerator<EntryRow> {
  for await (const rows of rowChunks(homeDatabase(home), after, until)) yield* rows
}

export type { EntryRow }

/**
 * Internal: the stored leaf hashes of entries 1..size, packed (32 bytes each), for proofs.
 * @throws VerificationError `ERR_AUDIT_TAMPERED` if seqs are not 1..size.
 */
export function readLeafHashes(home: Home, size: number): LeafHashes {
  const db = homeDatabase(home)
  const packed = Buffer.alloc(size * HASH_SIZE)
  guarded('reading the audit log', () => {
    const rows = statement(
      db,
      `SELECT "seq", "leaf_hash" FROM "tessera_audit" WHERE "seq" <= ? ORDER BY "seq"`,
    )
    let expected = 1
    for (const row of rows.iterate(size) as IterableIterator<{ seq: number; leaf_hash: string }>) {
      if (
        row.seq !== expected ||
        packed.write(row.leaf_hash, (expected - 1) * HASH_SIZE, 'hex') !== HASH_SIZE
      ) {
        throw tampered(
          `stored entry ${expected} is missing or has a malformed leaf hash`,
          expected,
          'seq-gap',
        )
      }
      expected++
    }
    if (expected !== size + 1) throw tampered(`the log has fewer than ${size} entries`, expected, 'truncated')
  })
  return { length: size, get: (i) => packed.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) }
}

function tampered(message: string, seq: number, reason: string): VerificationError {
  return new VerificationError('ERR_AUDIT_TAMPERED', message, { details: { firstBad: { seq, reason } } })
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoints

interface CheckpointRow {
  size: number
  root: string
  jws: string
  compact_range: string
}

/** The stored checkpoint rows, oldest first. */
function storedCheckpointRows(db: Database): CheckpointRow[] {
  return guarded('reading checkpoints', () =>
    statement(
      db,
      `SELECT "size", "root", "jws", "compact_range" FROM "tessera_audit_checkpoint" ORDER BY "id"`,
    ).all(),
  ) as CheckpointRow[]
}

/** The checkpoints this home signed, oldest first. */
export async function listCheckpoints(home: Home): Promise<SignedCheckpoint[]> {
  const db = homeDatabase(home)
  const rows = storedCheckpointRows(db)
  return rows.map((row) => ({ token: row.jws, payload: verifyStoredCheckpoint(home, row) }))
}

function rangeOf(row: CheckpointRow): CompactRange {
  let hashes: Hash[]
  try {
    const parsed: unknown = JSON.parse(row.compact_range)
    if (!Array.isArray(parsed) || !parsed.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) {
      throw new Error('not an array of hex hashes')
    }
    hashes = parsed.map((h: string) => Buffer.from(h, 'hex'))
    const range = CompactRange.from(row.size, hashes)
    if (range.root().toString('hex') === row.root) return range
  } catch {
    // reported below
  }
  throw tampered(
    `the stored state of checkpoint ${row.size} does not match its signed root`,
    row.size,
    'checkpoint-mismatch',
  )
}

/**
 * Sign a checkpoint of the log at `size` (default: its current size) and store it. Runs in its own
 * transaction, under the write lock: never call it inside `home.transaction`.
 *
 * The entries added since the latest stored checkpoint at or below `size` are verified first (hashes, chain,
 * seqs), and the tree is extended from that checkpoint's stored compact range, so checkpointing costs the new
 * entries only. A checkpoint already stored for `size` is returned as it is.
 *
 * @throws VerificationError `ERR_AUDIT_TAMPERED` (with `details.firstBad`) when the new entries do not verify
 *   or the log is shorter than a checkpoint already signed; `ERR_AUDIT_CHECKPOINT_INVALID` when a stored
 *   checkpoint's signature does not verify; InputError `ERR_INPUT_INVALID` for a size beyond the log.
 */
export async function createCheckpoint(
  home: Home,
  options: { size?: number | undefined; now?: Date | undefined } = {},
): Promise<SignedCheckpoint> {
  const db = homeDatabase(home)
  return home.transaction(async () => {
    const logSize = lastSeq(db)
    const size = options.size ?? logSize
    if (!Number.isSafeInteger(size) || size < 0 || size > logSize) {
      throw new InputError('ERR_INPUT_INVALID', `"size" must be an integer from 0 to ${logSize}, got ${size}`)
    }
    const rows = guarded('reading checkpoints', () =>
      statement(
        db,
        `SELECT "size", "root", "jws", "compact_range" FROM "tessera_audit_checkpoint" ORDER BY "size" DESC, "id" DESC`,
      ).all(),
    ) as CheckpointRow[]
    const largest = rows[0]
    if (largest !== undefined && largest.size > logSize) {
      verifyStoredCheckpoint(home, largest)
      throw tampered(
        `the log has ${logSize} entries but this home signed a checkpoint of ${largest.size}: its newest entries were removed`,
        logSize + 1,
        'truncated',
      )
    }
    const base = rows.find((row) => row.size <= size)
    let start = { range: new CompactRange(), prevHash: GENESIS_HASH }
    if (base !== undefined) {
      const payload = verifyStoredCheckpoint(home, base)
      if (base.size === size) return { token: base.jws, payload }
      const prev = guarded('reading the audit log', () =>
        statement(db, `SELECT "leaf_hash" FROM "tessera_audit" WHERE "seq" = ?`).get(base.size),
      ) as { leaf_hash: string } | undefined
      start = { range: rangeOf(base), prevHash: base.size === 0 ? GENESIS_HASH : (prev?.leaf_hash ?? '') }
    }
    const verifier = new LogVerifier({}, start)
    guarded('reading the audit log', () => {
      const select = statement(
        db,
        `SELECT ${ENTRY_COLUMNS} FROM "tessera_audit" WHERE "seq" > ? AND "seq" <= ? ORDER BY "seq"`,
      )
      for (const row of select.iterate(start.range.size, size) as IterableIterator<EntryRow>) {
        verifier.addCanonical(canonicalRow(row))
        if (verifier.done) break
      }
    })
    const range = verifier.range()
    const result = verifier.result()
    if (!result.ok || result.size !== size) {
      const firstBad = result.firstBad ?? { seq: result.size + 1, reason: 'seq-gap' }
      throw new VerificationError(
        'ERR_AUDIT_TAMPERED',
        `the audit log does not verify at entry ${firstBad.seq} (${firstBad.reason}); refusing to sign a checkpoint`,
        { details: { firstBad } },
      )
    }
    const signed = await signCheckpoint(home, { size, root: result.root, now: options.now })
    guarded('storing a checkpoint', () =>
      statement(
        db,
        `INSERT INTO "tessera_audit_checkpoint" ("size", "root", "iat", "jws", "compact_range") VALUES (?, ?, ?, ?, ?)`,
      ).run(
        size,
        result.root,
        signed.payload.iat,
        signed.token,
        JSON.stringify(range.hashes().map((h) => h.toString('hex'))),
      ),
    )
    return signed
  })
}

function canonicalRow(row: EntryRow) {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    type: row.type as AuditEventType,
    subject: row.subject ?? undefined,
    dataJson: row.data,
    prevHash: row.prev_hash,
    leafHash: row.leaf_hash,
  }
}

/** What {@link verifyAudit} found. */
export interface AuditVerification extends LogVerification {
  /** Checkpoints the log was checked against (this home's stored ones and the caller's). */
  checkpoints: number
  /** Why `ok` is false: `ERR_AUDIT_TAMPERED` with `firstBad`, or `ERR_AUDIT_CHECKPOINT_INVALID`. */
  error?: { code: 'ERR_AUDIT_TAMPERED' | 'ERR_AUDIT_CHECKPOINT_INVALID'; message: string }
}

/**
 * Verify the home's whole log: every entry's hash, the chain and the seqs, and the tree against every
 * checkpoint this home stored (their signatures checked) and the ones the caller kept. Checkpoints the caller
 * kept are what catch a truncation or a rewrite by someone who also deleted this home's stored checkpoints.
 *
 * @param options.checkpoint - Kept checkpoints: tokens (verified with the home's DID) or payloads.
 */
export async function verifyAudit(
  home: Home,
  options: { checkpoint?: string | KeptCheckpoint | readonly (string | KeptCheckpoint)[] | undefined } = {},
): Promise<AuditVerification> {
  const db = homeDatabase(home)
  const kept: KeptCheckpoint[] = []
  let checkpointError: AuditVerification['error']
  const given =
    options.checkpoint === undefined ? [] : ([] as (string | KeptCheckpoint)[]).concat(options.checkpoint)
  for (const item of given) {
    kept.push(typeof item === 'string' ? verifyCheckpoint(item, { orgDid: home.org.did }) : item)
  }
  const rows = storedCheckpointRows(db)
  for (const row of rows) {
    try {
      kept.push(verifyStoredCheckpoint(home, row))
    } catch (err) {
      if (!(err instanceof TesseraError) || err.code !== 'ERR_AUDIT_CHECKPOINT_INVALID') throw err
      checkpointError ??= { code: 'ERR_AUDIT_CHECKPOINT_INVALID', message: err.message }
    }
  }
  const verifier = new LogVerifier({ checkpoint: kept })
  for await (const chunk of rowChunks(db, 0, Number.MAX_SAFE_INTEGER)) {
    for (const row of chunk) {
      verifier.addCanonical(canonicalRow(row))
      if (verifier.done) break
    }
    if (verifier.done) break
  }
  const result: AuditVerification = { ...verifier.result(), checkpoints: kept.length }
  if (result.firstBad !== undefined) {
    result.error = {
      code: 'ERR_AUDIT_TAMPERED',
      message: `the audit log does not verify at entry ${result.firstBad.seq} (${result.firstBad.reason})`,
    }
  } else if (checkpointError !== undefined) {
    result.ok = false
    result.error = checkpointError
  }
  return result
}
