import type { MigrationClass } from '@tessera/identity'

/** What a migration needs of TypeORM's QueryRunner (typed here so this package does not depend on TypeORM). */
interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>
}

/**
 * The DIDComm messages an agent of this home has accepted, by sender and message `id`, until they expire: a
 * message seen again before its `expires_time` is a replay (`ERR_MSG_REPLAY`). Never edit a shipped migration;
 * add a new class.
 */
export class TesseraMessaging1764700600000 {
  name = 'TesseraMessaging1764700600000'

  async up(q: SqlRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_didcomm_seen" (
        "sender" varchar NOT NULL,
        "id" varchar NOT NULL,
        "expires_at" integer NOT NULL,
        PRIMARY KEY ("sender", "id"))`,
    )
    await q.query(`CREATE INDEX "idx_tessera_didcomm_seen_expires" ON "tessera_didcomm_seen" ("expires_at")`)
  }

  async down(q: SqlRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_didcomm_seen"`)
  }
}

/** The messaging package's migrations: pass them to `initHome`/`openHome({ migrations })`. */
export const messagingMigrations: readonly MigrationClass[] = [TesseraMessaging1764700600000]
