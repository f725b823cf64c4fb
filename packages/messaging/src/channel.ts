/**
 * The initiator: open a channel to a peer agent with the mutual presentation handshake, then send it requests.
 */
import {
  type Clock,
  EnvironmentError,
  type ErrorCode,
  InputError,
  systemClock,
  TesseraError,
  VerificationError,
} from '@tessera/core'
import { createChallenge, createPresentation, homeChallengeStore } from '@tessera/credentials'
import { type Decision, type StatusChecker, verifyPresentation } from '@tessera/credentials/offline'
import { resolveDidKey } from '@tessera/identity/did-key'
import { type TrustBundle, trustBundleHash, validateRequest } from '@tessera/policy'
import { handshakeAuditEntry, recordAudit } from './audit.js'
import { type DidCommMessage, packMessage, unpackMessage } from './envelope.js'
import { checkLocalAgent, type LocalAgent } from './local-agent.js'
import {
  HANDSHAKE_TTL_SEC,
  MESSAGE_TYPES,
  parseAccept,
  parsePresent,
  parseRefuse,
  parseResponse,
  type Refusal,
  type RequestOutcome,
  refusalOf,
} from './protocol.js'
import { homeReplayStore, type ReplayStore } from './replay.js'
import type { Transport } from './transport.js'

/** Options of {@link openChannel}. */
export interface OpenChannelOptions {
  /** The agent that opens the channel. */
  self: LocalAgent
  /** The peer agent's did:key. */
  peer: string
  /** How messages reach the peer's endpoint (`httpTransport({ url })`, `memoryTransport(endpoint)`). */
  transport: Transport
  /** Which issuers this agent trusts: the peer's presentation is verified against it. */
  trust: TrustBundle
  /** Checks the status entries of the peer's credentials (one with a status entry fails closed without it). */
  status?: StatusChecker | undefined
  /** Where accepted message ids are remembered; default the home's (`homeReplayStore`). */
  replay?: ReplayStore | undefined
  /** Lifetime of the messages sent; default 60 s. */
  messageTtlSec?: number | undefined
  /** Allowance for clock skew on message times; default 30 s. */
  clockToleranceSec?: number | undefined
  now?: Clock | undefined
}

/** One request: a concrete action on a concrete resource, and any JSON body. */
export interface ChannelRequest {
  action: string
  resource: string
  body?: unknown
}

/** An open channel: the handshake completed both ways. */
export interface Channel {
  /** The handshake's thread id, which names the session at the peer. */
  readonly id: string
  readonly self: string
  readonly peer: string
  /** This side's verification of the peer's presentation (its roles and effective permissions here). */
  readonly peerDecision: Decision
  /** Until when the peer keeps the session. */
  readonly expiresAt: string
  /**
   * Ask the peer for one action on one resource. Resolves to its decision: allowed (with the handler's reply)
   * or denied (with the code, e.g. `ERR_POLICY_DENIED`, `ERR_STATUS_REVOKED`). Rejects with a `TesseraError`
   * when the request is refused before it is decided (`ERR_MSG_NO_SESSION` once the peer dropped the session,
   * `ERR_MSG_*`, `ERR_TRANSPORT`), or when the peer's handler failed (its code, e.g. `ERR_NOT_FOUND`).
   *
   * @throws InputError `ERR_PERMISSION_INVALID` for an action or resource that is not concrete.
   */
  request(request: ChannelRequest): Promise<RequestOutcome>
}

function handshakeRefused(refusal: Refusal, refusedBy: string, extra: Record<string, unknown> = {}) {
  return new VerificationError(
    'ERR_HANDSHAKE_REFUSED',
    `${refusedBy} refused the handshake: ${refusal.reason}${refusal.message ? ` (${refusal.message})` : ''}`,
    { details: { reason: refusal.reason, reasons: refusal.reasons, refusedBy, ...extra } },
  )
}

/**
 * Open a channel from `self` to `peer` with the mutual presentation handshake (see the protocol module):
 * `hello` with a fresh single-use challenge bound to `self`'s DID; the peer's presentation must verify under
 * `trust` and `status`, bound to that challenge (`nonce`) and to `self`'s DID (`aud`), signed by the peer that
 * authcrypted the message; then `self` presents its credentials, bound to the peer's challenge and DID, and
 * the peer accepts or refuses. This side's verdict on the peer goes to its audit log (`handshake.accepted` /
 * `handshake.refused`).
 *
 * @throws VerificationError `ERR_HANDSHAKE_REFUSED` when either side refuses: `details.reason` is the first
 *   reason code (e.g. `ERR_TRUST_ISSUER_UNKNOWN`), `details.reasons` all of them, `details.refusedBy` the DID
 *   that refused (and `details.decision` this side's Decision when it was this side); `ERR_MSG_*` or
 *   `ERR_TRANSPORT` when a message does not get through.
 */
export async function openChannel(options: OpenChannelOptions): Promise<Channel> {
  const { self, peer, transport, trust, status } = options
  await checkLocalAgent(self)
  try {
    resolveDidKey(peer)
  } catch (err) {
    throw new InputError('ERR_INPUT_INVALID', `"peer" must be a did:key: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (typeof transport?.send !== 'function') {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"transport" must be a Transport (httpTransport, memoryTransport)',
    )
  }
  const { home, did } = self
  const clock = options.now ?? systemClock
  const replay = options.replay ?? homeReplayStore(home)

  const send = async (
    type: string,
    body: Record<string, unknown>,
    thread: { thid?: string; pthid?: string },
  ): Promise<{ sent: DidCommMessage; answer: string | undefined }> => {
    const { message, packed } = await packMessage(home, {
      from: did,
      to: peer,
      type,
      body,
      ...thread,
      now: clock(),
      ttlSec: options.messageTtlSec,
    })
    return { sent: message, answer: await transport.send(packed) }
  }

  /** Open the peer's answer to `sent`: from the peer, in reply to it, of one of the expected types. */
  const openAnswer = async (
    sent: DidCommMessage,
    answer: string | undefined,
    expected: readonly string[],
  ): Promise<DidCommMessage> => {
    if (answer === undefined) {
      throw new EnvironmentError('ERR_TRANSPORT', `${peer} sent no reply to ${sent.type}`)
    }
    const { message, sender } = await unpackMessage(home, {
      recipient: did,
      packed: answer,
      replay,
      now: clock(),
      clockToleranceSec: options.clockToleranceSec,
    })
    if (sender !== peer) {
      throw new VerificationError(
        'ERR_MSG_SENDER_MISMATCH',
        `the reply comes from ${sender}, not from ${peer}`,
      )
    }
    const thread = sent.thid ?? sent.id
    const inReplyTo = sent.type === MESSAGE_TYPES.request ? sent.id : thread
    if (message.thid !== inReplyTo) {
      throw new VerificationError('ERR_MSG_MALFORMED', `the reply is not in thread ${inReplyTo}`)
    }
    if (!expected.includes(message.type)) {
      throw new VerificationError(
        'ERR_MSG_MALFORMED',
        `expected ${expected.join(' or ')} in reply to ${sent.type}, got ${message.type}`,
      )
    }
    return message
  }

  // 1. hello, with our challenge bound to our DID.
  const ours = await createChallenge(home, { domain: did, ttlSec: HANDSHAKE_TTL_SEC, now: clock() })
  const hello = await send(MESSAGE_TYPES.hello, { challenge: ours.challenge }, {})
  const thread = hello.sent.id
  // 2. the peer's presentation and challenge.
  const second = await openAnswer(hello.sent, hello.answer, [MESSAGE_TYPES.present, MESSAGE_TYPES.refuse])
  if (second.type === MESSAGE_TYPES.refuse) throw handshakeRefused(parseRefuse(second.body), peer)
  const { presentation, challenge: theirs } = parsePresent(second.body, { withChallenge: true })
  const decision = await verifyPresentation({
    presentation,
    domain: did,
    challenge: ours.challenge,
    challenges: homeChallengeStore(home),
    trust,
    ...(status === undefined ? {} : { status }),
    now: clock(),
  })
  const extra: ErrorCode[] = []
  const reasons: { code: ErrorCode; message: string }[] = [...decision.errors]
  if (decision.holder !== undefined && decision.holder !== peer) {
    extra.push('ERR_HOLDER_MISMATCH')
    reasons.push({
      code: 'ERR_HOLDER_MISMATCH',
      message: `the presentation is signed by ${decision.holder}, not by the peer ${peer}`,
    })
  }
  const entry = handshakeAuditEntry({
    actor: did,
    peer,
    thread,
    side: 'initiator',
    decision,
    presentation,
    trustBundleHash: trustBundleHash(trust),
    extraReasons: extra,
  })
  await recordAudit(home, entry)
  if (entry.type !== 'handshake.accepted') {
    const refusal = refusalOf(reasons)
    // Tell the peer, so it forgets the handshake; its answer (or failure) changes nothing here.
    await send(MESSAGE_TYPES.refuse, { ...refusal }, { thid: thread }).catch(() => undefined)
    throw handshakeRefused(refusal, did, { decision })
  }
  // 3. our presentation, bound to the peer's challenge and DID.
  const ourPresentation = await createPresentation(home, {
    holder: did,
    credentials: self.credentials,
    challenge: theirs as string,
    domain: peer,
    now: clock(),
  })
  const third = await send(MESSAGE_TYPES.present, { presentation: ourPresentation }, { thid: thread })
  // 4. accept or refuse.
  const fourth = await openAnswer(third.sent, third.answer, [MESSAGE_TYPES.accept, MESSAGE_TYPES.refuse])
  if (fourth.type === MESSAGE_TYPES.refuse) throw handshakeRefused(parseRefuse(fourth.body), peer)
  const { expiresAt } = parseAccept(fourth.body)

  return {
    id: thread,
    self: did,
    peer,
    peerDecision: decision,
    expiresAt,
    async request(request) {
      const permission = validateRequest({ action: request?.action, resource: request?.resource })
      const body: Record<string, unknown> = { action: permission.action, resource: permission.resource }
      if (request.body !== undefined) body.body = request.body
      const { sent, answer } = await send(MESSAGE_TYPES.request, body, { pthid: thread })
      const response = await openAnswer(sent, answer, [MESSAGE_TYPES.response])
      const outcome = parseResponse(response.body)
      if ('error' in outcome) {
        throw new TesseraError(outcome.error.code, outcome.error.message, { details: { remote: peer } })
      }
      return outcome
    },
  }
}
