import { type AgentStatus, IdentityError, InputError } from '@tessera/core'
import type { EntityManager } from 'typeorm'
import type { Home } from './home.js'
import { KMS_NAME } from './veramo.js'

/** An agent's profile, as stored in `tessera_agent`. */
export interface AgentProfile {
  did: string
  name: string
  /** Free text such as `support-agent` or `data-analyst`. */
  type: string
  owner: string | null
  status: AgentStatus
  metadata: Record<string, unknown> | null
  createdAt: string
  updatedAt: string
}

const NAME_MAX = 128
const OWNER_MAX = 256
const TYPE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/
const METADATA_MAX_BYTES = 16 * 1024
const METADATA_MAX_DEPTH = 8
const STATUSES: readonly AgentStatus[] = ['active', 'suspended', 'retired']

function printable(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || /\p{Cc}/u.test(value)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${field}" must be 1 to ${max} printable characters, got ${JSON.stringify(value)}`,
    )
  }
  return value.trim()
}

/** Validate an agent type: lower-case letters, digits, `.`, `_`, `-`, at most 64 characters. */
export function validateAgentType(value: unknown): string {
  if (typeof value !== 'string' || !TYPE_PATTERN.test(value)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"type" must match ${TYPE_PATTERN.source} (e.g. support-agent), got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/** Validate an agent status filter or value. */
export function validateAgentStatus(value: unknown): AgentStatus {
  if (typeof value !== 'string' || !(STATUSES as readonly string[]).includes(value)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"status" must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(value)}`,
    )
  }
  return value as AgentStatus
}

function depthOf(value: unknown, depth = 0): number {
  if (value === null || typeof value !== 'object') return depth
  let max = depth + 1
  for (const child of Object.values(value)) {
    max = Math.max(max, depthOf(child, depth + 1))
    if (max > METADATA_MAX_DEPTH) return max
  }
  return max
}

/** Validate free-form metadata: a JSON object of at most 16 KiB and depth 8. */
export function validateMetadata(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('ERR_INPUT_INVALID', '"metadata" must be a JSON object')
  }
  const text = JSON.stringify(value)
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"metadata" must be at most ${METADATA_MAX_BYTES} bytes of JSON`,
    )
  }
  if (depthOf(value) > METADATA_MAX_DEPTH) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"metadata" must be nested at most ${METADATA_MAX_DEPTH} levels deep`,
    )
  }
  return JSON.parse(text) as Record<string, unknown>
}

interface AgentRow {
  did: string
  name: string
  type: string
  owner: string | null
  status: AgentStatus
  metadata: string | null
  created_at: string
  updated_at: string
}

function toProfile(row: AgentRow): AgentProfile {
  return {
    did: row.did,
    name: row.name,
    type: row.type,
    owner: row.owner,
    status: row.status,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Create an agent: a fresh Ed25519 did:key in Veramo's key manager (private key encrypted at rest) and its
 * profile, in one transaction: a crash leaves either both or neither.
 */
export async function createAgentIdentity(
  home: Home,
  options: { name: string; type: string; owner?: string | undefined; metadata?: unknown },
): Promise<AgentProfile> {
  const name = printable(options.name, 'name', NAME_MAX)
  const type = validateAgentType(options.type)
  const owner = options.owner === undefined ? null : printable(options.owner, 'owner', OWNER_MAX)
  const metadata = options.metadata === undefined ? null : validateMetadata(options.metadata)
  return home.transaction(async () => {
    const identifier = await home.agent.didManagerCreate({
      provider: 'did:key',
      kms: KMS_NAME,
      options: { keyType: 'Ed25519' },
    })
    const now = new Date().toISOString()
    const row: AgentRow = {
      did: identifier.did,
      name,
      type,
      owner,
      status: 'active',
      metadata: metadata === null ? null : JSON.stringify(metadata),
      created_at: now,
      updated_at: now,
    }
    await home.dataSource.query(
      `INSERT INTO "tessera_agent" ("did", "name", "type", "owner", "status", "metadata", "created_at", "updated_at")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.did, row.name, row.type, row.owner, row.status, row.metadata, row.created_at, row.updated_at],
    )
    await home.hooks.record?.([
      {
        actor: home.org.did,
        type: 'agent.created',
        subject: row.did,
        data: { name, type, owner },
      },
    ])
    return toProfile(row)
  })
}

async function findAgent(
  runner: Pick<EntityManager, 'query'>,
  did: string,
): Promise<AgentProfile | undefined> {
  const rows = (await runner.query(`SELECT * FROM "tessera_agent" WHERE "did" = ?`, [did])) as AgentRow[]
  return rows[0] === undefined ? undefined : toProfile(rows[0])
}

/** One agent of this home; `ERR_AGENT_NOT_FOUND` if the DID is not one of ours. */
export async function getAgent(home: Home, did: string): Promise<AgentProfile> {
  if (typeof did !== 'string' || did.length === 0 || did.length > 512) {
    throw new InputError('ERR_INPUT_INVALID', `"did" must be a DID string, got ${JSON.stringify(did)}`)
  }
  const agent = await findAgent(home.dataSource, did)
  if (!agent) throw new IdentityError('ERR_AGENT_NOT_FOUND', `no agent ${did} in this home`)
  return agent
}

/** The agents of this home, oldest first, optionally filtered by status and type. */
export async function listAgents(
  home: Home,
  filter: { status?: AgentStatus | undefined; type?: string | undefined } = {},
): Promise<AgentProfile[]> {
  const where: string[] = []
  const params: string[] = []
  if (filter.status !== undefined) {
    where.push(`"status" = ?`)
    params.push(validateAgentStatus(filter.status))
  }
  if (filter.type !== undefined) {
    where.push(`"type" = ?`)
    params.push(validateAgentType(filter.type))
  }
  const sql = `SELECT * FROM "tessera_agent" ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "created_at", "did"`
  return ((await home.dataSource.query(sql, params)) as AgentRow[]).map(toProfile)
}

/** The lifecycle: which status each command moves an agent to, and from where. Retired is final. */
const TRANSITIONS: Record<
  'suspend' | 'resume' | 'retire',
  { from: readonly AgentStatus[]; to: AgentStatus }
> = {
  suspend: { from: ['active'], to: 'suspended' },
  resume: { from: ['suspended'], to: 'active' },
  retire: { from: ['active', 'suspended'], to: 'retired' },
}

/** A lifecycle command. */
export type AgentTransition = keyof typeof TRANSITIONS

/** Hooks run inside the transition's transaction (e.g. retiring revokes credentials, audit entries). */
export type TransitionListener = (event: {
  home: Home
  agent: AgentProfile
  transition: AgentTransition
  from: AgentStatus
}) => Promise<void>

/**
 * Move an agent through its lifecycle: suspend (active → suspended), resume (suspended → active),
 * retire (active or suspended → retired, final). A refused move is `ERR_AGENT_TRANSITION`.
 */
export async function transitionAgent(
  home: Home,
  did: string,
  transition: AgentTransition,
): Promise<AgentProfile> {
  if (!Object.hasOwn(TRANSITIONS, transition)) {
    throw new InputError('ERR_INPUT_INVALID', `unknown transition ${JSON.stringify(transition)}`)
  }
  const rule = TRANSITIONS[transition]
  await getAgent(home, did)
  return home.transaction(async () => {
    const current = await findAgent(home.dataSource, did)
    if (!current) throw new IdentityError('ERR_AGENT_NOT_FOUND', `no agent ${did} in this home`)
    if (!rule.from.includes(current.status)) {
      const why = current.status === 'retired' ? 'retirement is final' : `it is ${current.status}`
      throw new IdentityError('ERR_AGENT_TRANSITION', `cannot ${transition} agent ${did}: ${why}`, {
        details: { from: current.status, transition },
      })
    }
    const now = new Date().toISOString()
    await home.dataSource.query(`UPDATE "tessera_agent" SET "status" = ?, "updated_at" = ? WHERE "did" = ?`, [
      rule.to,
      now,
      did,
    ])
    const updated: AgentProfile = { ...current, status: rule.to, updatedAt: now }
    for (const listener of home.hooks.agentTransition) {
      await listener({ home, agent: updated, transition, from: current.status })
    }
    return updated
  })
}

/** Ensure an agent exists and is active (used before granting it anything). */
export async function requireActiveAgent(home: Home, did: string): Promise<AgentProfile> {
  const agent = await getAgent(home, did)
  if (agent.status !== 'active') {
    throw new IdentityError('ERR_AGENT_INACTIVE', `agent ${did} is ${agent.status}`, {
      details: { status: agent.status },
    })
  }
  return agent
}
