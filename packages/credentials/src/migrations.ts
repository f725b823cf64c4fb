import type { MigrationInterface, QueryRunner } from 'typeorm'

/** The issuer's register of issued credentials, role/agent-type rules, and the verifier's challenges. */
export class TesseraCredentials1764700100000 implements MigrationInterface {
  name = 'TesseraCredentials1764700100000'

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_credential" (
        "id" varchar PRIMARY KEY NOT NULL,
        "issuer" varchar NOT NULL,
        "subject" varchar NOT NULL REFERENCES "tessera_agent" ("did"),
        "role" varchar NOT NULL,
        "agent_type" varchar,
        "permissions" text NOT NULL,
        "valid_from" varchar NOT NULL,
        "valid_until" varchar NOT NULL,
        "issued_at" varchar NOT NULL,
        "status_entries" text,
        "jwt" text NOT NULL)`,
    )
    await q.query(`CREATE INDEX "idx_tessera_credential_subject" ON "tessera_credential" ("subject")`)
    await q.query(
      `CREATE TABLE "tessera_role_type" (
        "role" varchar NOT NULL,
        "agent_type" varchar NOT NULL,
        PRIMARY KEY ("role", "agent_type"))`,
    )
    await q.query(
      `CREATE TABLE "tessera_challenge" (
        "nonce" varchar PRIMARY KEY NOT NULL,
        "domain" varchar NOT NULL,
        "created_at" integer NOT NULL,
        "expires_at" integer NOT NULL,
        "used_at" integer)`,
    )
    await q.query(`CREATE INDEX "idx_tessera_challenge_expires" ON "tessera_challenge" ("expires_at")`)
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_challenge"`)
    await q.query(`DROP TABLE "tessera_role_type"`)
    await q.query(`DROP TABLE "tessera_credential"`)
  }
}

/**
 * The issuer's register of credentials issued through `issueCredential` (any VC DM 2.0 credential, e.g. from
 * the VC-API `POST /credentials/issue`): not tied to an agent of the home, unlike `tessera_credential`.
 */
export class TesseraIssuedCredentials1764700500000 implements MigrationInterface {
  name = 'TesseraIssuedCredentials1764700500000'

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "tessera_issued_credential" (
        "id" varchar PRIMARY KEY NOT NULL,
        "issuer" varchar NOT NULL,
        "subject" varchar,
        "types" text NOT NULL,
        "format" varchar NOT NULL,
        "valid_from" varchar,
        "valid_until" varchar,
        "issued_at" varchar NOT NULL,
        "status_entries" text,
        "credential" text NOT NULL)`,
    )
    await q.query(
      `CREATE INDEX "idx_tessera_issued_credential_subject" ON "tessera_issued_credential" ("subject")`,
    )
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tessera_issued_credential"`)
  }
}

export const credentialsMigrations = [TesseraCredentials1764700100000, TesseraIssuedCredentials1764700500000]
