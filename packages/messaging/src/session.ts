/**
 * Sessions: what a responder keeps about a peer whose presentation it accepted, and the decision on each
 * request over it. The credentials of the accepted presentation are verified again at every request (signature
 * with a cached key, validity period, holder, status through the status checker, trust), so a revocation or
 * suspension takes effect at the next status refresh and an expired credential stops allowing anything.
 */
import type { CheckResult, DecisionError, Permission } from '@tessera/core'
import {
  authorizeDecision,
  type Decision,
  decodeCompactJws,
  extractEnvelopedCredentials,
  type StatusChecker,
  toVerifiedCredential,
  type VerifiedCredential,
  verifyCredential,
} from '@tessera/credentials/offline'
import type { TrustBundle } from '@tessera/policy'

/** A peer's accepted handshake, as the responder holds it (in memory). */
export interface Session {
  /** The handshake's thread id. */
  id: string
  peer: string
  /** The `vc+jwt` credentials of the peer's verified presentation. */
  credentials: readonly string[]
  /** Roles and effective permissions at the handshake (for display; requests are decided afresh). */
  granted: readonly VerifiedCredential[]
  establishedAt: Date
  expiresAt: Date
}

/** What a caller may see of a session. */
export interface SessionInfo {
  id: string
  peer: string
  roles: string[]
  establishedAt: string
  expiresAt: string
}

/** The credentials enveloped in a presentation that has already been verified. */
export function presentationCredentials(presentation: string): string[] {
  const { payload } = decodeCompactJws(presentation, {
    maxLength: 64 * 1024,
    maxDepth: 32,
    expectedTyp: 'vp+jwt',
    allowedAlgs: ['EdDSA'],
  })
  return extractEnvelopedCredentials(payload, { maxCredentials: 32, maxTokenLength: 16 * 1024 })
}

/** Options of {@link decideRequest}. */
export interface DecideRequestOptions {
  session: Session
  request: Permission
  trust: TrustBundle
  status?: StatusChecker | undefined
  now: Date
}

/**
 * Decide one request over a session, as `verifyPresentation` decides one over a presentation: every session
 * credential must still verify (`vc[i].*` checks; one that fails denies with its code, as it would have failed
 * the presentation), and then some effective permission must cover the request (`authorize`).
 */
export async function decideRequest(options: DecideRequestOptions): Promise<Decision> {
  const { session, request, now } = options
  const checks: CheckResult[] = []
  const errors: DecisionError[] = []
  const credentials: VerifiedCredential[] = []
  for (const [index, credential] of session.credentials.entries()) {
    const result = await verifyCredential({
      credential,
      trust: options.trust,
      holder: session.peer,
      ...(options.status === undefined ? {} : { status: options.status }),
      now,
    })
    for (const check of result.checks) {
      checks.push({ ...check, check: check.check.replace(/^vc\b/, `vc[${index}]`) })
    }
    errors.push(...result.errors)
    if (result.verified && result.credential !== undefined) {
      credentials.push(toVerifiedCredential(result.credential))
    }
  }
  const verified = errors.length === 0 && credentials.length > 0
  const decision: Decision = {
    verified,
    allowed: false,
    holder: session.peer,
    request,
    credentials,
    checks,
    errors,
    verifiedAt: now.toISOString(),
  }
  return authorizeDecision(decision, request)
}

/** Default lifetime of a session: one hour (then the peer shakes hands again). */
export const DEFAULT_SESSION_TTL_SEC = 3_600
/** Default cap on the sessions (and on the handshakes in progress) one endpoint holds. */
export const DEFAULT_MAX_SESSIONS = 10_000

/**
 * A bounded map of entries that expire: expired entries are dropped first, then the oldest, when it is full.
 */
export class ExpiringMap<V extends { expiresAt: Date }> {
  readonly #entries = new Map<string, V>()
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  get(key: string, now: Date): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt.getTime() < now.getTime()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  set(key: string, value: V, now: Date): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#max) {
      for (const [k, v] of this.#entries) if (v.expiresAt.getTime() < now.getTime()) this.#entries.delete(k)
      while (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next().value
        if (oldest === undefined) break
        this.#entries.delete(oldest)
      }
    }
    this.#entries.set(key, value)
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  values(now: Date): V[] {
    return [...this.#entries.values()].filter((v) => v.expiresAt.getTime() >= now.getTime())
  }
}
