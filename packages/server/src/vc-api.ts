/**
 * W3C VC-API (CCG) shapes: the verification result `{ verified, checks, warnings, errors }` the verify routes
 * answer with. (The credential and presentation forms a client may send, a `vc+jwt`/`vp+jwt` string, an
 * Enveloped object or a Data Integrity document, are read by the credentials package's verifiers.)
 */
import type { CheckResult, DecisionError } from '@tessera/core'
import type { NotEvaluated } from '@tessera/credentials/offline'

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
