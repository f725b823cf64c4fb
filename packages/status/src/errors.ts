import { VerificationError, type VerificationErrorCode } from '@tessera/core'

/**
 * The processing errors a Bitstring Status List processor raises: three defined by Bitstring Status List v1.0
 * §3.5 (Processing Errors) and two it borrows from VC Data Model 2.0 (`MALFORMED_VALUE_ERROR`, raised for any
 * value breaking a "MUST" of §2, see the §3 preamble; `RANGE_ERROR`, §3.2 step 10).
 */
export type StatusSpecError =
  | 'STATUS_RETRIEVAL_ERROR'
  | 'STATUS_VERIFICATION_ERROR'
  | 'STATUS_LIST_LENGTH_ERROR'
  | 'RANGE_ERROR'
  | 'MALFORMED_VALUE_ERROR'

/** The Tessera codes this package throws, each always with a `details.specError`. */
export type StatusErrorCode = Extract<
  VerificationErrorCode,
  | 'ERR_STATUS_LIST_MALFORMED'
  | 'ERR_STATUS_LIST_LENGTH'
  | 'ERR_STATUS_LIST_TOO_LARGE'
  | 'ERR_STATUS_RANGE'
  | 'ERR_STATUS_RETRIEVAL'
  | 'ERR_STATUS_VERIFICATION'
>

/**
 * The spec error each Tessera status code carries in `details.specError`. `ERR_STATUS_LIST_TOO_LARGE` (a list
 * over the decompression cap, e.g. a gzip bomb) has no spec error of its own; it reports the spec's only length
 * error, `STATUS_LIST_LENGTH_ERROR`, and the Tessera code tells "too large" from "too short".
 */
export const STATUS_SPEC_ERRORS: Readonly<Record<StatusErrorCode, StatusSpecError>> = Object.freeze({
  ERR_STATUS_LIST_MALFORMED: 'MALFORMED_VALUE_ERROR',
  ERR_STATUS_LIST_LENGTH: 'STATUS_LIST_LENGTH_ERROR',
  ERR_STATUS_LIST_TOO_LARGE: 'STATUS_LIST_LENGTH_ERROR',
  ERR_STATUS_RANGE: 'RANGE_ERROR',
  ERR_STATUS_RETRIEVAL: 'STATUS_RETRIEVAL_ERROR',
  ERR_STATUS_VERIFICATION: 'STATUS_VERIFICATION_ERROR',
})

/** A `VerificationError` with a status code and its spec error in `details.specError`. */
export function statusError(
  code: StatusErrorCode,
  message: string,
  options?: { cause?: unknown; details?: Record<string, unknown> },
): VerificationError {
  return new VerificationError(code, message, {
    cause: options?.cause,
    details: { specError: STATUS_SPEC_ERRORS[code], ...options?.details },
  })
}

/** A short, safe rendering of an untrusted value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return `${typeof value === 'number' ? 'number ' : ''}${String(value)}`
  }
  if (Array.isArray(value)) return 'an array'
  return `a value of type ${typeof value}`
}
