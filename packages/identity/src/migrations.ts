import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Tessera's own tables, beside Veramo's (which come from `@veramo/data-store`'s migrations).
 * Migrations only: the schema is never `synchronize`d. Add a new class per change; never edit a shipped one.
 */
export class TesseraInit1764700000000 implements MigrationInterface {
  name = 'TesseraInit1764700000000'

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tessera_meta" ("key" varchar PRIMARY KEY NOT NULL, "value" text NOT NULL)`)
    await q.query(`INSERT INTO "tessera_meta" ("key", "value") VALUES ('write_lock', '0')`)
    await q.query(
      `CREATE TABLE "tessera_org" (
        "id" integer PRIMARY KEY CHECK ("id" = 1),
        "name" varchar NOT NULL,
        "did" varchar NOT NULL UNIQUE REFERENCES "identifier" ("did"),
        "created_at" varchar NOT NULL)`,
    )
    await q.query(
      `CREATE TABLE "tessera_agent" (
        "did" varchar PRIMARY KEY NOT NULL REFERENCES "identifier" ("did"),
        "name" varchar NOT NULL,
        "type" varchar NOT NULL,
        "owner" varchar,
        "status" varchar NOT NULL CHECK ("status" IN ('active', 'suspended', 'retired')),
        "metadata" text,
        "created_at" varchar NOT NULL,
        "updated_at" varchar NOT NULL)`,
    )
    await q.query(`CREATE INDEX "idx_tessera_agent_status" ON "tessera_agent" ("status")`)
    await q.query(`CREATE INDEX "idx_tessera_agent_type" ON "tessera_agent" ("type")`)
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_agent"`)
    await q.query(`DROP TABLE "tessera_org"`)
    await q.query(`DROP TABLE "tessera_meta"`)
  }
}

/** Tessera's migrations in order; other packages append theirs through `openHome({ migrations })`. */
export const identityMigrations = [TesseraInit1764700000000]
