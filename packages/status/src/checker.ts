/**
 * The `StatusChecker` the credentials package's `verifyPresentation` calls for every `credentialStatus` entry:
 * Bitstring Status List v1.0 §3.2 over a {@link StatusCache} of verified lists.
 */
import { InputError, TesseraError } from '@tessera/core'
import type { StatusChecker, StatusResult } from '@tessera/credentials/offline'
import type { CachedStatusList, StatusCache } from './cache.js'
import { checkStatus, type StatusCheck } from './check.js'
import { parseEntry, type StatusEntry } from './entry.js'

/**
 * A status checker over `cache`. For each entry: `parseEntry` (a malformed entry fails with its code), the
 * credential's issuer must be in the trust bundle (lists of strangers are never retrieved), the list comes from
 * the cache (synchronously when it is cached and within its `ttl`: the result is then a plain object, not a
 * promise), the list's issuer must be the credential's issuer or a status issuer the bundle trusts for it, and
 * `checkStatus` reads the entry. A set bit maps to:
 * - `revocation`: `ERR_STATUS_REVOKED` (`ERR_STATUS_REVOCATION_CLEARED` when a newer list tried to clear it);
 * - `suspension`: `ERR_STATUS_SUSPENDED`;
 * - `refresh`, `message`: ok, with the value and its `statusMessage` in the result.
 *
 * Every result has `details: { listId, index, purpose, ageMs, versionHash, value }` (as far as they are known)
 * naming the list version and its age; a list served offline after a failed refresh adds `refreshError`.
 * Failures carry the code the cache or `checkStatus` raised (`ERR_STATUS_STALE`, `ERR_STATUS_RETRIEVAL`,
 * `ERR_STATUS_VERIFICATION`, `ERR_STATUS_RANGE`, `ERR_STATUS_ISSUER_UNTRUSTED`, ...).
 */
export function statusChecker(cache: StatusCache): StatusChecker {
  if (typeof cache?.get !== 'function' || typeof cache.nowMs !== 'function') {
    throw new InputError('ERR_INPUT_INVALID', '"cache" must be a StatusCache (createStatusCache)')
  }
  return {
    check(request): StatusResult | Promise<StatusResult> {
      let entry: StatusEntry
      try {
        entry = parseEntry(request.entry)
      } catch (err) {
        return failure(err, undefined)
      }
      const issuer = request.issuer
      if (!cache.knowsIssuer(issuer)) {
        return {
          ok: false,
          code: 'ERR_STATUS_ISSUER_UNTRUSTED',
          message: `the credential's issuer ${issuer} is in no organisation of the trust bundle: its status list is not retrieved`,
          details: { specError: 'STATUS_VERIFICATION_ERROR', ...entryDetails(entry) },
        }
      }
      const now = cache.nowMs()
      let list: CachedStatusList | Promise<CachedStatusList>
      try {
        list = cache.get(entry.statusListCredential, now)
      } catch (err) {
        return failure(err, entry)
      }
      if (list instanceof Promise) {
        return list.then(
          (loaded) => evaluate(cache, entry, loaded, issuer, cache.nowMs()),
          (err: unknown) => failure(err, entry),
        )
      }
      return evaluate(cache, entry, list, issuer, now)
    },
  }
}

function evaluate(
  cache: StatusCache,
  entry: StatusEntry,
  list: CachedStatusList,
  issuer: string,
  now: number,
): StatusResult {
  const ageMs = now - list.fetchedAt
  if (
    list.issuer !== issuer &&
    !cache.trustsStatusIssuer({ credentialIssuer: issuer, statusIssuer: list.issuer })
  ) {
    return {
      ok: false,
      code: 'ERR_STATUS_ISSUER_UNTRUSTED',
      message: `status list ${list.listCredentialId} is issued by ${list.issuer}, which the trust bundle does not accept as a status issuer for ${issuer}`,
      details: { specError: 'STATUS_VERIFICATION_ERROR', ...listDetails(entry, list, ageMs, undefined) },
    }
  }
  let result: StatusCheck
  try {
    result = checkStatus({ entry, list })
  } catch (err) {
    return failure(err, entry, list, ageMs)
  }
  const details = listDetails(entry, list, ageMs, result.value)
  if (!result.set) return okResult(result, details)
  switch (result.purpose) {
    case 'revocation':
      if (list.revocationCleared.has(result.index)) {
        return {
          ok: false,
          code: 'ERR_STATUS_REVOCATION_CLEARED',
          message: `the credential was revoked (status list ${list.listCredentialId}, index ${result.index}) and a newer list clears the revocation: revocation is final, the credential stays revoked`,
          details,
        }
      }
      return {
        ok: false,
        code: 'ERR_STATUS_REVOKED',
        message: `the credential is revoked (status list ${list.listCredentialId}, index ${result.index})`,
        details,
      }
    case 'suspension':
      return {
        ok: false,
        code: 'ERR_STATUS_SUSPENDED',
        message: `the credential is suspended (status list ${list.listCredentialId}, index ${result.index})`,
        details,
      }
    default:
      // refresh (§2.1: a newer version of the credential is available) and message: informational.
      return okResult(result, details)
  }
}

function okResult(result: StatusCheck, details: Record<string, unknown>): StatusResult {
  return result.message === undefined
    ? { ok: true, purpose: result.purpose, details }
    : { ok: true, purpose: result.purpose, message: result.message, details }
}

function entryDetails(entry: StatusEntry): Record<string, unknown> {
  return { listId: entry.statusListCredential, index: entry.index, purpose: entry.statusPurpose }
}

function listDetails(
  entry: StatusEntry,
  list: CachedStatusList,
  ageMs: number,
  value: number | undefined,
): Record<string, unknown> {
  const details: Record<string, unknown> = {
    listId: list.listCredentialId,
    index: entry.index,
    purpose: entry.statusPurpose,
    ageMs,
    versionHash: list.versionHash,
  }
  if (value !== undefined) details.value = value
  if (list.refreshError !== undefined) details.refreshError = list.refreshError.code
  return details
}

/** A failed check from what the cache or the codec threw; programmer errors and bugs are rethrown. */
function failure(
  err: unknown,
  entry: StatusEntry | undefined,
  list?: CachedStatusList,
  ageMs?: number,
): StatusResult {
  if (!(err instanceof TesseraError) || err instanceof InputError) throw err
  const base =
    entry === undefined
      ? {}
      : list === undefined || ageMs === undefined
        ? entryDetails(entry)
        : listDetails(entry, list, ageMs, undefined)
  return { ok: false, code: err.code, message: err.message, details: { ...err.details, ...base } }
}
