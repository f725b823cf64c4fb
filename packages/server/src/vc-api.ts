/**
 * W3C VC-API (CCG) shapes: reading the credential and presentation forms a client may send, and the
 * verification result `{ verified, checks, warnings, errors }` the verify routes answer with.
 */
import type { CheckResult, DecisionError } from '@tessera/core'
import type { NotEvaluated } from '@tessera/credentials/offline'

/** The data URL prefix of an enveloped `vc+jwt` (VC-JOSE-COSE §3.1.1, VC DM 2.0 §4.13.1). */
export const VC_JWT_DATA_URL = 'data:application/vc+jwt,'
/** The data URL prefix of an enveloped `vp+jwt` (VC-JOSE-COSE §3.1.2, VC DM 2.0 §4.13.2). */
export const VP_JWT_DATA_URL = 'data:application/vp+jwt,'

/**
 * The compact JWS inside an `EnvelopedVerifiableCredential` / `EnvelopedVerifiablePresentation` whose `id` is a
 * `data:application/v[cp]+jwt,` URL, or the value itself for anything else (a JWS string as it is, a Data
 * Integrity object for the verifier to judge). Own properties only.
 */
export function unwrapEnveloped(value: unknown, prefix: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const id = Object.hasOwn(value, 'id') ? (value as { id: unknown }).id : undefined
  if (typeof id !== 'string' || id.slice(0, prefix.length).toLowerCase() !== prefix) return value
  return id.slice(prefix.length)
}

/** Something a verification did not evaluate, reported as a VC-API warning. */
export interface VerificationWarning {
  check: string
  message: string
}

const NOT_EVALUATED_MESSAGES: Record<NotEvaluated, string> = {
  trust:
    'the trust bundle was not evaluated: this endpoint checks proofs, validity and status; POST /authorize decides trust',
  'challenge.single-use': 'the challenge was compared but not redeemed for single use',
  holder: 'no holder binding was checked',
}

/** The VC-API warnings for what a verification did not evaluate. */
export function warningsFor(notEvaluated: readonly NotEvaluated[]): VerificationWarning[] {
  return notEvaluated.map((check) => ({ check, message: NOT_EVALUATED_MESSAGES[check] ?? check }))
}

/**
 * The VC-API verification result (verifier.yml VerificationResult): `verified`, every check run (in order,
 * each with its code when it failed), `warnings` for what was not evaluated, `errors` with stable codes.
 */
export interface VerificationResponse {
  verified: boolean
  checks: CheckResult[]
  warnings: VerificationWarning[]
  errors: DecisionError[]
  verifiedAt: string
  [member: string]: unknown
}
