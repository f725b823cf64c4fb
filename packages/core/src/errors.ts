/**
 * Tessera's error model: one base class with a stable `code`, one subclass per family.
 *
 * Codes are API. Never rename one; add a new one and deprecate the old in README.md.
 * Programmer and input mistakes throw these; a credential or presentation that fails
 * verification is a result (see `Decision`), reported with the same codes.
 */

/** Which family an error belongs to; the CLI maps families to exit codes. */
export type ErrorFamily = 'input' | 'environment' | 'identity' | 'verification' | 'policy' | 'internal'

/** Every error code Tessera can return, with its family. */
export const ERROR_CODES = {
  // input: bad usage or malformed input (CLI exit 2)
  ERR_USAGE: 'input',
  ERR_INPUT_INVALID: 'input',
  ERR_PERMISSION_INVALID: 'input',
  ERR_DURATION_INVALID: 'input',
  ERR_HOME_EXISTS: 'input',
  ERR_TRUST_BUNDLE_INVALID: 'input',
  // HTTP front door (@tessera/server): missing or wrong admin token, unknown route or resource, body too large
  ERR_AUTH_REQUIRED: 'input',
  ERR_AUTH_FORBIDDEN: 'input',
  ERR_NOT_FOUND: 'input',
  ERR_BODY_TOO_LARGE: 'input',
  // environment: home, database, secrets (CLI exit 3)
  ERR_HOME_NOT_FOUND: 'environment',
  ERR_HOME_CORRUPT: 'environment',
  ERR_SECRET_INVALID: 'environment',
  ERR_KEYSTORE_LOCKED: 'environment',
  ERR_DB_LOCKED: 'environment',
  ERR_DB_FAILURE: 'environment',
  ERR_IO: 'environment',
  // the server is saturated (HTTP 429 with Retry-After); a TLS certificate or key that cannot be used
  ERR_SERVER_BUSY: 'environment',
  ERR_TLS_CONFIG: 'environment',
  // agent-to-agent transport: the peer's endpoint could not be reached or answered with something else
  ERR_TRANSPORT: 'environment',
  // identity: agents, DIDs, issued credentials (CLI exit 2)
  ERR_AGENT_NOT_FOUND: 'identity',
  ERR_AGENT_TRANSITION: 'identity',
  ERR_AGENT_INACTIVE: 'identity',
  ERR_ROLE_NOT_ALLOWED_FOR_TYPE: 'identity',
  ERR_CREDENTIAL_NOT_FOUND: 'identity',
  ERR_STATUS_REVOKED_FINAL: 'identity',
  ERR_DID_INVALID: 'identity',
  ERR_DID_METHOD_NOT_SUPPORTED: 'identity',
  ERR_DID_NOT_MANAGED: 'identity',
  // verification results (CLI exit 1)
  ERR_SIZE_LIMIT: 'verification',
  ERR_JWS_MALFORMED: 'verification',
  ERR_JWS_ALG: 'verification',
  ERR_JWS_TYP: 'verification',
  ERR_JWS_CRIT: 'verification',
  ERR_JWS_KID: 'verification',
  ERR_JWS_SIGNATURE: 'verification',
  ERR_VC_MALFORMED: 'verification',
  ERR_VC_NOT_YET_VALID: 'verification',
  ERR_VC_EXPIRED: 'verification',
  ERR_VC_ISSUER_MISMATCH: 'verification',
  ERR_VP_MALFORMED: 'verification',
  ERR_VP_NOT_YET_VALID: 'verification',
  ERR_VP_EXPIRED: 'verification',
  ERR_VP_LIFETIME: 'verification',
  ERR_VP_TOO_MANY_CREDENTIALS: 'verification',
  ERR_CHALLENGE_MISSING: 'verification',
  ERR_CHALLENGE_MISMATCH: 'verification',
  ERR_CHALLENGE_UNKNOWN: 'verification',
  ERR_CHALLENGE_USED: 'verification',
  ERR_CHALLENGE_EXPIRED: 'verification',
  ERR_DOMAIN_MISMATCH: 'verification',
  ERR_HOLDER_MISMATCH: 'verification',
  ERR_STATUS_UNCHECKABLE: 'verification',
  ERR_STATUS_REVOKED: 'verification',
  ERR_STATUS_SUSPENDED: 'verification',
  // Bitstring Status List v1.0 processing errors (§3.5; RANGE_ERROR and MALFORMED_VALUE_ERROR come from VC Data
  // Model 2.0): `details.specError` carries the spec name
  ERR_STATUS_LIST_MALFORMED: 'verification',
  ERR_STATUS_LIST_LENGTH: 'verification',
  ERR_STATUS_LIST_TOO_LARGE: 'verification',
  ERR_STATUS_RANGE: 'verification',
  ERR_STATUS_RETRIEVAL: 'verification',
  ERR_STATUS_VERIFICATION: 'verification',
  // the verifier's status list cache (@tessera/status createStatusCache): no list recent enough to rely on
  // (older than the verifier's maxStalenessMs, or past its validUntil); a newer list cleared a revocation bit
  // (revocation is final, the old bit is kept); a list whose issuer the trust bundle does not accept for status
  ERR_STATUS_STALE: 'verification',
  ERR_STATUS_REVOCATION_CLEARED: 'verification',
  ERR_STATUS_ISSUER_UNTRUSTED: 'verification',
  // tamper-evident audit log (@tessera/audit): a malformed export line or proof file, a log that does not
  // verify (`details.firstBad`), a checkpoint not validly signed by the organisation, a Merkle proof that fails
  ERR_AUDIT_MALFORMED: 'verification',
  ERR_AUDIT_TAMPERED: 'verification',
  ERR_AUDIT_CHECKPOINT_INVALID: 'verification',
  ERR_AUDIT_PROOF_INVALID: 'verification',
  // JSON-LD and Data Integrity (VC Data Integrity 1.0, eddsa-rdfc-2022): a context that is not bundled (nothing
  // is ever fetched), a document JSON-LD cannot expand without dropping terms, a malformed proof, a cryptosuite
  // or proof purpose the verifier does not accept, a proof whose signature does not verify; a presentation
  // without a proof where one is required (a challenge was asked, or holder binding is needed)
  ERR_CONTEXT_UNKNOWN: 'verification',
  ERR_JSONLD_INVALID: 'verification',
  ERR_PROOF_MALFORMED: 'verification',
  ERR_PROOF_CRYPTOSUITE: 'verification',
  ERR_PROOF_PURPOSE: 'verification',
  ERR_PROOF_SIGNATURE: 'verification',
  ERR_VP_UNSIGNED: 'verification',
  // DIDComm v2 agent-to-agent messages (@tessera/messaging): not decryptable or tampered, not authcrypt
  // (anoncrypt or plaintext is never enough to act on), `from` not the authenticated sender (`skid`), a replayed
  // message id, past `expires_time`, malformed, from a peer without a completed handshake, a refused handshake
  ERR_MSG_DECRYPT: 'verification',
  ERR_MSG_NOT_AUTHCRYPT: 'verification',
  ERR_MSG_SENDER_MISMATCH: 'verification',
  ERR_MSG_REPLAY: 'verification',
  ERR_MSG_EXPIRED: 'verification',
  ERR_MSG_MALFORMED: 'verification',
  ERR_MSG_NO_SESSION: 'verification',
  ERR_HANDSHAKE_REFUSED: 'verification',
  // policy results (CLI exit 1)
  ERR_TRUST_ISSUER_UNKNOWN: 'policy',
  ERR_TRUST_ROLE_NOT_ALLOWED: 'policy',
  ERR_TRUST_SELF_ISSUED: 'policy',
  ERR_POLICY_DENIED: 'policy',
  ERR_POLICY_NO_CREDENTIALS: 'policy',
  // internal: a bug in Tessera (CLI exit 70)
  ERR_INTERNAL: 'internal',
} as const satisfies Record<string, ErrorFamily>

/** The union of every stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES

/** The family of a code. */
export function errorFamily(code: ErrorCode): ErrorFamily {
  return ERROR_CODES[code]
}

/** True when `value` is a known Tessera error code (own-property check: input may be hostile). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value)
}

/** Base class of every error Tessera throws. `code` is stable API; `message` is for humans. */
export class TesseraError extends Error {
  readonly code: ErrorCode
  /** Optional structured context (never secrets). */
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options?.details
  }

  override get name(): string {
    return 'TesseraError'
  }

  get family(): ErrorFamily {
    return errorFamily(this.code)
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

type CodeOf<F extends ErrorFamily> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K] extends F ? K : never
}[ErrorCode]

/** Bad arguments, malformed files, unparsable input. */
export class InputError extends TesseraError {
  constructor(
    code: CodeOf<'input'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options)
  }
}

/** The organisation home, its database or its secret is missing, locked or wrong. */
export class EnvironmentError extends TesseraError {
  constructor(
    code: CodeOf<'environment'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options)
  }
}

/** Agents, DIDs and issued credentials: not found, or a refused transition. */
export class IdentityError extends TesseraError {
  constructor(
    code: CodeOf<'identity'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options)
  }
}

/** A verification failure raised as an exception (most are returned inside a `Decision` instead). */
export class VerificationError extends TesseraError {
  constructor(
    code: CodeOf<'verification'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options)
  }
}

/** A trust-policy or authorization refusal raised as an exception. */
export class PolicyError extends TesseraError {
  constructor(
    code: CodeOf<'policy'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options)
  }
}

/** Codes of one family, for callers that `switch (err.code)`. */
export type InputErrorCode = CodeOf<'input'>
export type EnvironmentErrorCode = CodeOf<'environment'>
export type IdentityErrorCode = CodeOf<'identity'>
export type VerificationErrorCode = CodeOf<'verification'>
export type PolicyErrorCode = CodeOf<'policy'>

/** Wrap anything thrown into a TesseraError (unknown errors become ERR_INTERNAL). */
export function toTesseraError(err: unknown): TesseraError {
  if (err instanceof TesseraError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new TesseraError('ERR_INTERNAL', message, { cause: err })
}
