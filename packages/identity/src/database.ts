import { EnvironmentError, TesseraError } from '@tessera/core'
import { Entities, migrations as veramoMigrations } from '@veramo/data-store'
import { DataSource, type EntityManager } from 'typeorm'
import { identityMigrations } from './migrations.js'

/** A TypeORM migration class (what `DataSource` takes in `migrations`). */
export type MigrationClass = new () => import('typeorm').MigrationInterface

const SQLITE_BUSY_MS = 10_000

/**
 * Open (and migrate) the home's SQLite database: Veramo's tables and Tessera's in one file, WAL mode,
 * a busy timeout so several processes can share it, foreign keys on.
 */
export async function openDatabase(options: {
  file: string
  migrations?: readonly MigrationClass[]
}): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: options.file,
    entities: Entities,
    migrations: [...veramoMigrations, ...identityMigrations, ...(options.migrations ?? [])],
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    logger: SILENT_LOGGER,
    enableWAL: true,
    timeout: SQLITE_BUSY_MS,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('foreign_keys = ON')
      db.pragma('synchronous = NORMAL')
    },
  })
  try {
    await dataSource.initialize()
    await runPendingMigrations(dataSource)
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy()
    throw mapDatabaseError(err, `cannot open database ${options.file}`)
  }
  return dataSource
}

/** TypeORM prints migration messages even with `logging: false`; the CLI's stdout must stay one JSON value. */
const SILENT_LOGGER = {
  logQuery() {},
  logQueryError() {},
  logQuerySlow() {},
  logSchemaBuild() {},
  logMigration() {},
  log() {},
}

const MIGRATION_ATTEMPTS = 20

/**
 * Apply pending migrations, safely when several processes open the same home at once (after an upgrade): each
 * runs them in one transaction; a process that loses the race (SQLITE_BUSY, or a table another process just
 * created) rolls back, waits, and looks again: usually the winner has applied them and nothing is pending.
 */
async function runPendingMigrations(dataSource: DataSource): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (!(await dataSource.showMigrations())) return
      await dataSource.runMigrations({ transaction: 'all' })
      return
    } catch (err) {
      if (attempt >= MIGRATION_ATTEMPTS) throw err
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt + Math.random() * 25))
    }
  }
}

/** Translate a driver error into a TesseraError (busy/locked → ERR_DB_LOCKED). */
export function mapDatabaseError(err: unknown, context: string): TesseraError {
  if (err instanceof TesseraError) return err
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /database is locked/i.test(message)) {
    return new EnvironmentError('ERR_DB_LOCKED', `${context}: the database is locked by another process`, {
      cause: err,
    })
  }
  return new EnvironmentError('ERR_DB_FAILURE', `${context}: ${message}`, { cause: err })
}

/** True for errors raised by SQLite or TypeORM (as opposed to errors thrown by the caller's work). */
export function isDatabaseError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_')) ||
    (err instanceof Error && (err.name === 'QueryFailedError' || /database is locked/i.test(err.message)))
  )
}

const queues = new WeakMap<DataSource, Promise<unknown>>()

/**
 * Run `work` in one SQLite transaction. All of TypeORM's sqlite access (Veramo's stores included) goes
 * through one shared connection, so everything `work` awaits joins this transaction: a key, its DID and
 * our profile row commit together or not at all. In-process callers are serialized (one transaction at a
 * time per connection); across processes the first statement takes SQLite's write lock, so the transaction
 * never has to upgrade a read snapshot (which in WAL mode fails at once with SQLITE_BUSY instead of waiting).
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const previous = queues.get(dataSource) ?? Promise.resolve()
  const run = previous.then(
    () => runTransaction(dataSource, work),
    () => runTransaction(dataSource, work),
  )
  queues.set(
    dataSource,
    run.catch(() => undefined),
  )
  return run
}

async function runTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  try {
    return await dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE "tessera_meta" SET "value" = "value" WHERE "key" = 'write_lock'`)
      return work(manager)
    })
  } catch (err) {
    throw isDatabaseError(err) ? mapDatabaseError(err, 'transaction failed') : err
  }
}
