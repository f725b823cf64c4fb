/**
 * How Tessera errors become HTTP responses: a status code per error code, and one body shape,
 * `{ "error": { "code", "message" } }`, never a stack trace.
 */
import { type ErrorCode, InputError, type TesseraError, toTesseraError } from '@tessera/core'

/** The body of every error response (the VC-API verify routes answer with their own result shape). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> }
}

/** HTTP status codes of the codes that have their own (RFC 9110 §15). */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_AUTH_REQUIRED: 401,
  ERR_AUTH_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_CREDENTIAL_NOT_FOUND: 404,
  ERR_AGENT_NOT_FOUND: 404,
  ERR_STATUS_REVOKED_FINAL: 409,
  ERR_BODY_TOO_LARGE: 413,
  ERR_SERVER_BUSY: 429,
  ERR_DID_METHOD_NOT_SUPPORTED: 501,
  ERR_DB_LOCKED: 503,
}

/**
 * The HTTP status for an error: its own (above), else by family: input, identity, verification and policy
 * problems are the client's (400), environment problems are the server's (503: the home, its database or its
 * key store is unavailable; retrying may work), anything else is 500.
 */
export function httpStatusFor(err: TesseraError): number {
  const own = STATUS_BY_CODE[err.code]
  if (own !== undefined) return own
  switch (err.family) {
    case 'input':
    case 'identity':
    case 'verification':
    case 'policy':
      return 400
    case 'environment':
      return 503
    default:
      return 500
  }
}

/** Detail members that are safe to echo to a client: which rule and where, never a cause or a stack. */
const ECHOED_DETAILS = ['rule', 'path', 'section', 'reason'] as const

/**
 * The response body for anything thrown while handling a request. An internal error's message is replaced by
 * a generic one (it may name files or internals); every other message is Tessera's own, which names the
 * parameter and what was expected.
 */
export function errorBody(thrown: unknown): { status: number; body: ErrorBody } {
  const err = toTesseraError(thrown)
  const status = httpStatusFor(err)
  const message = err.code === 'ERR_INTERNAL' ? 'internal error' : err.message
  const details: Record<string, unknown> = {}
  for (const key of ECHOED_DETAILS) {
    const value = err.details?.[key]
    if (typeof value === 'string') details[key] = value
  }
  return {
    status,
    body: {
      error:
        Object.keys(details).length === 0
          ? { code: err.code, message }
          : { code: err.code, message, details },
    },
  }
}

/** The error a malformed request body or parameter becomes (a JSON schema said no). */
export function invalidRequest(message: string, path?: string): InputError {
  return new InputError('ERR_INPUT_INVALID', message, path === undefined ? undefined : { details: { path } })
}
