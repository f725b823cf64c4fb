/**
 * Tessera's two DIDComm v2 protocols (message type URIs per DIDComm v2 §"Message Type URI",
 * `<doc-uri>/<protocol-name>/<version>/<message-name>`) and the parsers of their bodies, which are untrusted.
 *
 * Handshake (thread id = the hello's `id`; every later message has `thid` = that id):
 * 1. initiator → responder `hello` `{ challenge }`: the initiator's challenge, bound to its own DID;
 * 2. responder → initiator `present` `{ presentation, challenge }`: a `vp+jwt` with `nonce` = the initiator's
 *    challenge and `aud` = the initiator's DID, and the responder's own challenge (bound to the responder's DID);
 * 3. initiator → responder `present` `{ presentation }`: bound to the responder's challenge and DID
 *    (or `refuse` if the responder's presentation did not verify);
 * 4. responder → initiator `accept` `{ expiresAt }` or `refuse` `{ reason, reasons, message }`.
 *
 * Requests (after an accepted handshake; `pthid` = the handshake's thread id):
 * - initiator → responder `request` `{ action, resource, body }`;
 * - responder → initiator `response` (`thid` = the request's id): `{ allowed: true, reply, grantedBy }`,
 *   `{ allowed: true, error: { code, message } }` when the handler failed, or
 *   `{ allowed: false, code, reasons, message }`.
 */
import { type ErrorCode, isErrorCode, type Permission, VerificationError } from '@tessera/core'
import { getOwn, isJsonObject } from '@tessera/credentials/offline'
import { validateRequest } from '@tessera/policy'

/** Where Tessera's protocol URIs live (`.invalid`, RFC 6761 §6.4: a name, never fetched). */
export const PROTOCOL_BASE = 'https://tessera.invalid/protocols'
/** The mutual presentation handshake, version 1.0. */
export const HANDSHAKE_PROTOCOL = `${PROTOCOL_BASE}/handshake/1.0`
/** Authorized requests over an accepted handshake, version 1.0. */
export const REQUEST_PROTOCOL = `${PROTOCOL_BASE}/request/1.0`

/** The message type URIs Tessera sends and accepts. */
export const MESSAGE_TYPES = Object.freeze({
  hello: `${HANDSHAKE_PROTOCOL}/hello`,
  present: `${HANDSHAKE_PROTOCOL}/present`,
  accept: `${HANDSHAKE_PROTOCOL}/accept`,
  refuse: `${HANDSHAKE_PROTOCOL}/refuse`,
  request: `${REQUEST_PROTOCOL}/request`,
  response: `${REQUEST_PROTOCOL}/response`,
} as const)

/** How long a handshake may take from `hello` to the initiator's presentation (the challenges' lifetime): 5 min. */
export const HANDSHAKE_TTL_SEC = 300

/** One of {@link MESSAGE_TYPES}. */
export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES]

const CHALLENGE = /^[A-Za-z0-9_-]{16,256}$/
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const MAX_PRESENTATION_LENGTH = 64 * 1024
const MAX_TEXT = 2_048

function malformed(message: string): VerificationError {
  return new VerificationError('ERR_MSG_MALFORMED', message)
}

function readChallenge(body: Record<string, unknown>, where: string): string {
  const challenge = getOwn(body, 'challenge')
  if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) {
    throw malformed(`${where}: "challenge" must be 16 to 256 base64url characters`)
  }
  return challenge
}

/** The body of a `hello`. */
export function parseHello(body: Record<string, unknown>): { challenge: string } {
  return { challenge: readChallenge(body, 'hello') }
}

/** The body of a `present`; the responder's (step 2) carries its challenge, the initiator's (step 3) none. */
export function parsePresent(
  body: Record<string, unknown>,
  options: { withChallenge: boolean },
): { presentation: string; challenge?: string } {
  const presentation = getOwn(body, 'presentation')
  if (
    typeof presentation !== 'string' ||
    presentation.length > MAX_PRESENTATION_LENGTH ||
    !COMPACT_JWS.test(presentation)
  ) {
    throw malformed('present: "presentation" must be a vp+jwt compact JWS')
  }
  return options.withChallenge
    ? { presentation, challenge: readChallenge(body, 'present') }
    : { presentation }
}

/** The body of an `accept`: until when the responder keeps the session. */
export function parseAccept(body: Record<string, unknown>): { expiresAt: string } {
  const expiresAt = getOwn(body, 'expiresAt')
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) {
    throw malformed('accept: "expiresAt" must be a date-time')
  }
  return { expiresAt }
}

/** A refusal: why the other side would not go on. */
export interface Refusal {
  /** The first reason, a Tessera error code (`ERR_TRUST_ISSUER_UNKNOWN`, `ERR_STATUS_REVOKED`, ...). */
  reason: ErrorCode
  /** Every reason code, first one first. */
  reasons: ErrorCode[]
  message: string
}

/**
 * The refusal for a failed verification: every reason code, and as the first reason the first error, except
 * that `ERR_STATUS_ISSUER_UNTRUSTED` yields to a trust refusal (`ERR_TRUST_*`): a status list is not even
 * retrieved for an issuer the bundle does not know, so the trust refusal is the cause and the status one its
 * consequence.
 */
export function refusalOf(errors: readonly { code: ErrorCode; message: string }[]): Refusal {
  const cause =
    errors.find((e) => e.code !== 'ERR_STATUS_ISSUER_UNTRUSTED') === undefined
      ? errors[0]
      : (errors.find((e) => e.code.startsWith('ERR_TRUST_')) ??
        errors.find((e) => e.code !== 'ERR_STATUS_ISSUER_UNTRUSTED'))
  const first = cause ?? { code: 'ERR_HANDSHAKE_REFUSED' as const, message: 'refused' }
  const reasons = [first.code, ...errors.map((e) => e.code)]
  return { reason: first.code, reasons: [...new Set(reasons)], message: first.message }
}

function readText(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, MAX_TEXT) : ''
}

function readCodes(value: unknown): ErrorCode[] {
  return Array.isArray(value) ? value.filter(isErrorCode).slice(0, 32) : []
}

/** The body of a `refuse`. An unknown reason code is read as `ERR_HANDSHAKE_REFUSED`. */
export function parseRefuse(body: Record<string, unknown>): Refusal {
  const reason = getOwn(body, 'reason')
  return {
    reason: isErrorCode(reason) ? reason : 'ERR_HANDSHAKE_REFUSED',
    reasons: readCodes(getOwn(body, 'reasons')),
    message: readText(getOwn(body, 'message')),
  }
}

/** A request as the responder reads it. */
export interface AgentRequest extends Permission {
  /** Any JSON value (or undefined when the request had none). */
  body: unknown
}

/** The body of a `request`: a concrete `action` and `resource` (the permission grammar of @tessera/policy). */
export function parseRequest(body: Record<string, unknown>): AgentRequest {
  let permission: Permission
  try {
    // validateRequest checks the types too: the casts only satisfy its signature.
    permission = validateRequest({
      action: getOwn(body, 'action') as string,
      resource: getOwn(body, 'resource') as string,
    })
  } catch (err) {
    throw malformed(`request: ${(err as Error).message}`)
  }
  return { ...permission, body: getOwn(body, 'body') }
}

/** Which credential and permission allowed a request. */
export interface GrantedBy {
  credentialId: string | undefined
  role: string
  issuer: string
  permission: Permission
}

/** The responder's answer to one request. */
export type RequestOutcome =
  | {
      allowed: true
      /** What the handler returned (JSON; `null` when it returned nothing). */
      reply: unknown
      grantedBy: GrantedBy | undefined
    }
  | {
      allowed: false
      /** Why: the first reason code (`ERR_POLICY_DENIED`, `ERR_STATUS_REVOKED`, `ERR_VC_EXPIRED`, ...). */
      code: ErrorCode
      reasons: ErrorCode[]
      message: string
    }

/** What a `response` carries: an outcome, or (allowed, but the handler failed) an error. */
export type ResponseBody = RequestOutcome | { allowed: true; error: { code: ErrorCode; message: string } }

function readGrantedBy(value: unknown): GrantedBy | undefined {
  if (!isJsonObject(value)) return undefined
  const permission = getOwn(value, 'permission')
  const credentialId = getOwn(value, 'credentialId')
  const role = getOwn(value, 'role')
  const issuer = getOwn(value, 'issuer')
  if (!isJsonObject(permission) || typeof role !== 'string' || typeof issuer !== 'string') return undefined
  const action = getOwn(permission, 'action')
  const resource = getOwn(permission, 'resource')
  if (typeof action !== 'string' || typeof resource !== 'string') return undefined
  return {
    credentialId: typeof credentialId === 'string' ? credentialId : undefined,
    role,
    issuer,
    permission: { action, resource },
  }
}

/** The body of a `response`. */
export function parseResponse(body: Record<string, unknown>): ResponseBody {
  const allowed = getOwn(body, 'allowed')
  if (allowed === true) {
    const error = getOwn(body, 'error')
    if (error !== undefined) {
      const code = isJsonObject(error) ? getOwn(error, 'code') : undefined
      return {
        allowed: true,
        error: {
          code: isErrorCode(code) ? code : 'ERR_INTERNAL',
          message: isJsonObject(error) ? readText(getOwn(error, 'message')) : '',
        },
      }
    }
    const reply = getOwn(body, 'reply')
    return {
      allowed: true,
      reply: reply === undefined ? null : reply,
      grantedBy: readGrantedBy(getOwn(body, 'grantedBy')),
    }
  }
  if (allowed !== false) throw malformed('response: "allowed" must be true or false')
  const code = getOwn(body, 'code')
  if (!isErrorCode(code)) throw malformed('response: a denial must carry an error "code"')
  const reasons = readCodes(getOwn(body, 'reasons'))
  return {
    allowed: false,
    code,
    reasons: reasons.length > 0 ? reasons : [code],
    message: readText(getOwn(body, 'message')),
  }
}
