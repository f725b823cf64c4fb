/**
 * The agent-to-agent channel end to end, over both transports (in-memory and HTTP on 127.0.0.1): the mutual
 * presentation handshake, allowed and denied requests, asymmetric trust, revocation and suspension mid-session,
 * every refusal with its code, and the audit entries on each side.
 */
import { listAudit } from '@tessera/audit'
import { TesseraError } from '@tessera/core'
import { createPresentation, issueRoleCredential } from '@tessera/credentials'
import { createAgentIdentity } from '@tessera/identity'
import { parsePermission } from '@tessera/policy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AgentEndpoint,
  createAgentEndpoint,
  createInboxHandler,
  DIDCOMM_ENCRYPTED,
  didCommAgent,
  httpTransport,
  type InboxServer,
  listenInbox,
  MESSAGE_TYPES,
  memoryReplayStore,
  memoryTransport,
  openChannel,
  packMessage,
  packPlaintext,
  type RequestContext,
  type Transport,
  unpackMessage,
} from '../packages/messaging/src/index.js'
import { codeOf } from './expect-error.js'
import { createPair, type TestPair } from './messaging-fixtures.js'

interface Wire {
  /** A transport to Globex's endpoint. */
  transport: Transport
  /** Send raw bytes with a content type (HTTP) or straight to the endpoint (memory); the error code, if any. */
  raw(body: string, contentType?: string): Promise<string | undefined>
  close(): Promise<void>
}

type WireFactory = (endpoint: AgentEndpoint) => Promise<Wire>

const memoryWire: WireFactory = async (endpoint) => ({
  transport: memoryTransport(endpoint),
  raw: async (body) => {
    try {
      await endpoint.receive(body)
      return undefined
    } catch (err) {
      if (err instanceof TesseraError) return err.code
      throw err
    }
  },
  close: async () => {},
})

const httpWire: WireFactory = async (endpoint) => {
  const server: InboxServer = await listenInbox({ handler: createInboxHandler(endpoint) })
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/didcomm$/)
  return {
    transport: httpTransport({ url: server.url }),
    raw: async (body, contentType = DIDCOMM_ENCRYPTED) => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      })
      const text = await response.text()
      if (response.status === 200 || response.status === 202) return undefined
      expect(response.headers.get('content-type')).toBe('application/json')
      return (JSON.parse(text) as { error: { code: string } }).error.code
    },
    close: () => server.close(),
  }
}

const handled: RequestContext[] = []
const handlers = {
  read: (request: RequestContext) => {
    handled.push(request)
    return { ticket: request.resource, status: 'open', echo: request.body ?? null }
  },
  delete: () => ({ deleted: true }),
}

for (const [name, makeWire] of [
  ['in-memory', memoryWire],
  ['HTTP on 127.0.0.1', httpWire],
] as const) {
  describe(`agent-to-agent channel (${name})`, () => {
    let pair: TestPair
    let endpoint: AgentEndpoint
    let wire: Wire
    const open = () =>
      openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: wire.transport,
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      })

    beforeAll(async () => {
      pair = await createPair()
      endpoint = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers,
      })
      wire = await makeWire(endpoint)
    })
    afterAll(async () => {
      await wire.close()
      await pair.close()
    })

    it('shakes hands both ways, then allows a request within the effective permissions', async () => {
      const channel = await open()
      expect(channel.peer).toBe(pair.globex.agent)
      expect(channel.peerDecision.verified).toBe(true)
      expect(channel.peerDecision.credentials[0]?.role).toBe('partner-desk')
      expect(endpoint.sessions().map((s) => s.peer)).toContain(pair.acme.agent)
      const before = handled.length
      const outcome = await channel.request({ action: 'read', resource: 'tickets/42', body: { note: 'hi' } })
      expect(outcome).toMatchObject({
        allowed: true,
        reply: { ticket: 'tickets/42', status: 'open', echo: { note: 'hi' } },
        grantedBy: { role: 'support-agent', permission: { action: 'read', resource: 'tickets/*' } },
      })
      expect(handled.length).toBe(before + 1)
      expect(handled.at(-1)).toMatchObject({ peer: pair.acme.agent, session: channel.id, action: 'read' })
    })

    it("denies a request outside the verifier's ceiling (ERR_POLICY_DENIED) and runs no handler", async () => {
      const channel = await open()
      const before = handled.length
      const outcome = await channel.request({ action: 'delete', resource: 'tickets/42' })
      expect(outcome).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' })
      expect(handled.length).toBe(before)
      // the client refuses a request that is not concrete before sending anything
      expect(await codeOf(channel.request({ action: 'read', resource: 'tickets/*' }))).toBe(
        'ERR_PERMISSION_INVALID',
      )
    })

    it('answers an allowed action with no handler with ERR_NOT_FOUND', async () => {
      const widened = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers: {},
      })
      const channel = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: memoryTransport(widened),
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      })
      expect(await codeOf(channel.request({ action: 'read', resource: 'tickets/1' }))).toBe('ERR_NOT_FOUND')
    })

    it('writes each verdict to the audit log of the side that decided', async () => {
      const channel = await open()
      await channel.request({ action: 'read', resource: 'tickets/7' })
      await channel.request({ action: 'delete', resource: 'tickets/7' })
      const acmeHandshakes = await listAudit(pair.acme.home, { type: 'handshake.accepted', limit: 1000 })
      const mine = acmeHandshakes.find((e) => e.data.thread === channel.id)
      expect(mine).toMatchObject({
        actor: pair.acme.agent,
        subject: pair.globex.agent,
        data: { outcome: 'accepted', side: 'initiator', roles: ['partner-desk'], reasons: [] },
      })
      expect(mine?.data.presentationHash).toMatch(/^[0-9a-f]{64}$/)
      const globexHandshake = (
        await listAudit(pair.globex.home, { type: 'handshake.accepted', limit: 1000 })
      ).find((e) => e.data.thread === channel.id)
      expect(globexHandshake).toMatchObject({
        actor: pair.globex.agent,
        subject: pair.acme.agent,
        data: { side: 'responder', credentialIds: [pair.acme.credentialId] },
      })
      const decisions = (
        await listAudit(pair.globex.home, { type: ['access.allowed', 'access.denied'], limit: 1000 })
      ).filter((e) => e.data.thread === channel.id)
      expect(decisions.map((e) => [e.type, e.data.action, e.data.resource, e.data.reasons])).toEqual([
        ['access.allowed', 'read', 'tickets/7', []],
        ['access.denied', 'delete', 'tickets/7', ['ERR_POLICY_DENIED']],
      ])
      expect(decisions[0]?.data).toMatchObject({ via: 'didcomm', grantedBy: { role: 'support-agent' } })
      // requests are decided by the responder only
      const acmeDecisions = await listAudit(pair.acme.home, { type: ['access.allowed', 'access.denied'] })
      expect(acmeDecisions.filter((e) => e.data.via === 'didcomm')).toEqual([])
    })

    it('cuts the channel at the next status refresh after a suspension or revocation', async () => {
      const channel = await open()
      expect((await channel.request({ action: 'read', resource: 'tickets/1' })).allowed).toBe(true)
      await pair.acme.suspend()
      await pair.acme.publish()
      await pair.globexView.cache.refresh()
      expect(await channel.request({ action: 'read', resource: 'tickets/1' })).toMatchObject({
        allowed: false,
        code: 'ERR_STATUS_SUSPENDED',
      })
      await pair.acme.reinstate()
      await pair.acme.publish()
      await pair.globexView.cache.refresh()
      expect((await channel.request({ action: 'read', resource: 'tickets/1' })).allowed).toBe(true)
      await pair.acme.revoke()
      await pair.acme.publish()
      await pair.globexView.cache.refresh()
      expect(await channel.request({ action: 'read', resource: 'tickets/1' })).toMatchObject({
        allowed: false,
        code: 'ERR_STATUS_REVOKED',
      })
      const denied = (await listAudit(pair.globex.home, { type: 'access.denied', limit: 1000 })).filter(
        (e) => e.data.thread === channel.id,
      )
      expect(denied.map((e) => e.data.reasons)).toEqual([['ERR_STATUS_SUSPENDED'], ['ERR_STATUS_REVOKED']])
      // and a new handshake with the revoked credential is refused by Globex
      const refused = await open().catch((err: unknown) => err)
      expect(refused).toBeInstanceOf(TesseraError)
      expect((refused as TesseraError).code).toBe('ERR_HANDSHAKE_REFUSED')
      expect((refused as TesseraError).details).toMatchObject({
        reason: 'ERR_STATUS_REVOKED',
        refusedBy: pair.globex.agent,
      })
      const refusals = await listAudit(pair.globex.home, { type: 'handshake.refused', limit: 1000 })
      expect(refusals.at(-1)?.data).toMatchObject({ reasons: ['ERR_STATUS_REVOKED'], side: 'responder' })
    })

    it('refuses a request without a completed handshake (ERR_MSG_NO_SESSION), and audits the denial', async () => {
      const { packed } = await packMessage(pair.acme.home, {
        from: pair.acme.agent,
        to: pair.globex.agent,
        type: MESSAGE_TYPES.request,
        pthid: 'no-such-session',
        body: { action: 'read', resource: 'tickets/1' },
      })
      expect(await wire.raw(packed)).toBe('ERR_MSG_NO_SESSION')
      const last = (await listAudit(pair.globex.home, { type: 'access.denied', limit: 1000 })).at(-1)
      expect(last).toMatchObject({ subject: pair.acme.agent, data: { reasons: ['ERR_MSG_NO_SESSION'] } })
      // a presentation for a handshake that never started
      const { packed: present } = await packMessage(pair.acme.home, {
        from: pair.acme.agent,
        to: pair.globex.agent,
        type: MESSAGE_TYPES.present,
        thid: 'never-said-hello',
        body: { presentation: 'a.b.c' },
      })
      expect(await wire.raw(present)).toBe('ERR_MSG_NO_SESSION')
    })

    it('refuses replays, tampering, forged senders, expired, anoncrypt and malformed messages with their codes', async () => {
      const hello = (options: { now?: Date } = {}) =>
        packMessage(pair.acme.home, {
          from: pair.acme.agent,
          to: pair.globex.agent,
          type: MESSAGE_TYPES.hello,
          body: { challenge: 'c'.repeat(43) },
          ...options,
        })
      const { packed } = await hello()
      expect(await wire.raw(packed)).toBeUndefined()
      expect(await wire.raw(packed)).toBe('ERR_MSG_REPLAY')

      const jwe = JSON.parse((await hello()).packed)
      const ciphertext = Buffer.from(jwe.ciphertext, 'base64url')
      ciphertext.writeUInt8(ciphertext.readUInt8(0) ^ 0x80, 0)
      expect(await wire.raw(JSON.stringify({ ...jwe, ciphertext: ciphertext.toString('base64url') }))).toBe(
        'ERR_MSG_DECRYPT',
      )

      const now = Math.floor(Date.now() / 1000)
      const mallory = pair.acme.home.org.did // another DID of Acme's home signs as if it were Acme's agent
      const plaintext = {
        id: 'forged-1',
        type: MESSAGE_TYPES.hello,
        from: mallory,
        to: [pair.globex.agent],
        created_time: now,
        expires_time: now + 60,
        body: { challenge: 'c'.repeat(43) },
      }
      const forged = await packPlaintext(pair.acme.home, {
        ...plaintext,
        toJSON: () => ({ ...plaintext, from: pair.acme.agent }),
      })
      expect(await wire.raw(forged)).toBe('ERR_MSG_SENDER_MISMATCH')

      expect(await wire.raw((await hello({ now: new Date(Date.now() - 3_600_000) })).packed)).toBe(
        'ERR_MSG_EXPIRED',
      )

      const agent = await didCommAgent(pair.acme.home)
      const { message: anoncrypt } = await agent.packDIDCommMessage({
        packing: 'anoncrypt',
        message: { ...plaintext, id: 'anon-1', from: pair.acme.agent } as never,
      })
      expect(await wire.raw(anoncrypt)).toBe('ERR_MSG_NOT_AUTHCRYPT')
      const { message: plain } = await agent.packDIDCommMessage({
        packing: 'none',
        message: { ...plaintext, id: 'plain-1', from: pair.acme.agent } as never,
      })
      expect(await wire.raw(plain)).toBe('ERR_MSG_NOT_AUTHCRYPT')

      expect(await wire.raw('{"not":"didcomm"}')).toBe('ERR_MSG_MALFORMED')
      const { packed: badHello } = await packMessage(pair.acme.home, {
        from: pair.acme.agent,
        to: pair.globex.agent,
        type: MESSAGE_TYPES.hello,
        body: { challenge: 'short' },
      })
      expect(await wire.raw(badHello)).toBe('ERR_MSG_MALFORMED')
      const { packed: unknownType } = await packMessage(pair.acme.home, {
        from: pair.acme.agent,
        to: pair.globex.agent,
        type: 'https://didcomm.org/trust-ping/2.0/ping',
        body: {},
      })
      expect(await wire.raw(unknownType)).toBe('ERR_MSG_MALFORMED')
    })

    if (name.startsWith('HTTP')) {
      it('answers only authcrypt content types and POST on its path', async () => {
        expect(await wire.raw('{}', 'application/didcomm-plain+json')).toBe('ERR_MSG_NOT_AUTHCRYPT')
        expect(await wire.raw('{}', 'text/plain')).toBe('ERR_MSG_MALFORMED')
        expect(await wire.raw('x'.repeat(300 * 1024))).toBe('ERR_BODY_TOO_LARGE')
      })
    }
  })
}

describe('asymmetric trust', () => {
  it('Acme trusts Globex but Globex does not trust Acme: Globex refuses with the reason', async () => {
    const pair = await createPair({ globexTrustsAcme: false })
    try {
      const endpoint = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers,
      })
      const err = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: memoryTransport(endpoint),
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TesseraError)
      expect((err as TesseraError).code).toBe('ERR_HANDSHAKE_REFUSED')
      expect((err as TesseraError).details).toMatchObject({
        reason: 'ERR_TRUST_ISSUER_UNKNOWN',
        refusedBy: pair.globex.agent,
      })
      expect(endpoint.sessions()).toEqual([])
      // Acme accepted Globex (its own verdict), Globex refused Acme (its own)
      expect((await listAudit(pair.acme.home, { type: 'handshake.accepted' })).length).toBe(1)
      // the log lists every reason: the unknown issuer, and its status lists therefore not trusted either
      expect((await listAudit(pair.globex.home, { type: 'handshake.refused' }))[0]?.data).toMatchObject({
        reasons: ['ERR_STATUS_ISSUER_UNTRUSTED', 'ERR_TRUST_ISSUER_UNKNOWN'],
      })
    } finally {
      await pair.close()
    }
  })

  it('Globex trusts Acme but Acme does not trust Globex: Acme refuses before presenting anything', async () => {
    const pair = await createPair({ acmeTrustsGlobex: false })
    try {
      const endpoint = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers,
      })
      const err = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: memoryTransport(endpoint),
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      }).catch((e: unknown) => e)
      expect((err as TesseraError).code).toBe('ERR_HANDSHAKE_REFUSED')
      expect((err as TesseraError).details).toMatchObject({
        reason: 'ERR_TRUST_ISSUER_UNKNOWN',
        refusedBy: pair.acme.agent,
      })
      expect((err as TesseraError).details?.decision).toMatchObject({ verified: false })
      expect((await listAudit(pair.acme.home, { type: 'handshake.refused' }))[0]).toMatchObject({
        actor: pair.acme.agent,
        subject: pair.globex.agent,
        data: { side: 'initiator', reasons: ['ERR_STATUS_ISSUER_UNTRUSTED', 'ERR_TRUST_ISSUER_UNKNOWN'] },
      })
      // Globex never saw a presentation from Acme: nothing in its log, no session
      expect(
        await listAudit(pair.globex.home, { type: ['handshake.accepted', 'handshake.refused'] }),
      ).toEqual([])
      expect(endpoint.sessions()).toEqual([])
    } finally {
      await pair.close()
    }
  })
})

describe('time over a session (one clock shared by both agents)', () => {
  it('an expired credential stops allowing anything (ERR_VC_EXPIRED); an expired session is ERR_MSG_NO_SESSION', async () => {
    const pair = await createPair()
    try {
      let offsetMs = 0
      const now = () => new Date(Date.now() + offsetMs)
      const day = 86_400_000
      const endpoint = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers,
        sessionTtlSec: 40 * 86_400,
        now,
      })
      const channel = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: memoryTransport(endpoint),
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
        now,
      })
      expect((await channel.request({ action: 'read', resource: 'tickets/1' })).allowed).toBe(true)
      offsetMs = 31 * day // role credentials are valid for 30 days by default
      expect(await channel.request({ action: 'read', resource: 'tickets/1' })).toMatchObject({
        allowed: false,
        code: 'ERR_VC_EXPIRED',
      })
      offsetMs = 41 * day
      expect(await codeOf(channel.request({ action: 'read', resource: 'tickets/1' }))).toBe(
        'ERR_MSG_NO_SESSION',
      )
      expect(endpoint.sessions()).toEqual([])
    } finally {
      await pair.close()
    }
  })

  it('endSessions drops a peer: its next request is ERR_MSG_NO_SESSION', async () => {
    const pair = await createPair()
    try {
      const endpoint = await createAgentEndpoint({
        self: { home: pair.globex.home, did: pair.globex.agent, credentials: [pair.globex.credential] },
        trust: pair.globexView.trust,
        status: pair.globexView.status,
        handlers,
      })
      const channel = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: memoryTransport(endpoint),
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      })
      expect(endpoint.sessions()).toMatchObject([
        { id: channel.id, peer: pair.acme.agent, roles: ['support-agent'] },
      ])
      expect(endpoint.endSessions(pair.acme.agent)).toBe(1)
      expect(await codeOf(channel.request({ action: 'read', resource: 'tickets/1' }))).toBe(
        'ERR_MSG_NO_SESSION',
      )
    } finally {
      await pair.close()
    }
  })
})

describe('presentation bound to the channel', () => {
  it("refuses a peer that presents another agent's credentials, even validly signed (ERR_HOLDER_MISMATCH)", async () => {
    const pair = await createPair()
    try {
      const globex = pair.globex.home
      // Globex's agent relays a presentation made by a colleague whose credential Acme would accept
      const colleague = (await createAgentIdentity(globex, { name: 'colleague', type: 'partner-desk' })).did
      const issued = await issueRoleCredential(globex, {
        agent: colleague,
        role: 'partner-desk',
        permissions: [parsePermission('read:orders/*')],
      })
      await pair.globex.publish()
      await pair.acmeView.cache.refresh()
      const relay: Transport = {
        async send(packed) {
          const { message } = await unpackMessage(globex, {
            recipient: pair.globex.agent,
            packed,
            replay: memoryReplayStore(),
          })
          if (message.type !== MESSAGE_TYPES.hello) return undefined
          const presentation = await createPresentation(globex, {
            holder: colleague,
            credentials: [issued.jwt],
            challenge: message.body.challenge as string,
            domain: message.from,
          })
          const reply = await packMessage(globex, {
            from: pair.globex.agent,
            to: message.from,
            type: MESSAGE_TYPES.present,
            thid: message.id,
            body: { presentation, challenge: 'c'.repeat(43) },
          })
          return reply.packed
        },
      }
      const err = await openChannel({
        self: { home: pair.acme.home, did: pair.acme.agent, credentials: [pair.acme.credential] },
        peer: pair.globex.agent,
        transport: relay,
        trust: pair.acmeView.trust,
        status: pair.acmeView.status,
      }).catch((e: unknown) => e)
      expect((err as TesseraError).code).toBe('ERR_HANDSHAKE_REFUSED')
      expect((err as TesseraError).details).toMatchObject({
        reason: 'ERR_HOLDER_MISMATCH',
        refusedBy: pair.acme.agent,
      })
      // the colleague's presentation itself verified: only the binding to the authenticated sender failed
      expect((err as TesseraError).details?.decision).toMatchObject({ verified: true, holder: colleague })
      expect((await listAudit(pair.acme.home, { type: 'handshake.refused' }))[0]?.data.reasons).toEqual([
        'ERR_HOLDER_MISMATCH',
      ])
    } finally {
      await pair.close()
    }
  })
})
