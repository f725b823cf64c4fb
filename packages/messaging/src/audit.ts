/**
 * What the messaging layer writes to the audit log of the side that decided: each handshake verdict
 * (`handshake.accepted` / `handshake.refused`) and each request decision (`access.allowed` /
 * `access.denied`). Hashes and ids only, never a presentation, a credential or a message body.
 */
import {
  type AuditData,
  type AuditEntryInput,
  appendAudit,
  auditDigest,
  decisionAuditEntry,
} from '@tessera/audit'
import type { ErrorCode, Permission } from '@tessera/core'
import type { Decision } from '@tessera/credentials/offline'
import type { Home } from '@tessera/identity'

/** The status list versions a decision used, by list id, read from its checks' details. */
export function statusListVersions(decision: Pick<Decision, 'checks'>): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const check of decision.checks) {
    const listId = check.details?.listId
    const version = check.details?.versionHash
    if (typeof listId === 'string' && typeof version === 'string') versions[listId] = version
  }
  return versions
}

/** Options of {@link handshakeAuditEntry}. */
export interface HandshakeAuditOptions {
  /** The agent that decided. */
  actor: string
  /** The agent whose presentation it decided on. */
  peer: string
  /** The handshake's thread id. */
  thread: string
  /** Whether the deciding agent opened the handshake or answered it. */
  side: 'initiator' | 'responder'
  decision: Decision
  presentation: string
  trustBundleHash: string
  /** Reasons found outside the presentation check (a holder that is not the authenticated sender). */
  extraReasons?: readonly ErrorCode[]
}

/**
 * The audit entry of one side's verdict on the other's presentation: `handshake.accepted` when it verified,
 * `handshake.refused` otherwise, with the presentation hash, the credential ids and roles, the reason codes,
 * the status list versions and the trust bundle hash.
 */
export function handshakeAuditEntry(options: HandshakeAuditOptions): AuditEntryInput {
  const { decision } = options
  const reasons = [...new Set([...decision.errors.map((e) => e.code), ...(options.extraReasons ?? [])])]
  const accepted = decision.verified && reasons.length === 0
  const credentialIds = new Set<string>()
  for (const c of decision.credentials) if (c.id !== undefined) credentialIds.add(c.id)
  for (const e of decision.errors) if (e.credentialId !== undefined) credentialIds.add(e.credentialId)
  const data: AuditData = {
    outcome: accepted ? 'accepted' : 'refused',
    side: options.side,
    thread: options.thread,
    credentialIds: [...credentialIds],
    roles: [...new Set(decision.credentials.map((c) => c.role))],
    reasons,
    presentationHash: auditDigest(options.presentation),
    trustBundleHash: options.trustBundleHash,
    statusListVersions: statusListVersions(decision),
  }
  return {
    actor: options.actor,
    type: accepted ? 'handshake.accepted' : 'handshake.refused',
    subject: options.peer,
    data,
  }
}

/** Options of {@link requestAuditEntry}. */
export interface RequestAuditOptions {
  actor: string
  decision: Decision
  request: Permission
  trustBundleHash: string
  /** The session (handshake thread) the request came over, when there was one. */
  thread: string | undefined
  messageId: string
}

/** The audit entry of a request decision: `decisionAuditEntry` of @tessera/audit, marked as a DIDComm request. */
export function requestAuditEntry(options: RequestAuditOptions): AuditEntryInput {
  const entry = decisionAuditEntry({
    decision: options.decision,
    actor: options.actor,
    trustBundleHash: options.trustBundleHash,
    statusListVersions: statusListVersions(options.decision),
    request: options.request,
  })
  const data: AuditData = { ...(entry.data ?? {}), via: 'didcomm', messageId: options.messageId }
  if (options.thread !== undefined) data.thread = options.thread
  return { ...entry, data }
}

/** Append one entry in its own transaction on the home (joining none a concurrent caller may hold). */
export async function recordAudit(home: Home, entry: AuditEntryInput): Promise<void> {
  await home.transaction(() => appendAudit(home, [entry]))
}
