import type { Bitstring } from './bitstring.js'
import type { StatusEntry, StatusPurpose } from './entry.js'
import { statusError } from './errors.js'

/** A decoded status list with what `checkStatus` needs from its (verified) list credential. */
export interface DecodedStatusList {
  /** The expanded `encodedList` (see `decodeList`). */
  readonly bitstring: Bitstring
  /** `credentialSubject.statusPurpose` of the list credential: one or more strings (§2.2). */
  readonly statusPurpose: string | readonly string[]
  /** `credentialSubject.statusSize` of the list credential, when it states one (§2.2). */
  readonly statusSize?: number | undefined
  /** The URL the list credential was retrieved from (its `statusListCredential`). */
  readonly listCredentialId: string
}

/** The outcome of checking one entry (§3.2 steps 11-14). */
export interface StatusCheck {
  /** The entry's `statusPurpose` (§3.2 step 12 `purpose`). */
  readonly purpose: StatusPurpose
  /** The entry's index in the list. */
  readonly index: number
  /** The status value at that index, 0 .. 2^statusSize - 1 (§3.2 step 12 `status`). */
  readonly value: number
  /**
   * True when the value is not 0: revoked, suspended, refresh available, or a non-zero message. `!set` is the
   * spec's `valid` (§3.2 step 13).
   */
  readonly set: boolean
  /** The entry's `statusMessage` for this value, when the entry has messages (§3.2 step 14). */
  readonly message: string | undefined
}

/**
 * Check one status entry against a decoded list: the pure part of the Validate Algorithm (Bitstring Status List
 * v1.0 §3.2 steps 5, 9-14), after the caller has retrieved and verified the list credential (steps 4, 6-8).
 * Fast and allocation-free apart from the result: a cached list answers millions of checks per second.
 *
 * Throws (each a `VerificationError` with `details.specError`):
 * - `ERR_STATUS_VERIFICATION` (`STATUS_VERIFICATION_ERROR`): the entry's `statusPurpose` is not one of the
 *   list's (step 5), the list is not the one the entry names, or the entry's `statusSize` differs from the list's;
 * - `ERR_STATUS_RANGE` (`RANGE_ERROR`): the index is outside the list (step 10).
 * The length rule of step 9 (at least 131,072 entries) holds for every `Bitstring`.
 */
export function checkStatus(options: { entry: StatusEntry; list: DecodedStatusList }): StatusCheck {
  const entry = options.entry
  const list = options.list
  const purpose = entry.statusPurpose
  const listPurpose = list.statusPurpose
  if (typeof listPurpose === 'string' ? listPurpose !== purpose : !listPurpose.includes(purpose)) {
    throw statusError(
      'ERR_STATUS_VERIFICATION',
      `the entry's statusPurpose "${purpose}" is not a statusPurpose of the status list credential (${JSON.stringify(listPurpose)})`,
      { details: { statusPurpose: purpose, listStatusPurpose: listPurpose } },
    )
  }
  if (entry.statusListCredential !== list.listCredentialId) {
    throw statusError(
      'ERR_STATUS_VERIFICATION',
      `the entry names the status list ${JSON.stringify(entry.statusListCredential)}, not ${JSON.stringify(list.listCredentialId)}`,
      {
        details: {
          statusListCredential: entry.statusListCredential,
          listCredentialId: list.listCredentialId,
        },
      },
    )
  }
  const bitstring = list.bitstring
  const statusSize = entry.statusSize
  if (
    statusSize !== bitstring.statusSize ||
    (list.statusSize !== undefined && list.statusSize !== statusSize)
  ) {
    throw statusError(
      'ERR_STATUS_VERIFICATION',
      `the entry's statusSize ${statusSize} does not match the status list's ${list.statusSize ?? bitstring.statusSize}`,
      { details: { statusSize, listStatusSize: list.statusSize ?? bitstring.statusSize } },
    )
  }
  // Bitstring.get raises RANGE_ERROR for an index at or past the end (step 10).
  const index = entry.index
  const value = bitstring.get(index)
  const messages = entry.statusMessage
  return {
    purpose,
    index,
    value,
    set: value !== 0,
    message: messages === undefined ? undefined : messages[value]?.message,
  }
}
