import { InputError, toDateTimeStamp } from '@tessera/core'
import { assertStatusSize, Bitstring } from './bitstring.js'
import { encodeList } from './codec.js'
import { isPlainObject, isStatusPurpose, isUrl, own, type StatusPurpose } from './entry.js'
import { describeValue, statusError } from './errors.js'

/** The VC Data Model 2.0 base context, first in `@context` (VC DM 2.0 §4.3); it defines the status list terms. */
export const CREDENTIALS_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2'
/** The list credential's type (Bitstring Status List v1.0 §2.2). */
export const STATUS_LIST_CREDENTIAL_TYPE = 'BitstringStatusListCredential'
/** The type of the list credential's subject, the list itself (§2.2 `credentialSubject.type`). */
export const STATUS_LIST_TYPE = 'BitstringStatusList'

/** An unsecured BitstringStatusListCredential (§2.2), to be signed by the caller. */
export interface BitstringStatusListCredential {
  '@context': [typeof CREDENTIALS_V2_CONTEXT]
  id: string
  type: ['VerifiableCredential', typeof STATUS_LIST_CREDENTIAL_TYPE]
  issuer: string
  validFrom: string
  validUntil?: string
  credentialSubject: {
    id: string
    type: typeof STATUS_LIST_TYPE
    statusPurpose: StatusPurpose | StatusPurpose[]
    encodedList: string
    statusSize?: number
    ttl?: number
  }
}

/**
 * Build an unsecured `BitstringStatusListCredential` (Bitstring Status List v1.0 §2.2; §3.1 Generate Algorithm
 * steps 2-4; the caller secures and publishes it, step 5). The subject is `${id}#list`. `ttlMs` becomes
 * `credentialSubject.ttl`, "time to live" in milliseconds, which never overrides `validUntil` (§2.2).
 * `credentialSubject.statusSize` is written when entries are wider than one bit or the purpose is `message`
 * (§2.2: it "MUST be specified" then).
 */
export function buildListCredential(options: {
  id: string
  issuer: string
  statusPurpose: StatusPurpose | readonly StatusPurpose[]
  /** The list to publish; encoded with `encodeList`. */
  bitstring: Bitstring
  validFrom: Date
  validUntil?: Date | undefined
  ttlMs?: number | undefined
}): BitstringStatusListCredential {
  if (!isUrl(options.id)) throw invalid(`"id" must be a URL, got ${describeValue(options.id)}`)
  if (!isUrl(options.issuer)) {
    throw invalid(`"issuer" must be a URL (a DID), got ${describeValue(options.issuer)}`)
  }
  const purposes =
    typeof options.statusPurpose === 'string' ? [options.statusPurpose] : [...options.statusPurpose]
  if (purposes.length === 0 || !purposes.every(isStatusPurpose)) {
    throw invalid(
      `"statusPurpose" must be one or more status purposes, got ${describeValue(options.statusPurpose)}`,
    )
  }
  if (!(options.bitstring instanceof Bitstring)) {
    throw invalid(`"bitstring" must be a Bitstring, got ${describeValue(options.bitstring)}`)
  }
  if (!(options.validFrom instanceof Date) || Number.isNaN(options.validFrom.getTime())) {
    throw invalid('"validFrom" must be a valid Date')
  }
  if (options.validUntil !== undefined) {
    if (!(options.validUntil instanceof Date) || Number.isNaN(options.validUntil.getTime())) {
      throw invalid('"validUntil" must be a valid Date')
    }
    if (options.validUntil.getTime() <= options.validFrom.getTime()) {
      throw invalid('"validUntil" must be after "validFrom"')
    }
  }
  if (options.ttlMs !== undefined && (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 0)) {
    throw invalid(
      `"ttlMs" must be a non-negative integer of milliseconds, got ${describeValue(options.ttlMs)}`,
    )
  }
  const statusSize = options.bitstring.statusSize
  const credential: BitstringStatusListCredential = {
    '@context': [CREDENTIALS_V2_CONTEXT],
    id: options.id,
    type: ['VerifiableCredential', STATUS_LIST_CREDENTIAL_TYPE],
    issuer: options.issuer,
    validFrom: toDateTimeStamp(options.validFrom),
    ...(options.validUntil === undefined ? {} : { validUntil: toDateTimeStamp(options.validUntil) }),
    credentialSubject: {
      id: `${options.id}#list`,
      type: STATUS_LIST_TYPE,
      statusPurpose: purposes.length === 1 ? (purposes[0] as StatusPurpose) : purposes,
      encodedList: encodeList(options.bitstring),
      ...(statusSize > 1 || purposes.includes('message') ? { statusSize } : {}),
      ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
    },
  }
  return credential
}

/** What a verifier needs from a BitstringStatusListCredential (§2.2). */
export interface ParsedListCredential {
  /** The credential's `id` (§2.2: MAY match the entries' `statusListCredential`). */
  id: string | undefined
  /** The `issuer` (its `id` when `issuer` is an object). */
  issuer: string
  /** `credentialSubject.statusPurpose`: one or more strings, as written (§2.2). */
  statusPurpose: string | readonly string[]
  /** `credentialSubject.statusSize`, when present. */
  statusSize: number | undefined
  /** `credentialSubject.encodedList`, still encoded (decode with `decodeList`). */
  encodedList: string
  /** `credentialSubject.ttl` in milliseconds, when present. */
  ttlMs: number | undefined
  validFrom: Date | undefined
  validUntil: Date | undefined
}

/**
 * Validate the shape of a BitstringStatusListCredential whose proof the caller has already verified (§3.2
 * step 4), reading own properties only, and return what the check needs. Does not decode `encodedList` and
 * does not compare `validFrom`/`validUntil` with the clock (the credential verifier does).
 *
 * Throws `ERR_STATUS_LIST_MALFORMED` (`MALFORMED_VALUE_ERROR`) for any value breaking a "MUST" of §2.2 or of
 * VC Data Model 2.0: the v2 context first, `type` including `BitstringStatusListCredential`, an `issuer`, a
 * `credentialSubject` of type `BitstringStatusList` with one or more `statusPurpose` strings and a string
 * `encodedList`, `ttl` a non-negative integer, and `statusSize` present when a purpose is `message`.
 */
export function parseListCredential(payload: unknown): ParsedListCredential {
  if (!isPlainObject(payload)) {
    throw malformed(`the status list credential must be a JSON object, got ${describeValue(payload)}`)
  }
  const context = own(payload, '@context')
  if (!Array.isArray(context) || context[0] !== CREDENTIALS_V2_CONTEXT) {
    throw malformed(`"@context" must be an array starting with "${CREDENTIALS_V2_CONTEXT}"`)
  }
  const type = own(payload, 'type')
  if (
    !Array.isArray(type) ||
    !type.every((t) => typeof t === 'string') ||
    !type.includes('VerifiableCredential') ||
    !type.includes(STATUS_LIST_CREDENTIAL_TYPE)
  ) {
    throw malformed(
      `"type" must be an array including "VerifiableCredential" and "${STATUS_LIST_CREDENTIAL_TYPE}"`,
    )
  }
  let id: string | undefined
  if (Object.hasOwn(payload, 'id')) {
    const raw = own(payload, 'id')
    if (!isUrl(raw)) throw malformed(`"id" must be a URL, got ${describeValue(raw)}`)
    id = raw
  }
  const issuerValue = own(payload, 'issuer')
  const issuer = isPlainObject(issuerValue) ? own(issuerValue, 'id') : issuerValue
  if (!isUrl(issuer)) {
    throw malformed(`"issuer" must be a URL or an object with a URL "id", got ${describeValue(issuer)}`)
  }
  const validFrom = optionalDateTimeStamp(payload, 'validFrom')
  const validUntil = optionalDateTimeStamp(payload, 'validUntil')
  if (validFrom !== undefined && validUntil !== undefined && validFrom.getTime() > validUntil.getTime()) {
    throw malformed('"validFrom" must not be later than "validUntil"')
  }

  const subject = own(payload, 'credentialSubject')
  if (!isPlainObject(subject)) {
    throw malformed(`"credentialSubject" must be one JSON object, got ${describeValue(subject)}`)
  }
  const subjectType = own(subject, 'type')
  if (subjectType !== STATUS_LIST_TYPE) {
    throw malformed(
      `"credentialSubject.type" must be "${STATUS_LIST_TYPE}", got ${describeValue(subjectType)}`,
    )
  }
  const statusPurpose = own(subject, 'statusPurpose')
  const purposes = typeof statusPurpose === 'string' ? [statusPurpose] : statusPurpose
  if (
    !Array.isArray(purposes) ||
    purposes.length === 0 ||
    !purposes.every((p) => typeof p === 'string' && p.length > 0)
  ) {
    throw malformed(
      `"credentialSubject.statusPurpose" must be one or more non-empty strings, got ${describeValue(statusPurpose)}`,
    )
  }
  const encodedList = own(subject, 'encodedList')
  if (typeof encodedList !== 'string' || encodedList.length === 0) {
    throw malformed(`"credentialSubject.encodedList" must be a string, got ${describeValue(encodedList)}`)
  }
  let ttlMs: number | undefined
  if (Object.hasOwn(subject, 'ttl')) {
    const ttl = own(subject, 'ttl')
    if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 0) {
      throw malformed(
        `"credentialSubject.ttl" must be a non-negative integer of milliseconds, got ${describeValue(ttl)}`,
      )
    }
    ttlMs = ttl
  }
  let statusSize: number | undefined
  if (Object.hasOwn(subject, 'statusSize')) {
    const raw = own(subject, 'statusSize')
    assertStatusSize(raw, 'credentialSubject.statusSize')
    statusSize = raw
  } else if (purposes.includes('message')) {
    throw malformed('"credentialSubject.statusSize" must be present when "statusPurpose" is "message" (§2.2)')
  }
  return {
    id,
    issuer,
    statusPurpose: typeof statusPurpose === 'string' ? statusPurpose : [...(purposes as string[])],
    statusSize,
    encodedList,
    ttlMs,
    validFrom,
    validUntil,
  }
}

/** An XML Schema dateTimeStamp (with a time zone offset), as VC Data Model 2.0 §4.9 requires. */
const DATE_TIME_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

function optionalDateTimeStamp(payload: Record<string, unknown>, name: string): Date | undefined {
  if (!Object.hasOwn(payload, name)) return undefined
  const value = own(payload, name)
  const ms = typeof value === 'string' && DATE_TIME_STAMP.test(value) ? Date.parse(value) : Number.NaN
  if (!Number.isFinite(ms)) {
    throw malformed(
      `"${name}" must be an XML Schema dateTimeStamp with a time zone, got ${describeValue(value)}`,
    )
  }
  return new Date(ms)
}

function malformed(message: string) {
  return statusError('ERR_STATUS_LIST_MALFORMED', message)
}

function invalid(message: string) {
  return new InputError('ERR_INPUT_INVALID', message)
}
