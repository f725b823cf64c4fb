/**
 * The responder: an agent's endpoint that answers handshakes and decides requests. It accepts only authcrypt
 * messages addressed to its agent (see `unpackMessage`), answers a `hello` with its presentation and a challenge
 * of its own, verifies the initiator's presentation under its own trust bundle and status checker, and then
 * decides every request against the initiator's credentials, verified again at each request.
 */
import {
  type Clock,
  InputError,
  isErrorCode,
  systemClock,
  TesseraError,
  VerificationError,
} from '@tessera/core'
import { createChallenge, createPresentation, homeChallengeStore } from '@tessera/credentials'
import { type Decision, type StatusChecker, verifyPresentation } from '@tessera/credentials/offline'
import { type TrustBundle, trustBundleHash } from '@tessera/policy'
import { handshakeAuditEntry, recordAudit, requestAuditEntry } from './audit.js'
import { type DidCommMessage, packMessage, unpackMessage } from './envelope.js'
import { checkLocalAgent, type LocalAgent } from './local-agent.js'
import {
  type AgentRequest,
  type GrantedBy,
  HANDSHAKE_TTL_SEC,
  MESSAGE_TYPES,
  parseHello,
  parsePresent,
  parseRefuse,
  parseRequest,
  type ResponseBody,
  refusalOf,
} from './protocol.js'
import { homeReplayStore, type ReplayStore } from './replay.js'
import {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_SEC,
  decideRequest,
  ExpiringMap,
  presentationCredentials,
  type Session,
  type SessionInfo,
} from './session.js'

/** What a request handler is given: an allowed request and who asked. */
export interface RequestContext extends AgentRequest {
  /** The authenticated peer agent. */
  peer: string
  /** The session (handshake thread) the request came over. */
  session: string
  /** The request message's id. */
  messageId: string
  /** The credential and permission that allowed it. */
  grantedBy: GrantedBy
}

/** Runs an allowed request; what it returns (JSON) goes back to the peer as the reply. */
export type RequestHandler = (request: RequestContext) => unknown

/** What an endpoint reports as it works (for logs): every handshake verdict and request decision. */
export type EndpointEvent =
  | { type: 'handshake'; peer: string; session: string; accepted: boolean; reasons: string[] }
  | {
      type: 'request'
      peer: string
      session: string | undefined
      action: string
      resource: string
      allowed: boolean
      reasons: string[]
    }

/** Options of {@link createAgentEndpoint}. */
export interface AgentEndpointOptions {
  /** The agent that answers. */
  self: LocalAgent
  /** Which issuers this agent trusts, for which roles and ceilings: peers are verified against it. */
  trust: TrustBundle
  /** Checks the status entries of peers' credentials (a credential with one fails closed without it). */
  status?: StatusChecker | undefined
  /**
   * Request handlers by action (own properties only); `'*'` handles any action without its own. An allowed
   * request with no handler is answered with `ERR_NOT_FOUND`.
   */
  handlers: Readonly<Record<string, RequestHandler>>
  /** Where accepted message ids are remembered; default the home's (`homeReplayStore`). */
  replay?: ReplayStore | undefined
  /** How long a session lasts after the handshake; default {@link DEFAULT_SESSION_TTL_SEC}. */
  sessionTtlSec?: number | undefined
  /** Most sessions (and handshakes in progress) held; default {@link DEFAULT_MAX_SESSIONS}. */
  maxSessions?: number | undefined
  /** Lifetime of the messages this endpoint sends; default 60 s. */
  messageTtlSec?: number | undefined
  /** Allowance for clock skew on message times; default 30 s. */
  clockToleranceSec?: number | undefined
  now?: Clock | undefined
  onEvent?: ((event: EndpointEvent) => void) | undefined
}

/** An agent's endpoint: give it every packed message that arrives for the agent. */
export interface AgentEndpoint {
  /** The agent's DID. */
  readonly did: string
  /**
   * Handle one packed message. Resolves to the packed reply (for the transport to carry back), or undefined
   * when the message calls for none. Rejects with a `TesseraError` when the message is refused before it is
   * acted on: `ERR_MSG_*` (see `unpackMessage`; `ERR_MSG_NO_SESSION` for a request or a handshake step
   * without the handshake it belongs to).
   */
  receive(packed: string): Promise<string | undefined>
  /** The sessions held now. */
  sessions(): SessionInfo[]
  /** Forget a peer's sessions (its next request is `ERR_MSG_NO_SESSION`); returns how many there were. */
  endSessions(peer: string): number
}

interface Pending {
  challenge: string
  expiresAt: Date
}

const key = (peer: string, thread: string) => `${peer} ${thread}`

function refusal(decision: Decision, extra: readonly VerificationError[]) {
  return refusalOf([...decision.errors, ...extra.map((e) => ({ code: e.code, message: e.message }))])
}

/**
 * The endpoint of `self`, which answers handshakes (`hello` → its presentation and challenge; the initiator's
 * presentation → `accept` or `refuse`) and requests (allowed: the handler's reply; denied: the code). Every
 * handshake verdict and request decision is appended to the home's audit log (`handshake.accepted`,
 * `handshake.refused`, `access.allowed`, `access.denied`), each in its own transaction; a failed write fails the
 * message. Sessions and handshakes in progress are held in memory (bounded, expiring); message ids in the
 * replay store.
 *
 * @throws IdentityError when `self` is not an active agent of its home; InputError for bad options.
 */
export async function createAgentEndpoint(options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const { self, trust, status } = options
  await checkLocalAgent(self)
  if (options.handlers === null || typeof options.handlers !== 'object') {
    throw new InputError('ERR_INPUT_INVALID', '"handlers" must be an object of request handlers by action')
  }
  const sessionTtlSec = options.sessionTtlSec ?? DEFAULT_SESSION_TTL_SEC
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS
  if (!Number.isInteger(sessionTtlSec) || sessionTtlSec < 1) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"sessionTtlSec" must be a positive integer, got ${sessionTtlSec}`,
    )
  }
  if (!Number.isInteger(maxSessions) || maxSessions < 1) {
    throw new InputError('ERR_INPUT_INVALID', `"maxSessions" must be a positive integer, got ${maxSessions}`)
  }
  const { home, did } = self
  const clock = options.now ?? systemClock
  const replay = options.replay ?? homeReplayStore(home)
  const challenges = homeChallengeStore(home)
  const bundleHash = trustBundleHash(trust)
  const pending = new ExpiringMap<Pending>(maxSessions)
  const sessions = new ExpiringMap<Session>(maxSessions)
  const handlers = options.handlers
  const emit = (event: EndpointEvent) => {
    try {
      options.onEvent?.(event)
    } catch {
      // a logger that throws does not change the decision
    }
  }

  const reply = async (to: DidCommMessage, type: string, body: Record<string, unknown>, thid: string) =>
    (
      await packMessage(home, {
        from: did,
        to: to.from,
        type,
        body,
        thid,
        now: clock(),
        ttlSec: options.messageTtlSec,
      })
    ).packed

  async function onHello(message: DidCommMessage): Promise<string> {
    const { challenge: theirs } = parseHello(message.body)
    const now = clock()
    const ours = await createChallenge(home, { domain: did, ttlSec: HANDSHAKE_TTL_SEC, now })
    const presentation = await createPresentation(home, {
      holder: did,
      credentials: self.credentials,
      challenge: theirs,
      domain: message.from,
      now,
    })
    pending.set(
      key(message.from, message.id),
      { challenge: ours.challenge, expiresAt: new Date(ours.expiresAt) },
      now,
    )
    return reply(message, MESSAGE_TYPES.present, { presentation, challenge: ours.challenge }, message.id)
  }

  async function onPresent(message: DidCommMessage): Promise<string> {
    const now = clock()
    const thread = message.thid
    const step = thread === undefined ? undefined : pending.get(key(message.from, thread), now)
    if (thread === undefined || step === undefined) {
      throw new VerificationError(
        'ERR_MSG_NO_SESSION',
        `no handshake with ${message.from} is in progress for thread ${JSON.stringify(thread ?? null)}`,
      )
    }
    pending.delete(key(message.from, thread))
    const { presentation } = parsePresent(message.body, { withChallenge: false })
    const decision = await verifyPresentation({
      presentation,
      domain: did,
      challenge: step.challenge,
      challenges,
      trust,
      ...(status === undefined ? {} : { status }),
      now,
    })
    const extra: VerificationError[] = []
    if (decision.holder !== undefined && decision.holder !== message.from) {
      extra.push(
        new VerificationError(
          'ERR_HOLDER_MISMATCH',
          `the presentation is signed by ${decision.holder}, not by the authenticated sender ${message.from}`,
        ),
      )
    }
    const entry = handshakeAuditEntry({
      actor: did,
      peer: message.from,
      thread,
      side: 'responder',
      decision,
      presentation,
      trustBundleHash: bundleHash,
      extraReasons: extra.map((e) => e.code),
    })
    await recordAudit(home, entry)
    const accepted = entry.type === 'handshake.accepted'
    emit({
      type: 'handshake',
      peer: message.from,
      session: thread,
      accepted,
      reasons: (entry.data?.reasons as string[] | undefined) ?? [],
    })
    if (!accepted) return reply(message, MESSAGE_TYPES.refuse, { ...refusal(decision, extra) }, thread)
    const expiresAt = new Date(now.getTime() + sessionTtlSec * 1000)
    sessions.set(
      key(message.from, thread),
      {
        id: thread,
        peer: message.from,
        credentials: presentationCredentials(presentation),
        granted: decision.credentials,
        establishedAt: now,
        expiresAt,
      },
      now,
    )
    return reply(message, MESSAGE_TYPES.accept, { expiresAt: expiresAt.toISOString() }, thread)
  }

  async function runHandler(request: RequestContext): Promise<ResponseBody> {
    const handler = Object.hasOwn(handlers, request.action)
      ? handlers[request.action]
      : Object.hasOwn(handlers, '*')
        ? handlers['*']
        : undefined
    if (typeof handler !== 'function') {
      return {
        allowed: true,
        error: {
          code: 'ERR_NOT_FOUND',
          message: `${did} has no handler for action ${JSON.stringify(request.action)}`,
        },
      }
    }
    try {
      const value = await handler(request)
      return { allowed: true, reply: value === undefined ? null : value, grantedBy: request.grantedBy }
    } catch (err) {
      return {
        allowed: true,
        error:
          err instanceof TesseraError && isErrorCode(err.code)
            ? { code: err.code, message: err.message }
            : { code: 'ERR_INTERNAL', message: 'the request handler failed' },
      }
    }
  }

  async function onRequest(message: DidCommMessage): Promise<string> {
    const now = clock()
    const request = parseRequest(message.body)
    const thread = message.pthid
    const session = thread === undefined ? undefined : sessions.get(key(message.from, thread), now)
    const permission = { action: request.action, resource: request.resource }
    if (thread === undefined || session === undefined) {
      const reason = `no accepted handshake with ${message.from}${thread === undefined ? '' : ` in thread ${JSON.stringify(thread)}`} (or it expired)`
      const decision: Decision = {
        verified: false,
        allowed: false,
        holder: message.from,
        request: permission,
        credentials: [],
        checks: [{ check: 'session', ok: false, code: 'ERR_MSG_NO_SESSION', message: reason }],
        errors: [{ code: 'ERR_MSG_NO_SESSION', message: reason }],
        verifiedAt: now.toISOString(),
      }
      await recordAudit(
        home,
        requestAuditEntry({
          actor: did,
          decision,
          request: permission,
          trustBundleHash: bundleHash,
          thread,
          messageId: message.id,
        }),
      )
      emit({
        type: 'request',
        peer: message.from,
        session: thread,
        ...permission,
        allowed: false,
        reasons: ['ERR_MSG_NO_SESSION'],
      })
      throw new VerificationError('ERR_MSG_NO_SESSION', reason)
    }
    const decision = await decideRequest({ session, request: permission, trust, status, now })
    await recordAudit(
      home,
      requestAuditEntry({
        actor: did,
        decision,
        request: permission,
        trustBundleHash: bundleHash,
        thread,
        messageId: message.id,
      }),
    )
    const reasons = [...new Set(decision.errors.map((e) => e.code))]
    emit({
      type: 'request',
      peer: message.from,
      session: thread,
      ...permission,
      allowed: decision.allowed === true,
      reasons,
    })
    let body: ResponseBody
    if (decision.allowed === true && decision.grantedBy !== undefined) {
      body = await runHandler({
        ...request,
        peer: message.from,
        session: thread,
        messageId: message.id,
        grantedBy: decision.grantedBy,
      })
    } else {
      const why = refusalOf(decision.errors)
      body = { allowed: false, code: why.reason, reasons: why.reasons, message: why.message }
    }
    return reply(message, MESSAGE_TYPES.response, body as Record<string, unknown>, message.id)
  }

  return {
    did,
    async receive(packed) {
      const { message } = await unpackMessage(home, {
        recipient: did,
        packed,
        replay,
        now: clock(),
        clockToleranceSec: options.clockToleranceSec,
      })
      switch (message.type) {
        case MESSAGE_TYPES.hello:
          return onHello(message)
        case MESSAGE_TYPES.present:
          return onPresent(message)
        case MESSAGE_TYPES.request:
          return onRequest(message)
        case MESSAGE_TYPES.refuse: {
          // The initiator refused our presentation: forget the handshake (the decision is in its own log).
          parseRefuse(message.body)
          if (message.thid !== undefined) pending.delete(key(message.from, message.thid))
          return undefined
        }
        default:
          throw new VerificationError(
            'ERR_MSG_MALFORMED',
            `message type ${JSON.stringify(message.type)} is not one this endpoint answers`,
          )
      }
    },
    sessions() {
      return sessions.values(clock()).map((s) => ({
        id: s.id,
        peer: s.peer,
        roles: [...new Set(s.granted.map((c) => c.role))],
        establishedAt: s.establishedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
      }))
    },
    endSessions(peer) {
      let ended = 0
      for (const s of sessions.values(clock())) {
        if (s.peer === peer && sessions.delete(key(peer, s.id))) ended++
      }
      return ended
    },
  }
}
