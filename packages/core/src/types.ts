/** Shared data types of the trust loop. Plain data: no classes, so they cross processes as JSON. */
import type { ErrorCode } from './errors.js'

/**
 * One permission: an action on a resource.
 * `action` is a name or `*`; `resource` is a path that may end in `*` as a prefix wildcard (`tickets/*`).
 */
export interface Permission {
  action: string
  resource: string
}

/** Lifecycle of an agent identity. `retired` is final. */
export type AgentStatus = 'active' | 'suspended' | 'retired'

/** The claims of an AgentRoleCredential's `credentialSubject`. */
export interface RoleClaims {
  /** The agent's DID. */
  id: string
  role: string
  permissions: Permission[]
  agentType?: string
}

/** One check the verifier ran, in order. */
export interface CheckResult {
  /** Stable name of the check, e.g. `vp.signature`, `vc[0].validUntil`. */
  check: string
  ok: boolean
  code?: ErrorCode
  message?: string
  /** Structured context, e.g. which status list version was used and how old it was. */
  details?: Record<string, unknown>
}

/** One reason for a negative result. */
export interface DecisionError {
  code: ErrorCode
  message: string
  /** The credential the error is about, when it is about one. */
  credentialId?: string
}
