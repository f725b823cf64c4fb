/**
 * DIDComm Messaging v2 envelopes: authcrypt (sender-authenticated encryption, ECDH-1PU+A256KW with
 * A256CBC-HS512, DIDComm v2 §"Sender Authenticated Encryption") through Veramo's `DIDComm` plugin, and every
 * check a receiver runs before it acts on a message. Anoncrypt, signed and plaintext messages are never enough.
 */
import { randomUUID } from 'node:crypto'
import {
  InputError,
  TesseraError,
  toNumericDate,
  VerificationError,
  type VerificationErrorCode,
} from '@tessera/core'
import { getOwn, isJsonObject, parseJsonCapped } from '@tessera/credentials/offline'
import type { Home } from '@tessera/identity'
import { resolveDidKey } from '@tessera/identity/did-key'
import type { ReplayStore } from './replay.js'
import { didCommAgent } from './veramo-didcomm.js'

/** Media type of an encrypted DIDComm message (DIDComm v2 §"IANA Media Types"). */
export const DIDCOMM_ENCRYPTED = 'application/didcomm-encrypted+json'
/** Media type of a signed DIDComm message. */
export const DIDCOMM_SIGNED = 'application/didcomm-signed+json'
/** Media type of a plaintext DIDComm message. */
export const DIDCOMM_PLAIN = 'application/didcomm-plain+json'

/** The key wrapping algorithm of authcrypt (DIDComm v2 §"Sender Authenticated Encryption"): the only one accepted. */
export const AUTHCRYPT_ALG = 'ECDH-1PU+A256KW'
/** The content encryption of authcrypt (DIDComm v2: A256CBC-HS512 is required with ECDH-1PU): the only one accepted. */
export const AUTHCRYPT_ENC = 'A256CBC-HS512'

/** Longest packed message accepted, in characters, checked before anything is parsed. */
export const MAX_MESSAGE_LENGTH = 256 * 1024
/** Deepest JSON nesting accepted in a packed message or its plaintext. */
export const MAX_MESSAGE_DEPTH = 32
/** Default lifetime of a message Tessera sends: `expires_time` = `created_time` + 60 s. */
export const DEFAULT_MESSAGE_TTL_SEC = 60
/** Longest lifetime (`expires_time` − `created_time`) accepted: bounds what the replay store must remember. */
export const MAX_MESSAGE_LIFETIME_SEC = 600
/** Default allowance for clock skew between agents when comparing message times, in seconds. */
export const DEFAULT_MESSAGE_CLOCK_TOLERANCE_SEC = 30

const MAX_ID_LENGTH = 128
const MAX_TYPE_LENGTH = 256
const CONTROL = /\p{Cc}/u

/**
 * A DIDComm v2 plaintext message (DIDComm v2 §"Plaintext Message Structure") as Tessera sends and accepts it:
 * `from`, `to`, `created_time` and `expires_time` (UTC epoch seconds) are always present.
 */
export interface DidCommMessage {
  id: string
  type: string
  from: string
  to: string[]
  created_time: number
  expires_time: number
  /** Thread id: the id of the message that started the thread this one belongs to. */
  thid?: string
  /** Parent thread id. */
  pthid?: string
  body: Record<string, unknown>
}

/** Options of {@link packMessage}. */
export interface PackMessageOptions {
  /** The sending agent: a DID managed by `home`. */
  from: string
  /** The recipient's DID. */
  to: string
  /** The message type (a protocol URI, DIDComm v2 §"Message Type URI"). */
  type: string
  body: Record<string, unknown>
  thid?: string | undefined
  pthid?: string | undefined
  /** Defaults to a random UUID. */
  id?: string | undefined
  now?: Date | undefined
  /** Lifetime; default {@link DEFAULT_MESSAGE_TTL_SEC}, at most {@link MAX_MESSAGE_LIFETIME_SEC}. */
  ttlSec?: number | undefined
}

/** A packed message and the plaintext it carries. */
export interface PackedMessage {
  message: DidCommMessage
  /** The JWE (General JSON Serialization), media type {@link DIDCOMM_ENCRYPTED}. */
  packed: string
}

/**
 * Build and authcrypt a message from `from` (a DID of this home) to `to`: ECDH-1PU+A256KW with A256CBC-HS512,
 * to the X25519 `keyAgreement` key of `to`'s did:key, authenticated by the sender's own (its `skid`).
 *
 * @throws InputError `ERR_INPUT_INVALID` for bad options (a `to` that is not a did:key, a bad ttl).
 */
export async function packMessage(home: Home, options: PackMessageOptions): Promise<PackedMessage> {
  const ttl = options.ttlSec ?? DEFAULT_MESSAGE_TTL_SEC
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_MESSAGE_LIFETIME_SEC) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"ttlSec" must be an integer from 1 to ${MAX_MESSAGE_LIFETIME_SEC}, got ${ttl}`,
    )
  }
  try {
    resolveDidKey(options.to)
  } catch (err) {
    throw new InputError('ERR_INPUT_INVALID', `"to" must be a did:key: ${(err as Error).message}`, {
      cause: err,
    })
  }
  const created = toNumericDate(options.now ?? new Date())
  const message: DidCommMessage = {
    id: options.id ?? randomUUID(),
    type: options.type,
    from: options.from,
    to: [options.to],
    created_time: created,
    expires_time: created + ttl,
    ...(options.thid === undefined ? {} : { thid: options.thid }),
    ...(options.pthid === undefined ? {} : { pthid: options.pthid }),
    body: options.body,
  }
  return { message, packed: await packPlaintext(home, message) }
}

/**
 * Authcrypt a plaintext message as it is (no checks: for tests that need a message {@link packMessage}
 * would not build). `message.from` must be a DID of this home; its key agreement key becomes the `skid`.
 */
export async function packPlaintext(home: Home, message: DidCommMessage | object): Promise<string> {
  const agent = await didCommAgent(home)
  const { message: packed } = await agent.packDIDCommMessage({
    packing: 'authcrypt',
    message: message as never,
    options: { alg: AUTHCRYPT_ALG, enc: AUTHCRYPT_ENC },
  })
  return packed
}

/** Options of {@link unpackMessage}. */
export interface UnpackMessageOptions {
  /** The receiving agent: a DID managed by `home`. Only messages addressed to it are opened. */
  recipient: string
  /** The packed message, untrusted. */
  packed: string
  /** Where accepted message ids are remembered (`homeReplayStore` or `memoryReplayStore`). */
  replay: ReplayStore
  now?: Date | undefined
  clockToleranceSec?: number | undefined
}

/** An accepted message: authenticated, fresh, first seen, addressed to the recipient. */
export interface UnpackedMessage {
  message: DidCommMessage
  /** The authenticated sender: the DID of the `skid` whose key agreement key the ECDH-1PU decryption used. */
  sender: string
}

function refuse(code: VerificationErrorCode, message: string, details?: Record<string, unknown>) {
  return new VerificationError(code, message, details === undefined ? undefined : { details })
}

function decodeProtectedHeader(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string' || value.length === 0 || value.length > 8 * 1024) {
    throw refuse('ERR_MSG_MALFORMED', 'the JWE "protected" header must be a base64url string')
  }
  let header: unknown
  try {
    header = parseJsonCapped(Buffer.from(value, 'base64url').toString('utf8'), {
      maxDepth: 8,
      maxLength: 8 * 1024,
    })
  } catch {
    throw refuse('ERR_MSG_MALFORMED', 'the JWE "protected" header is not base64url JSON')
  }
  if (!isJsonObject(header)) throw refuse('ERR_MSG_MALFORMED', 'the JWE "protected" header is not an object')
  return header
}

/** The DID of a DID URL (`did:key:z…#z…`), or undefined. */
function didOf(didUrl: unknown): string | undefined {
  if (typeof didUrl !== 'string') return undefined
  const hash = didUrl.indexOf('#')
  return hash > 0 ? didUrl.slice(0, hash) : undefined
}

function isPrintableId(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !CONTROL.test(value)
}

/**
 * The outer checks, before any decryption: size, JSON, a JWE (not plaintext, not a JWS), authcrypt (an `skid`,
 * ECDH-1PU, not anoncrypt's ECDH-ES), the one accepted algorithm pair, and a recipient key of `recipient`.
 * Returns the JWE with only the recipient's entries, so no other key of the home is ever tried.
 */
function checkEnvelope(packed: unknown, recipient: string): { jwe: Record<string, unknown>; skid: string } {
  if (typeof packed !== 'string') throw refuse('ERR_MSG_MALFORMED', 'a packed message must be a string')
  if (packed.length > MAX_MESSAGE_LENGTH) {
    throw refuse(
      'ERR_SIZE_LIMIT',
      `the message is ${packed.length} characters, over the limit of ${MAX_MESSAGE_LENGTH}`,
    )
  }
  let parsed: unknown
  try {
    parsed = parseJsonCapped(packed, { maxDepth: MAX_MESSAGE_DEPTH, maxLength: MAX_MESSAGE_LENGTH })
  } catch (err) {
    if (err instanceof TesseraError && err.code === 'ERR_SIZE_LIMIT') throw err
    throw refuse('ERR_MSG_MALFORMED', 'the message is not JSON')
  }
  if (!isJsonObject(parsed)) throw refuse('ERR_MSG_MALFORMED', 'the message is not a JSON object')
  if (getOwn(parsed, 'protected') === undefined) {
    if (getOwn(parsed, 'signatures') !== undefined) {
      throw refuse('ERR_MSG_NOT_AUTHCRYPT', 'a signed (JWS) message is not authcrypt: it is not acted on')
    }
    if (getOwn(parsed, 'typ') === DIDCOMM_PLAIN || getOwn(parsed, 'type') !== undefined) {
      throw refuse('ERR_MSG_NOT_AUTHCRYPT', 'a plaintext message is not authcrypt: it is not acted on')
    }
    throw refuse('ERR_MSG_MALFORMED', 'the message is not a DIDComm JWE')
  }
  const header = decodeProtectedHeader(getOwn(parsed, 'protected'))
  const typ = getOwn(header, 'typ')
  if (typ === DIDCOMM_SIGNED || getOwn(parsed, 'payload') !== undefined) {
    throw refuse('ERR_MSG_NOT_AUTHCRYPT', 'a signed (JWS) message is not authcrypt: it is not acted on')
  }
  if (typ !== DIDCOMM_ENCRYPTED) {
    throw refuse('ERR_MSG_MALFORMED', `the JWE "typ" must be ${DIDCOMM_ENCRYPTED}`)
  }
  const alg = getOwn(header, 'alg')
  const skid = getOwn(header, 'skid')
  if (skid === undefined || (typeof alg === 'string' && alg.startsWith('ECDH-ES'))) {
    throw refuse(
      'ERR_MSG_NOT_AUTHCRYPT',
      'an anoncrypt message (no sender key, ECDH-ES) is not authenticated: it is not acted on',
    )
  }
  if (alg !== AUTHCRYPT_ALG || getOwn(header, 'enc') !== AUTHCRYPT_ENC) {
    throw refuse(
      'ERR_MSG_MALFORMED',
      `only authcrypt with ${AUTHCRYPT_ALG} and ${AUTHCRYPT_ENC} is accepted, got ${JSON.stringify(alg)}`,
    )
  }
  if (!isPrintableId(skid, 512) || didOf(skid) === undefined) {
    throw refuse('ERR_MSG_MALFORMED', 'the JWE "skid" must be a DID URL')
  }
  const recipients = getOwn(parsed, 'recipients')
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > 64) {
    throw refuse('ERR_MSG_MALFORMED', 'the JWE must list 1 to 64 "recipients"')
  }
  const mine = recipients.filter((r) => {
    const h = isJsonObject(r) ? getOwn(r, 'header') : undefined
    return isJsonObject(h) && didOf(getOwn(h, 'kid')) === recipient
  })
  if (mine.length === 0) {
    throw refuse('ERR_MSG_DECRYPT', `the message is not encrypted to ${recipient}`)
  }
  for (const member of ['iv', 'ciphertext', 'tag']) {
    if (typeof getOwn(parsed, member) !== 'string') {
      throw refuse('ERR_MSG_MALFORMED', `the JWE "${member}" must be a base64url string`)
    }
  }
  return { jwe: { ...parsed, recipients: mine }, skid }
}

function readTolerance(value: number | undefined): number {
  const tolerance = value ?? DEFAULT_MESSAGE_CLOCK_TOLERANCE_SEC
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    throw new InputError('ERR_INPUT_INVALID', `"clockToleranceSec" must be from 0 to 300, got ${tolerance}`)
  }
  return tolerance
}

/** The plaintext checks: shape, `from` is the authenticated sender, `to` names the recipient, times. */
function checkPlaintext(
  value: unknown,
  sender: string,
  recipient: string,
  now: number,
  tolerance: number,
): DidCommMessage {
  if (!isJsonObject(value)) throw refuse('ERR_MSG_MALFORMED', 'the plaintext is not a JSON object')
  const from = getOwn(value, 'from')
  if (from !== sender) {
    throw refuse(
      'ERR_MSG_SENDER_MISMATCH',
      `"from" is ${typeof from === 'string' ? JSON.stringify(from.slice(0, 120)) : 'absent'} but the message was authenticated by ${sender} ("skid")`,
      { sender },
    )
  }
  const id = getOwn(value, 'id')
  const type = getOwn(value, 'type')
  const to = getOwn(value, 'to')
  const created = getOwn(value, 'created_time')
  const expires = getOwn(value, 'expires_time')
  const body = getOwn(value, 'body')
  const thid = getOwn(value, 'thid')
  const pthid = getOwn(value, 'pthid')
  if (!isPrintableId(id, MAX_ID_LENGTH)) {
    throw refuse('ERR_MSG_MALFORMED', `"id" must be 1 to ${MAX_ID_LENGTH} printable characters`)
  }
  if (!isPrintableId(type, MAX_TYPE_LENGTH))
    throw refuse('ERR_MSG_MALFORMED', '"type" must be a message type URI')
  if (!Array.isArray(to) || !to.includes(recipient)) {
    throw refuse('ERR_MSG_MALFORMED', `"to" must name the recipient ${recipient}`)
  }
  if (thid !== undefined && !isPrintableId(thid, MAX_ID_LENGTH)) {
    throw refuse('ERR_MSG_MALFORMED', '"thid" must be a message id')
  }
  if (pthid !== undefined && !isPrintableId(pthid, MAX_ID_LENGTH)) {
    throw refuse('ERR_MSG_MALFORMED', '"pthid" must be a message id')
  }
  if (!Number.isSafeInteger(created) || !Number.isSafeInteger(expires)) {
    throw refuse(
      'ERR_MSG_MALFORMED',
      '"created_time" and "expires_time" must be integers (UTC epoch seconds): Tessera accepts no message without an expiry',
    )
  }
  const createdTime = created as number
  const expiresTime = expires as number
  if (expiresTime + tolerance < now) {
    throw refuse(
      'ERR_MSG_EXPIRED',
      `the message expired at ${new Date(expiresTime * 1000).toISOString()} ("expires_time")`,
      { expiresTime },
    )
  }
  if (createdTime - tolerance > now) {
    throw refuse('ERR_MSG_MALFORMED', '"created_time" is in the future')
  }
  if (expiresTime < createdTime || expiresTime - createdTime > MAX_MESSAGE_LIFETIME_SEC) {
    throw refuse(
      'ERR_MSG_MALFORMED',
      `"expires_time" must be 0 to ${MAX_MESSAGE_LIFETIME_SEC} seconds after "created_time"`,
    )
  }
  if (!isJsonObject(body)) throw refuse('ERR_MSG_MALFORMED', '"body" must be a JSON object')
  return {
    id,
    type,
    from: sender,
    to: to.filter((t): t is string => typeof t === 'string'),
    created_time: createdTime,
    expires_time: expiresTime,
    ...(thid === undefined ? {} : { thid }),
    ...(pthid === undefined ? {} : { pthid }),
    body,
  }
}

/**
 * Open a message addressed to `recipient` and accept it only if every check passes, in order:
 * 1. size cap, JSON, a JWE: a plaintext or signed message is `ERR_MSG_NOT_AUTHCRYPT`, as is anoncrypt (no
 *    `skid`, ECDH-ES); any algorithm pair but ECDH-1PU+A256KW / A256CBC-HS512 is `ERR_MSG_MALFORMED`;
 * 2. a recipient entry for `recipient`'s key agreement key (else `ERR_MSG_DECRYPT`); only those entries are
 *    decrypted, with `recipient`'s key only;
 * 3. decryption through Veramo, which authenticates the `skid`'s key agreement key (resolved offline): a
 *    tampered or foreign message is `ERR_MSG_DECRYPT`;
 * 4. `from` is the `skid`'s DID (`ERR_MSG_SENDER_MISMATCH`); `to` names `recipient`; `id`, `type`, `body`
 *    well formed (`ERR_MSG_MALFORMED`);
 * 5. `expires_time` not passed (`ERR_MSG_EXPIRED`; required, at most {@link MAX_MESSAGE_LIFETIME_SEC} after
 *    `created_time`, which must not be in the future), within `clockToleranceSec`;
 * 6. first time this sender's `id` is seen (`ERR_MSG_REPLAY`), recorded until it expires.
 *
 * @throws VerificationError with the code of the first check that fails.
 */
export async function unpackMessage(home: Home, options: UnpackMessageOptions): Promise<UnpackedMessage> {
  const { recipient } = options
  const tolerance = readTolerance(options.clockToleranceSec)
  const nowDate = options.now ?? new Date()
  const now = toNumericDate(nowDate)
  const { jwe, skid } = checkEnvelope(options.packed, recipient)
  const sender = didOf(skid) as string
  const agent = await didCommAgent(home)
  let plaintext: unknown
  try {
    const unpacked = await agent.unpackDIDCommMessage({ message: JSON.stringify(jwe) })
    if (unpacked.metaData.packing !== 'authcrypt') {
      throw refuse('ERR_MSG_NOT_AUTHCRYPT', `the message was ${unpacked.metaData.packing}, not authcrypt`)
    }
    plaintext = unpacked.message
  } catch (err) {
    if (err instanceof TesseraError) throw err
    throw refuse('ERR_MSG_DECRYPT', `the message does not decrypt for ${recipient} from ${skid}`)
  }
  const message = checkPlaintext(plaintext, sender, recipient, now, tolerance)
  const fresh = await options.replay.remember({
    sender,
    id: message.id,
    expiresAt: message.expires_time + tolerance,
    now: nowDate,
  })
  if (!fresh) {
    throw refuse(
      'ERR_MSG_REPLAY',
      `message ${JSON.stringify(message.id)} from ${sender} was already received`,
      {
        id: message.id,
      },
    )
  }
  return { message, sender }
}
