import { request as httpsRequest } from 'node:https'
import { listAudit } from '@tessera/audit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { freshHome, type Served, serveFresh, unsignedCredential } from '../../../test/server-helpers.js'
import { createServer } from './server.js'

type ErrorReply = { error: { code: string; message: string } }
const errorCode = (body: unknown) => (body as ErrorReply).error.code

describe('server boundaries', () => {
  let s: Served
  beforeAll(async () => {
    s = await serveFresh({ limits: { bodyLimit: 64 * 1024 } })
  })
  afterAll(async () => {
    await s.close()
  })

  it('answers an unknown route with 404 ERR_NOT_FOUND in the error shape', async () => {
    const r = await s.call('/no/such/route', { token: null })
    expect(r.status).toBe(404)
    expect(errorCode(r.body)).toBe('ERR_NOT_FOUND')
    expect((r.body as ErrorReply).error.message).toContain('/no/such/route')
    const wrongMethod = await s.call('/credentials/issue', { method: 'GET' })
    expect(wrongMethod.status).toBe(404)
    expect(errorCode(wrongMethod.body)).toBe('ERR_NOT_FOUND')
  })

  it('admin endpoints: 401 ERR_AUTH_REQUIRED without a bearer token, 403 ERR_AUTH_FORBIDDEN with a wrong one', async () => {
    const body = { credential: unsignedCredential(s.home.org.did) }
    for (const path of ['/credentials/issue', '/credentials/status']) {
      const none = await s.call(path, { body, token: null })
      expect(none.status).toBe(401)
      expect(errorCode(none.body)).toBe('ERR_AUTH_REQUIRED')
      expect(none.headers.get('www-authenticate')).toContain('Bearer')
      const basic = await s.call(path, { body, token: null, headers: { authorization: 'Basic YTpi' } })
      expect(basic.status).toBe(401)
      expect(errorCode(basic.body)).toBe('ERR_AUTH_REQUIRED')
      const wrong = await s.call(path, { body, token: `${s.token.slice(0, -1)}x` })
      expect(wrong.status).toBe(403)
      expect(errorCode(wrong.body)).toBe('ERR_AUTH_FORBIDDEN')
    }
    const right = await s.call('/credentials/issue', { body })
    expect(right.status).toBe(201)
  })

  it('413 ERR_BODY_TOO_LARGE over the body limit, before anything is parsed', async () => {
    const big = { credential: unsignedCredential(s.home.org.did, { padding: 'x'.repeat(70 * 1024) }) }
    const r = await s.call('/credentials/verify', { body: { verifiableCredential: big }, token: null })
    expect(r.status).toBe(413)
    expect(errorCode(r.body)).toBe('ERR_BODY_TOO_LARGE')
  })

  it('400 ERR_INPUT_INVALID for malformed JSON, too deep JSON, __proto__ members and schema violations', async () => {
    const cases: [string, unknown][] = [
      ['/credentials/verify', '{"verifiableCredential": '],
      ['/credentials/verify', `{"verifiableCredential": ${'['.repeat(40)}${']'.repeat(40)}}`],
      ['/credentials/verify', '{"verifiableCredential": {"__proto__": {"polluted": true}}}'],
      ['/credentials/verify', { credential: 'x' }],
      ['/credentials/verify', { verifiableCredential: 42 }],
      ['/presentations/verify', { options: {} }],
      ['/presentations/verify', { verifiablePresentation: 'x.y.z', options: { challenge: 7 } }],
      ['/challenges', { domain: 'other.example', extra: 1 }],
      [
        '/credentials/issue',
        { credential: unsignedCredential(s.home.org.did), options: { format: 'ldp_vc' } },
      ],
      [
        '/credentials/status',
        { credentialId: 'x', credentialStatus: { type: 'X', statusPurpose: 'revocation' }, status: true },
      ],
    ]
    for (const [path, body] of cases) {
      const r = await s.call(path, { body })
      expect(r.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(400)
      expect(errorCode(r.body)).toBe('ERR_INPUT_INVALID')
      expect(r.text).not.toMatch(/\n\s+at /)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('415 for a content type it does not read', async () => {
    const r = await s.call('/credentials/verify', {
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    })
    expect(r.status).toBe(415)
    expect(errorCode(r.body)).toBe('ERR_INPUT_INVALID')
  })

  it('POST /didcomm is not mounted without an inbox', async () => {
    const r = await s.call('/didcomm', {
      body: '{}',
      headers: { 'content-type': 'application/didcomm-encrypted+json' },
    })
    expect(r.status).toBe(404)
    expect(errorCode(r.body)).toBe('ERR_NOT_FOUND')
  })

  it('GET /1.0/identifiers/{did}: a DID Resolution result; invalidDid 400, methodNotSupported 501', async () => {
    const did = s.home.org.did
    const ok = await s.call(`/1.0/identifiers/${did}`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toContain('application/ld+json')
    expect(ok.body).toMatchObject({
      didDocument: { id: did, authentication: [`${did}#${did.slice('did:key:'.length)}`] },
      didResolutionMetadata: { contentType: 'application/did+ld+json' },
      didDocumentMetadata: {},
    })
    const document = await s.call(`/1.0/identifiers/${did}`, { headers: { accept: 'application/did+json' } })
    expect(document.status).toBe(200)
    expect(document.headers.get('content-type')).toContain('application/did+json')
    expect((document.body as { id: string }).id).toBe(did)

    const invalid = await s.call('/1.0/identifiers/did:key:z6Mk-not-base58')
    expect(invalid.status).toBe(400)
    expect(invalid.body).toMatchObject({ didDocument: null, didResolutionMetadata: { error: 'invalidDid' } })
    const notADid = await s.call('/1.0/identifiers/example')
    expect(notADid.status).toBe(400)
    expect(notADid.body).toMatchObject({ didResolutionMetadata: { error: 'invalidDid' } })
    const web = await s.call('/1.0/identifiers/did:web:example.com')
    expect(web.status).toBe(501)
    expect(web.body).toMatchObject({
      didDocument: null,
      didResolutionMetadata: { error: 'methodNotSupported' },
    })
    const html = await s.call(`/1.0/identifiers/${did}`, { headers: { accept: 'text/html' } })
    expect(html.status).toBe(406)
    expect(html.body).toMatchObject({ didResolutionMetadata: { error: 'representationNotSupported' } })
  })

  it('POST /challenges: a single-use challenge for one of its domains', async () => {
    const r = await s.call('/challenges', { method: 'POST', token: null })
    expect(r.status).toBe(200)
    const c = r.body as { challenge: string; domain: string; expiresAt: string }
    expect(c.domain).toBe(s.domain)
    expect(c.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const other = await s.call('/challenges', { body: { domain: 'evil.example' }, token: null })
    expect(other.status).toBe(400)
    expect(errorCode(other.body)).toBe('ERR_INPUT_INVALID')
  })

  it('POST /authorize without a trust bundle is not served', async () => {
    const r = await s.call('/authorize', { body: { presentation: 'a.b.c', action: 'read', resource: 'x' } })
    expect(r.status).toBe(404)
    expect(errorCode(r.body)).toBe('ERR_NOT_FOUND')
  })
})

describe('bounded concurrency and shutdown (with a held DIDComm inbox)', () => {
  it('mounts the inbox at POST /didcomm for the DIDComm media types', async () => {
    const s = await serveFresh({
      inbox: async ({ body, contentType }) => ({
        status: 202,
        contentType: 'application/didcomm-encrypted+json',
        body: JSON.stringify({ echoed: body.length, contentType }),
      }),
    })
    try {
      for (const type of ['application/didcomm-encrypted+json', 'application/didcomm-signed+json']) {
        const r = await s.call('/didcomm', {
          body: '{"protected":"x"}',
          headers: { 'content-type': type },
          token: null,
        })
        expect(r.status).toBe(202)
        expect(r.headers.get('content-type')).toContain('application/didcomm-encrypted+json')
        expect(r.body).toEqual({ echoed: 17, contentType: type })
      }
      const json = await s.call('/didcomm', { body: { protected: 'x' }, token: null })
      expect(json.status).toBe(400)
      expect(errorCode(json.body)).toBe('ERR_INPUT_INVALID')
    } finally {
      await s.close()
    }
  })

  it('429 ERR_SERVER_BUSY with Retry-After when saturated; a graceful close finishes the request in flight', async () => {
    const releases: (() => void)[] = []
    let arrived: () => void = () => undefined
    let arrivals = 0
    const allArrived = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const s = await serveFresh({
      limits: { maxConcurrency: 2, retryAfterSec: 3 },
      inbox: async () => {
        await new Promise<void>((resolve) => {
          releases.push(resolve)
          if (++arrivals === 2) arrived()
        })
        return { status: 200, contentType: 'application/didcomm-encrypted+json', body: '{"done":true}' }
      },
    })
    const post = () =>
      fetch(`${s.url}/didcomm`, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-encrypted+json' },
        body: '{}',
      })
    const held = [post(), post()]
    await allArrived
    const busy = await post()
    expect(busy.status).toBe(429)
    expect(busy.headers.get('retry-after')).toBe('3')
    expect(((await busy.json()) as ErrorReply).error.code).toBe('ERR_SERVER_BUSY')

    // Close while both are held: they still finish; the close waits for them.
    let closed = false
    const closing = s.server.close().then(() => {
      closed = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(closed).toBe(false)
    for (const release of releases) release()
    const answers = await Promise.all(held)
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    expect(await answers[0]?.json()).toEqual({ done: true })
    await closing
    expect(closed).toBe(true)
    // After close nothing answers.
    expect(
      await post().then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused')
    await s.close()
  })
})

describe('listening', () => {
  it('refuses plain HTTP unless asked for explicitly, and refuses a bad certificate with ERR_TLS_CONFIG', async () => {
    const { home, cleanup } = await freshHome()
    try {
      const server = createServer({ home })
      expect(await codeOf(server.listen())).toBe('ERR_USAGE')
      expect(await codeOf(server.listen({ tls: { cert: 'not a cert', key: 'not a key' } }))).toBe(
        'ERR_TLS_CONFIG',
      )
    } finally {
      await cleanup()
    }
  })

  it('a port already taken is ERR_IO, and the server can listen again elsewhere', async () => {
    const { home, cleanup } = await freshHome()
    const first = createServer({ home })
    const second = createServer({ home })
    try {
      const { url } = await first.listen({ insecureHttp: true })
      const port = Number(new URL(url).port)
      expect(await codeOf(second.listen({ insecureHttp: true, port }))).toBe('ERR_IO')
      expect((await second.listen({ insecureHttp: true })).url).not.toBe(url)
    } finally {
      await second.close()
      await first.close()
      await cleanup()
    }
  })

  it('serves HTTPS with a self-signed certificate', async () => {
    const { home, cleanup } = await freshHome()
    const server = createServer({ home })
    try {
      const listening = await server.listen({ tls: 'self-signed' })
      expect(listening.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(listening.fingerprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/i)
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          `${listening.url}/1.0/identifiers/${home.org.did}`,
          { rejectUnauthorized: false },
          (res) => {
            let text = ''
            res.on('data', (d) => {
              text += d
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
          },
        )
        req.on('error', reject)
        req.end()
      })
      expect(status).toBe(200)
      expect(JSON.parse(body).didDocument.id).toBe(home.org.did)
      // the home's status lists now live under this server
      expect(listening.status).toMatchObject({ changed: true, baseUrl: `${listening.url}/status` })
    } finally {
      await server.close()
      await cleanup()
    }
  })

  it('requires an audit log on the home', async () => {
    const { home, cleanup } = await freshHome()
    try {
      home.hooks.record = undefined
      expect(() => createServer({ home })).toThrowError(/audit/)
      const err = (() => {
        try {
          createServer({ home })
        } catch (e) {
          return e as { code: string }
        }
      })()
      expect(err?.code).toBe('ERR_INPUT_INVALID')
    } finally {
      await cleanup()
    }
  })

  it('writes its audit entries before answering', async () => {
    const s = await serveFresh()
    try {
      const issued = await s.call('/credentials/issue', {
        body: { credential: unsignedCredential(s.home.org.did) },
      })
      expect(issued.status).toBe(201)
      const types = (await listAudit(s.home)).map((e) => e.type)
      expect(types).toContain('credential.issued')
    } finally {
      await s.close()
    }
  })
})
