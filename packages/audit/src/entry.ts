/**
 * Audit entries: what one entry holds, its canonical bytes (RFC 8785 JCS) and its hash, which is both the
 * entry's Merkle leaf hash (RFC 9162 §2.1.1, SHA-256(0x00 || bytes)) and the `prevHash` of the next entry.
 */
import { createHash } from 'node:crypto'
import {
  canonicalJson,
  canonicalJsonSlow,
  checkJson,
  InputError,
  type JsonInspector,
  type JsonValue,
  sortedCopy,
  UNSORTABLE,
  VerificationError,
} from '@tessera/core'
import { leafHash } from './merkle.js'

export type { JsonValue } from '@tessera/core'

/** What an entry records. */
export const AUDIT_EVENT_TYPES = [
  'agent.created',
  'agent.suspended',
  'agent.resumed',
  'agent.retired',
  'role.granted',
  'credential.issued',
  'status.changed',
  'status.published',
  'credential.verified',
  'presentation.verified',
  'access.allowed',
  'access.denied',
  'handshake.accepted',
  'handshake.refused',
] as const

/** One of {@link AUDIT_EVENT_TYPES}. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** A JSON object: an entry's `data`. */
export type AuditData = { [key: string]: JsonValue }

/**
 * One entry of the log. Its canonical bytes are the RFC 8785 serialization of exactly these members
 * (`subject` omitted when absent); `prevHash` chains it to the entry before.
 */
export interface AuditEntry {
  /** Position in the log, from 1, without gaps. Leaf index = seq - 1. */
  seq: number
  /** When it was appended (RFC 3339 UTC, `toISOString()` form). */
  time: string
  /** The DID that acted (the organisation, an agent, a verifier). */
  actor: string
  type: AuditEventType
  /** What it acted on (an agent DID, a credential id, a status list URL), when there is one. */
  subject?: string
  /**
   * Details. For decisions: hashes (presentation, trust bundle), credential ids, status list versions,
   * action, resource, outcome, reason codes. Never secrets, never whole credentials or presentations.
   */
  data: AuditData
  /** Hex leaf hash of the previous entry; {@link GENESIS_HASH} for seq 1. */
  prevHash: string
}

/** An entry as stored, with its own leaf hash (hex). */
export interface StoredAuditEntry extends AuditEntry {
  leafHash: string
}

/** What a caller appends: the log assigns `seq`, `prevHash` and (by default) `time`. */
export interface AuditEntryInput {
  actor: string
  type: AuditEventType
  subject?: string | undefined
  data?: AuditData | undefined
  /** Defaults to the time of the append. */
  time?: Date | string | undefined
}

/** `prevHash` of the first entry: 32 zero bytes in hex. */
export const GENESIS_HASH = '0'.repeat(64)

/** Caps on what one entry may hold. */
export const AUDIT_LIMITS = Object.freeze({
  /** Longest canonical `data`, in UTF-16 code units. */
  maxDataLength: 16 * 1024,
  /** Deepest nesting inside `data` (`data` itself is depth 1). */
  maxDataDepth: 8,
  /** Longest `actor` and `subject`. */
  maxIdLength: 512,
  /** Longest canonical entry accepted when reading an export or a proof file. */
  maxEntryLength: 32 * 1024,
})

const HEX_HASH = /^[0-9a-f]{64}$/
// RFC 3339 date-time in UTC, as Date.prototype.toISOString writes it (milliseconds optional).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/
// DID Core v1.0 §3.1 syntax: did:<method-name>:<method-specific-id> (no path, query or fragment).
const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*(?::(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*)*$/
// A compact JWS (RFC 7515 §7.1): credentials and presentations go in by hash, never whole.
const COMPACT_JWS = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/
const SECRET_NAMES = /^(?:secret|password|passphrase|private_?key\w*|seed|mnemonic)$/i
const CONTROL = /\p{Cc}/u
const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES)

/** True for a 64-character lowercase hex SHA-256 value. */
export function isHexHash(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value)
}

/** True for one of {@link AUDIT_EVENT_TYPES}. */
export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && EVENT_TYPES.has(value)
}

/**
 * The canonical text of an entry, given its `data` already in canonical form. Members in RFC 8785 §3.2.3
 * order: actor, data, prevHash, seq, subject, time, type.
 */
export function canonicalEntryText(entry: Omit<AuditEntry, 'data'> & { dataJson: string }): string {
  const subject = entry.subject === undefined ? '' : `,"subject":${JSON.stringify(entry.subject)}`
  return (
    `{"actor":${JSON.stringify(entry.actor)},"data":${entry.dataJson},"prevHash":${JSON.stringify(entry.prevHash)}` +
    `,"seq":${entry.seq}${subject},"time":${JSON.stringify(entry.time)},"type":${JSON.stringify(entry.type)}}`
  )
}

/** The canonical bytes of an entry as UTF-8 text: RFC 8785 JCS of its members. */
export function canonicalEntry(entry: AuditEntry): string {
  const data = sortedCopy(entry.data)
  if (data === UNSORTABLE) {
    return canonicalEntryText({
      seq: entry.seq,
      time: entry.time,
      actor: entry.actor,
      type: entry.type,
      subject: entry.subject,
      dataJson: canonicalJsonSlow(entry.data),
      prevHash: entry.prevHash,
    })
  }
  // Members inserted in RFC 8785 order (none is an array index), serialized in one native call.
  return JSON.stringify(
    entry.subject === undefined
      ? {
          actor: entry.actor,
          data,
          prevHash: entry.prevHash,
          seq: entry.seq,
          time: entry.time,
          type: entry.type,
        }
      : {
          actor: entry.actor,
          data,
          prevHash: entry.prevHash,
          seq: entry.seq,
          subject: entry.subject,
          time: entry.time,
          type: entry.type,
        },
  )
}

/** The entry's leaf hash, hex: SHA-256(0x00 || canonical bytes) (RFC 9162 §2.1.1). */
export function entryHash(entry: AuditEntry): string {
  return leafHash(canonicalEntry(entry)).toString('hex')
}

/**
 * SHA-256 of a value, hex: how presentations, credentials and trust bundles go into `data` (by hash, never
 * whole). Strings are hashed as UTF-8; objects as their RFC 8785 canonical JSON.
 */
export function auditDigest(value: string | Uint8Array | AuditData): string {
  const bytes = typeof value === 'string' || value instanceof Uint8Array ? value : canonicalJson(value)
  return createHash('sha256').update(bytes).digest('hex')
}

function printableId(value: unknown, name: string, pattern?: RegExp): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > AUDIT_LIMITS.maxIdLength) {
    return `"${name}" must be a string of 1 to ${AUDIT_LIMITS.maxIdLength} characters`
  }
  if (CONTROL.test(value)) return `"${name}" must not contain control characters`
  if (pattern !== undefined && !pattern.test(value))
    return `"${name}" must be a DID, got ${JSON.stringify(value)}`
  return undefined
}

/** Refuse data that is or carries a secret or a whole token: the log is read by third parties. */
const NO_SECRETS: JsonInspector = {
  string: (value, path) => {
    // A compact JWS has exactly two dots; most strings have none, so the regex rarely runs.
    const dot = value.indexOf('.')
    if (dot === -1 || value.indexOf('.', dot + 1) === -1 || !COMPACT_JWS.test(value)) return undefined
    return `${path} looks like a whole JWS (credential or presentation); log its hash (auditDigest) instead`
  },
  key: (key, path) =>
    SECRET_NAMES.test(key) ? `${path}.${key}: secrets never go into the audit log` : undefined,
}

/** An input checked and in canonical form, ready to be given a seq and a prevHash. */
export interface PreparedEntry {
  time: string | undefined
  actor: string
  type: AuditEventType
  subject: string | undefined
  data: AuditData
  dataJson: string
}

function timeOf(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError('ERR_INPUT_INVALID', `"time" is an invalid Date`)
    return value.toISOString()
  }
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"time" must be a Date or an RFC 3339 UTC time like 2025-01-31T12:00:00.000Z, got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/**
 * Check an entry a caller wants to append and canonicalize its data.
 * @throws InputError `ERR_INPUT_INVALID` naming the member at fault.
 */
export function prepareEntry(input: AuditEntryInput, index = 0): PreparedEntry {
  const at = (message: string) => new InputError('ERR_INPUT_INVALID', `entry ${index}: ${message}`)
  if (input === null || typeof input !== 'object') throw at('must be an object')
  const actorWhy = printableId(input.actor, 'actor', DID)
  if (actorWhy !== undefined) throw at(actorWhy)
  if (!isAuditEventType(input.type)) {
    throw at(`"type" must be one of ${AUDIT_EVENT_TYPES.join(', ')}, got ${JSON.stringify(input.type)}`)
  }
  if (input.subject !== undefined) {
    const subjectWhy = printableId(input.subject, 'subject')
    if (subjectWhy !== undefined) throw at(subjectWhy)
  }
  const data = input.data ?? {}
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw at(`"data" must be a JSON object`)
  const why = checkJson(data, AUDIT_LIMITS.maxDataDepth, NO_SECRETS)
  if (why !== undefined) throw at(why)
  const dataJson = canonicalJson(data)
  if (dataJson.length > AUDIT_LIMITS.maxDataLength) {
    throw at(`"data" is ${dataJson.length} characters in canonical JSON, over ${AUDIT_LIMITS.maxDataLength}`)
  }
  let time: string | undefined
  try {
    time = timeOf(input.time)
  } catch (err) {
    throw at((err as Error).message)
  }
  return { time, actor: input.actor, type: input.type, subject: input.subject, data, dataJson }
}

const ENTRY_MEMBERS: ReadonlySet<string> = new Set([
  'seq',
  'time',
  'actor',
  'type',
  'subject',
  'data',
  'prevHash',
  'leafHash',
])

/**
 * Read an entry from untrusted JSON (an export line, a proof file): every member present with the right
 * shape, no others. `leafHash` is kept when present; whether it is right is for the verifier to find out.
 *
 * @throws VerificationError `ERR_AUDIT_MALFORMED` naming the member at fault.
 */
export function parseAuditEntry(value: unknown, where = 'entry'): AuditEntry & { leafHash?: string } {
  const bad = (message: string) => new VerificationError('ERR_AUDIT_MALFORMED', `${where}: ${message}`)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('must be a JSON object')
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!ENTRY_MEMBERS.has(key)) throw bad(`unknown member ${JSON.stringify(key)}`)
  }
  const { seq, time, actor, type, subject, data, prevHash, leafHash: hash } = record
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw bad(`"seq" must be a positive integer, got ${JSON.stringify(seq)}`)
  }
  if (typeof time !== 'string' || !ISO_TIME.test(time)) throw bad(`"time" must be an RFC 3339 UTC time`)
  const actorWhy = printableId(actor, 'actor')
  if (actorWhy !== undefined) throw bad(actorWhy)
  if (!isAuditEventType(type)) throw bad(`"type" ${JSON.stringify(type)} is not an audit event type`)
  if (subject !== undefined) {
    const subjectWhy = printableId(subject, 'subject')
    if (subjectWhy !== undefined) throw bad(subjectWhy)
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw bad(`"data" must be a JSON object`)
  const dataWhy = checkJson(data, AUDIT_LIMITS.maxDataDepth)
  if (dataWhy !== undefined) throw bad(dataWhy)
  if (!isHexHash(prevHash)) throw bad(`"prevHash" must be 64 lowercase hex characters`)
  if (hash !== undefined && !isHexHash(hash)) throw bad(`"leafHash" must be 64 lowercase hex characters`)
  const entry: AuditEntry & { leafHash?: string } = {
    seq,
    time,
    actor: actor as string,
    type,
    data: data as AuditData,
    prevHash,
  }
  if (subject !== undefined) entry.subject = subject as string
  if (hash !== undefined) entry.leafHash = hash
  return entry
}
