import { InputError, TesseraError } from '@tessera/core'
import { assertStatusSize } from './bitstring.js'
import { describeValue, statusError } from './errors.js'

/** `type` of a status entry (Bitstring Status List v1.0 §2.1). */
export const STATUS_ENTRY_TYPE = 'BitstringStatusListEntry'

/**
 * The status purposes Tessera processes (§2.1 `statusPurpose`). The spec lets the string be arbitrary but fixes
 * the meaning of these four; a verifier cannot act on a purpose it does not know, so Tessera refuses any other
 * (fails closed with `MALFORMED_VALUE_ERROR`).
 */
export const STATUS_PURPOSES = ['revocation', 'suspension', 'refresh', 'message'] as const

/** One of the status purposes of §2.1. */
export type StatusPurpose = (typeof STATUS_PURPOSES)[number]

/** One element of `statusMessage` (§2.1): `status` is the value in hexadecimal prefixed with `0x`. */
export interface StatusMessage {
  status: string
  message: string
}

/** The JSON form of a status entry, as it sits in a credential's `credentialStatus` (§2.1). */
export interface BitstringStatusListEntry {
  id?: string
  type: typeof STATUS_ENTRY_TYPE
  statusPurpose: StatusPurpose
  statusListIndex: string
  statusListCredential: string
  statusSize?: number
  statusMessage?: StatusMessage[]
  statusReference?: string | string[]
}

/** A validated status entry, ready for `checkStatus`. */
export interface StatusEntry {
  /** §2.1 `id` (optional; never the status list's URL). */
  readonly id: string | undefined
  readonly statusPurpose: StatusPurpose
  /** §2.1 `statusListIndex` as written (a base-10 string). */
  readonly statusListIndex: string
  /** `statusListIndex` as a number (at most 2^53 - 1). */
  readonly index: number
  /** §2.1 `statusListCredential`: the URL of the BitstringStatusListCredential. */
  readonly statusListCredential: string
  /** §2.1 `statusSize`, 1 when absent. */
  readonly statusSize: number
  /**
   * §2.1 `statusMessage`, reordered so that `statusMessage[value]` describes status `value`; undefined when
   * absent (allowed only at `statusSize` 1, where the values mean "unset" and "set").
   */
  readonly statusMessage: readonly StatusMessage[] | undefined
  /** §2.1 `statusReference`. */
  readonly statusReference: string | readonly string[] | undefined
}

const BASE10 = /^(?:0|[1-9][0-9]*)$/
const HEX_STATUS = /^0x[0-9a-fA-F]+$/
const MAX_URL_LENGTH = 4096

/**
 * Parse and validate a `BitstringStatusListEntry` from untrusted JSON (Bitstring Status List v1.0 §2.1), reading
 * own properties only. Unknown extra properties are ignored.
 *
 * Throws `ERR_STATUS_LIST_MALFORMED` (`MALFORMED_VALUE_ERROR`, §3) for any value breaking a "MUST" of §2.1, and
 * `ERR_STATUS_RANGE` (`RANGE_ERROR`) for a well-formed `statusListIndex` above 2^53 - 1, which no list can reach
 * (§3.2 step 10; other out-of-range indexes are caught by `checkStatus`, against the list).
 */
export function parseEntry(value: unknown): StatusEntry {
  if (!isPlainObject(value)) {
    throw malformed(`"credentialStatus" must be a JSON object, got ${describeValue(value)}`)
  }
  const type = own(value, 'type')
  if (type !== STATUS_ENTRY_TYPE) {
    throw malformed(`"type" must be "${STATUS_ENTRY_TYPE}", got ${describeValue(type)}`)
  }
  const statusPurpose = own(value, 'statusPurpose')
  if (!isStatusPurpose(statusPurpose)) {
    throw malformed(
      `"statusPurpose" must be one of ${STATUS_PURPOSES.join(', ')}, got ${describeValue(statusPurpose)}`,
    )
  }

  const statusListIndex = own(value, 'statusListIndex')
  if (typeof statusListIndex !== 'string' || !BASE10.test(statusListIndex)) {
    throw malformed(`"statusListIndex" must be a base-10 string, got ${describeValue(statusListIndex)}`)
  }
  const index = statusListIndex.length <= 16 ? Number(statusListIndex) : Number.POSITIVE_INFINITY
  if (!Number.isSafeInteger(index)) {
    throw statusError(
      'ERR_STATUS_RANGE',
      `"statusListIndex" ${describeValue(statusListIndex)} is beyond any status list (over 2^53 - 1)`,
      { details: { statusListIndex } },
    )
  }

  const statusListCredential = own(value, 'statusListCredential')
  if (!isUrl(statusListCredential)) {
    throw malformed(`"statusListCredential" must be a URL, got ${describeValue(statusListCredential)}`)
  }

  let id: string | undefined
  if (Object.hasOwn(value, 'id')) {
    const raw = own(value, 'id')
    if (!isUrl(raw)) throw malformed(`"id" must be a URL, got ${describeValue(raw)}`)
    if (raw === statusListCredential) throw malformed('"id" must not be the URL of the status list (§2.1)')
    id = raw
  }

  let statusSize = 1
  if (Object.hasOwn(value, 'statusSize')) {
    const raw = own(value, 'statusSize')
    assertStatusSize(raw)
    statusSize = raw
  }

  let statusMessage: StatusMessage[] | undefined
  if (Object.hasOwn(value, 'statusMessage')) {
    statusMessage = parseStatusMessages(own(value, 'statusMessage'), statusSize, 'statusMessage')
  } else if (statusSize > 1) {
    throw malformed(
      `"statusMessage" must be present when "statusSize" is greater than 1, got statusSize ${statusSize}`,
    )
  }

  let statusReference: string | string[] | undefined
  if (Object.hasOwn(value, 'statusReference')) {
    const raw = own(value, 'statusReference')
    if (isUrl(raw)) statusReference = raw
    else if (Array.isArray(raw) && raw.length > 0 && raw.every(isUrl)) statusReference = [...raw]
    else throw malformed(`"statusReference" must be a URL or an array of URLs, got ${describeValue(raw)}`)
  }

  return {
    id,
    statusPurpose,
    statusListIndex,
    index,
    statusListCredential,
    statusSize,
    statusMessage,
    statusReference,
  }
}

/**
 * Validate a `statusMessage` array (§2.1): exactly 2^statusSize objects, each with a `status` (`0x` + hex) and
 * a `message` string, one per possible value. Returned in value order, with only `status` and `message`.
 */
export function parseStatusMessages(
  value: unknown,
  statusSize: number,
  name = 'statusMessage',
): StatusMessage[] {
  const count = 2 ** statusSize
  if (!Array.isArray(value) || value.length !== count) {
    throw malformed(
      `"${name}" must be an array of ${count} messages (2^statusSize, statusSize ${statusSize}), got ${
        Array.isArray(value) ? `${value.length} elements` : describeValue(value)
      }`,
    )
  }
  const byValue: (StatusMessage | undefined)[] = new Array(count).fill(undefined)
  for (let i = 0; i < count; i++) {
    const element: unknown = value[i]
    if (!isPlainObject(element)) {
      throw malformed(`"${name}[${i}]" must be an object, got ${describeValue(element)}`)
    }
    const status = own(element, 'status')
    const message = own(element, 'message')
    if (typeof status !== 'string' || !HEX_STATUS.test(status) || status.length > 10) {
      throw malformed(
        `"${name}[${i}].status" must be a hexadecimal string prefixed with 0x, got ${describeValue(status)}`,
      )
    }
    if (typeof message !== 'string') {
      throw malformed(`"${name}[${i}].message" must be a string, got ${describeValue(message)}`)
    }
    const statusValue = Number.parseInt(status.slice(2), 16)
    if (statusValue >= count) {
      throw malformed(`"${name}[${i}].status" ${status} does not fit in ${statusSize} bits`)
    }
    if (byValue[statusValue] !== undefined) {
      throw malformed(`"${name}" lists status ${status} twice`)
    }
    byValue[statusValue] = { status, message }
  }
  return byValue as StatusMessage[]
}

/**
 * Build a `BitstringStatusListEntry` for a credential about to be issued (§2.1). `index` is the entry's position
 * in the list (§2.1 asks issuers to assign it at random); `listCredential` is the status list credential's URL.
 * Throws `ERR_INPUT_INVALID` when the result would not parse with `parseEntry`.
 */
export function buildEntry(options: {
  id?: string | undefined
  purpose: StatusPurpose
  index: number
  listCredential: string
  statusSize?: number | undefined
  statusMessage?: readonly StatusMessage[] | undefined
  statusReference?: string | readonly string[] | undefined
}): BitstringStatusListEntry {
  if (!Number.isSafeInteger(options.index) || options.index < 0) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"index" must be a non-negative integer, got ${describeValue(options.index)}`,
    )
  }
  const entry: BitstringStatusListEntry = {
    ...(options.id === undefined ? {} : { id: options.id }),
    type: STATUS_ENTRY_TYPE,
    statusPurpose: options.purpose,
    statusListIndex: String(options.index),
    statusListCredential: options.listCredential,
  }
  if (options.statusSize !== undefined) entry.statusSize = options.statusSize
  if (options.statusMessage !== undefined) {
    entry.statusMessage = options.statusMessage.map((m) => ({ status: m.status, message: m.message }))
  }
  if (options.statusReference !== undefined) {
    entry.statusReference =
      typeof options.statusReference === 'string' ? options.statusReference : [...options.statusReference]
  }
  try {
    parseEntry(entry)
  } catch (err) {
    if (err instanceof TesseraError) {
      throw new InputError('ERR_INPUT_INVALID', err.message, { cause: err, details: err.details })
    }
    throw err
  }
  return entry
}

/** True for one of the four status purposes Tessera processes. */
export function isStatusPurpose(value: unknown): value is StatusPurpose {
  return typeof value === 'string' && (STATUS_PURPOSES as readonly string[]).includes(value)
}

/** A non-array, non-null object (parsed JSON object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An own property, or undefined (never reads the prototype chain of untrusted input). */
export function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

/** An absolute URL (WHATWG URL parser) of at most 4,096 characters. */
export function isUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) return false
  if (knownUrls.has(value)) return true
  if (!URL.canParse(value)) return false
  // The same few list URLs recur in every entry a verifier sees: remember the ones already parsed (bounded).
  if (knownUrls.size >= KNOWN_URLS_MAX) knownUrls.clear()
  knownUrls.add(value)
  return true
}

const KNOWN_URLS_MAX = 4_096
const knownUrls = new Set<string>()

function malformed(message: string) {
  return statusError('ERR_STATUS_LIST_MALFORMED', message)
}
