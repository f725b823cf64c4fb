import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * The issuer's status lists. One row per list number: the allocation counter, the permutation key, and one
 * bitstring per purpose (revocation, suspension) with a version that changes whenever a bit does. One row per
 * credential in `tessera_status_entry`: its list and index (unique: never two credentials on one index) and why
 * it is suspended. Published list credentials are kept so publishing only re-signs lists that changed.
 */
export class TesseraStatus1764700300000 implements MigrationInterface {
  name = 'TesseraStatus1764700300000'

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_status_list" (
        "list_number" integer PRIMARY KEY NOT NULL,
        "length" integer NOT NULL,
        "allocated" integer NOT NULL DEFAULT 0,
        "permutation_key" blob NOT NULL,
        "revocation" blob NOT NULL,
        "suspension" blob NOT NULL,
        "revocation_version" integer NOT NULL DEFAULT 0,
        "suspension_version" integer NOT NULL DEFAULT 0,
        "created_at" varchar NOT NULL)`,
    )
    await q.query(
      `CREATE TABLE "tessera_status_entry" (
        "credential_id" varchar PRIMARY KEY NOT NULL,
        "list_number" integer NOT NULL REFERENCES "tessera_status_list" ("list_number"),
        "status_index" integer NOT NULL,
        "revoked_at" varchar,
        "suspended_manual" integer NOT NULL DEFAULT 0,
        "suspended_agent" integer NOT NULL DEFAULT 0,
        UNIQUE ("list_number", "status_index"))`,
    )
    await q.query(
      `CREATE TABLE "tessera_status_publication" (
        "list_number" integer NOT NULL,
        "purpose" varchar NOT NULL,
        "version" integer NOT NULL,
        "list_id" varchar NOT NULL,
        "jwt" text NOT NULL,
        "valid_until" varchar NOT NULL,
        "published_at" varchar NOT NULL,
        PRIMARY KEY ("list_number", "purpose"))`,
    )
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_status_publication"`)
    await q.query(`DROP TABLE "tessera_status_entry"`)
    await q.query(`DROP TABLE "tessera_status_list"`)
  }
}

/**
 * The verifier's status lists: the last verified list credential per list id, as retrieved (compact JWS), with
 * when it was really fetched from the issuer (staleness is measured from it) and its version hash (SHA-256 of
 * the token, base64url). Read back by `homeListSource`, written by `createPersistentStatusCache`.
 */
export class TesseraStatusCache1764700400000 implements MigrationInterface {
  name = 'TesseraStatusCache1764700400000'

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_status_cache" (
        "list_id" varchar PRIMARY KEY NOT NULL,
        "token" text NOT NULL,
        "fetched_at" integer NOT NULL,
        "version_hash" varchar NOT NULL,
        "saved_at" varchar NOT NULL)`,
    )
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_status_cache"`)
  }
}

export const statusMigrations = [TesseraStatus1764700300000, TesseraStatusCache1764700400000]
