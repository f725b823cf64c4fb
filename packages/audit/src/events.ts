/**
 * Entries for Tessera's own events: agent lifecycle transitions (through the home's hooks, inside the
 * transition's transaction) and verifier decisions (by hash and id, never whole tokens).
 */
import type { Permission } from '@tessera/core'
import type { Decision } from '@tessera/credentials'
import type { Home } from '@tessera/identity'
import { type AuditData, type AuditEntryInput, type AuditEventType, auditDigest } from './entry.js'
import { appendAudit } from './store.js'

const TRANSITION_TYPES: Record<string, AuditEventType> = {
  suspend: 'agent.suspended',
  resume: 'agent.resumed',
  retire: 'agent.retired',
}

const hooked = new WeakSet<Home>()

/**
 * Log every agent lifecycle transition of this home (`agent.suspended`, `agent.resumed`, `agent.retired`)
 * inside the transition's own transaction: if the entry cannot be written, the transition does not happen.
 * The actor is the organisation (or `options.actor`); the subject is the agent. Registering twice is a no-op.
 */
export function auditAgentTransitions(home: Home, options: { actor?: string } = {}): void {
  if (hooked.has(home)) return
  hooked.add(home)
  home.hooks.agentTransition.push(async (event) => {
    const type = TRANSITION_TYPES[event.transition]
    if (type === undefined) return
    await appendAudit(event.home, [
      {
        actor: options.actor ?? event.home.org.did,
        type,
        subject: event.agent.did,
        data: { from: event.from, to: event.agent.status },
      },
    ])
  })
}

/** Options of {@link decisionAuditEntry}. */
export interface DecisionAuditOptions {
  /** The verifier's answer. */
  decision: Decision
  /** Who decided: the verifier's DID (usually its organisation's). */
  actor: string
  /** The `vp+jwt` the decision was about: logged as its SHA-256, never whole. */
  presentation?: string | undefined
  /** The trust bundle's hash (`trustBundleHash` of @tessera/policy): which policy the decision was made under. */
  trustBundleHash?: string | undefined
  /** Versions of the status lists consulted, by status list credential URL. */
  statusListVersions?: Record<string, string | number> | undefined
  /** The action asked, when the decision does not carry it. */
  request?: Permission | undefined
}

/**
 * The audit entry of a verifier decision: `access.allowed` / `access.denied` when an action was asked,
 * `presentation.verified` otherwise (with outcome `verified` or `rejected`). `data` holds the presentation
 * hash, the credential ids, the status list versions, the trust bundle hash, the action and resource, the
 * outcome and the error codes that decided it; never a token, a credential or a message with input in it.
 */
export function decisionAuditEntry(options: DecisionAuditOptions): AuditEntryInput {
  const { decision } = options
  const request = decision.request ?? options.request
  const asked = decision.allowed !== undefined || request !== undefined
  const allowed = decision.allowed === true
  const type: AuditEventType = asked
    ? allowed
      ? 'access.allowed'
      : 'access.denied'
    : 'presentation.verified'
  const credentialIds = new Set<string>()
  for (const credential of decision.credentials)
    if (credential.id !== undefined) credentialIds.add(credential.id)
  for (const error of decision.errors)
    if (error.credentialId !== undefined) credentialIds.add(error.credentialId)
  const data: AuditData = {
    outcome: asked ? (allowed ? 'allowed' : 'denied') : decision.verified ? 'verified' : 'rejected',
    credentialIds: [...credentialIds],
    reasons: [...new Set(decision.errors.map((e) => e.code))],
  }
  if (request !== undefined) {
    data.action = request.action
    data.resource = request.resource
  }
  if (options.presentation !== undefined) data.presentationHash = auditDigest(options.presentation)
  if (options.trustBundleHash !== undefined) data.trustBundleHash = options.trustBundleHash
  if (options.statusListVersions !== undefined) data.statusListVersions = { ...options.statusListVersions }
  if (decision.grantedBy !== undefined) {
    const { credentialId, role, issuer } = decision.grantedBy
    data.grantedBy = credentialId === undefined ? { role, issuer } : { credentialId, role, issuer }
  }
  const entry: AuditEntryInput = { actor: options.actor, type, data }
  if (decision.holder !== undefined) entry.subject = decision.holder
  return entry
}
