import type { ErrorCode } from '@tessera/core'

/** The verdict of a status checker on one `credentialStatus` entry. */
export type StatusResult =
  | { ok: true; purpose?: string; message?: string; details?: Record<string, unknown> }
  | {
      ok: false
      code:
        | Extract<ErrorCode, 'ERR_STATUS_REVOKED' | 'ERR_STATUS_SUSPENDED' | 'ERR_STATUS_UNCHECKABLE'>
        | ErrorCode
      message: string
      details?: Record<string, unknown>
    }

/**
 * Checks `credentialStatus` entries (the status-list package provides a Bitstring Status List checker over a
 * cache of verified lists). It may answer synchronously (the fast path) or with a promise.
 */
export interface StatusChecker {
  check(request: {
    entry: unknown
    credentialId: string | undefined
    issuer: string
  }): StatusResult | Promise<StatusResult>
}
