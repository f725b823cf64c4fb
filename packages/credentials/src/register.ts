import type { Permission } from '@tessera/core'
import type { Home } from '@tessera/identity'

/** One credential in the issuer's register. */
export interface IssuedCredential {
  id: string
  issuer: string
  subject: string
  role: string
  agentType: string | null
  permissions: Permission[]
  validFrom: string
  validUntil: string
  issuedAt: string
  statusEntries: Record<string, unknown>[]
  /** The vc+jwt compact JWS (not a secret: it is what the agent presents). */
  jwt: string
}

interface Row {
  id: string
  issuer: string
  subject: string
  role: string
  agent_type: string | null
  permissions: string
  valid_from: string
  valid_until: string
  issued_at: string
  status_entries: string | null
  jwt: string
}

const toIssued = (row: Row): IssuedCredential => ({
  id: row.id,
  issuer: row.issuer,
  subject: row.subject,
  role: row.role,
  agentType: row.agent_type,
  permissions: JSON.parse(row.permissions) as Permission[],
  validFrom: row.valid_from,
  validUntil: row.valid_until,
  issuedAt: row.issued_at,
  statusEntries:
    row.status_entries === null ? [] : (JSON.parse(row.status_entries) as Record<string, unknown>[]),
  jwt: row.jwt,
})

/** Record an issued credential (call inside the issuing transaction). */
export async function recordIssued(home: Home, issued: IssuedCredential): Promise<void> {
  await home.dataSource.query(
    `INSERT INTO "tessera_credential" ("id", "issuer", "subject", "role", "agent_type", "permissions", "valid_from",
       "valid_until", "issued_at", "status_entries", "jwt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      issued.id,
      issued.issuer,
      issued.subject,
      issued.role,
      issued.agentType,
      JSON.stringify(issued.permissions),
      issued.validFrom,
      issued.validUntil,
      issued.issuedAt,
      issued.statusEntries.length ? JSON.stringify(issued.statusEntries) : null,
      issued.jwt,
    ],
  )
}

/** The register, oldest first, optionally for one agent. */
export async function listIssued(
  home: Home,
  filter: { subject?: string | undefined } = {},
): Promise<IssuedCredential[]> {
  const rows = (await (filter.subject === undefined
    ? home.dataSource.query(`SELECT * FROM "tessera_credential" ORDER BY "issued_at", "id"`)
    : home.dataSource.query(
        `SELECT * FROM "tessera_credential" WHERE "subject" = ? ORDER BY "issued_at", "id"`,
        [filter.subject],
      ))) as Row[]
  return rows.map(toIssued)
}

/** One issued credential by id, or undefined. */
export async function findIssued(home: Home, id: string): Promise<IssuedCredential | undefined> {
  const rows = (await home.dataSource.query(`SELECT * FROM "tessera_credential" WHERE "id" = ?`, [
    id,
  ])) as Row[]
  return rows[0] === undefined ? undefined : toIssued(rows[0])
}

/** Restrict a role to agent types: once a role has rules, only those types may hold it. */
export async function allowRoleForType(
  home: Home,
  options: { role: string; agentType: string },
): Promise<void> {
  await home.dataSource.query(
    `INSERT OR IGNORE INTO "tessera_role_type" ("role", "agent_type") VALUES (?, ?)`,
    [options.role, options.agentType],
  )
}

/** The agent types allowed to hold `role`; empty means unrestricted. */
export async function allowedTypesForRole(home: Home, role: string): Promise<string[]> {
  const rows = (await home.dataSource.query(
    `SELECT "agent_type" FROM "tessera_role_type" WHERE "role" = ? ORDER BY "agent_type"`,
    [role],
  )) as { agent_type: string }[]
  return rows.map((r) => r.agent_type)
}
