import { EnvironmentError, TesseraError, VerificationError } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { DIDCOMM_ENCRYPTED } from './envelope.js'
import { createInboxHandler, listenInbox } from './inbox.js'
import { httpTransport } from './transport.js'

/** A receiver that answers by the body it is given (the real endpoint is exercised in test/messaging-channel). */
const receiver = {
  async receive(body: string): Promise<string | undefined> {
    if (body === 'reply') return '{"protected":"x"}'
    if (body === 'none') return undefined
    if (body === 'replay') throw new VerificationError('ERR_MSG_REPLAY', 'seen')
    if (body === 'session') throw new VerificationError('ERR_MSG_NO_SESSION', 'no session')
    if (body === 'locked') throw new EnvironmentError('ERR_DB_LOCKED', 'busy')
    throw new Error('a bug with a secret in its message')
  },
}

describe('createInboxHandler', () => {
  const inbox = createInboxHandler(receiver)
  const post = (body: string, contentType: string | undefined = DIDCOMM_ENCRYPTED) =>
    inbox({ body, contentType })

  it('answers 200 with the packed reply, 202 with none', async () => {
    expect(await post('reply')).toEqual({
      status: 200,
      contentType: DIDCOMM_ENCRYPTED,
      body: '{"protected":"x"}',
    })
    expect(await post('none', `${DIDCOMM_ENCRYPTED}; charset=utf-8`)).toMatchObject({ status: 202, body: '' })
  })

  it('maps refusals to statuses with a JSON error body, and hides internal errors', async () => {
    const cases: [string, number, string][] = [
      ['replay', 409, 'ERR_MSG_REPLAY'],
      ['session', 403, 'ERR_MSG_NO_SESSION'],
      ['locked', 503, 'ERR_DB_LOCKED'],
      ['bug', 500, 'ERR_INTERNAL'],
    ]
    for (const [body, status, code] of cases) {
      const response = await post(body)
      expect(response.status).toBe(status)
      expect(response.contentType).toBe('application/json')
      expect(JSON.parse(response.body).error.code).toBe(code)
    }
    expect((await post('bug')).body).not.toContain('secret')
  })

  it('takes only the encrypted DIDComm media type, and caps the body', async () => {
    const plain = await post('reply', 'application/didcomm-plain+json')
    expect([plain.status, JSON.parse(plain.body).error.code]).toEqual([415, 'ERR_MSG_NOT_AUTHCRYPT'])
    const signed = await post('reply', 'application/didcomm-signed+json')
    expect(JSON.parse(signed.body).error.code).toBe('ERR_MSG_NOT_AUTHCRYPT')
    for (const type of [undefined, 'application/json', 'text/plain']) {
      const response = await inbox({ body: 'reply', contentType: type })
      expect([response.status, JSON.parse(response.body).error.code]).toEqual([415, 'ERR_MSG_MALFORMED'])
    }
    const small = createInboxHandler(receiver, { maxBodyLength: 4 })
    const big = await small({ body: 'reply', contentType: DIDCOMM_ENCRYPTED })
    expect([big.status, JSON.parse(big.body).error.code]).toEqual([413, 'ERR_BODY_TOO_LARGE'])
  })
})

describe('listenInbox and httpTransport', () => {
  it('serves POST on its path on 127.0.0.1; the transport rebuilds the errors it answers with', async () => {
    const server = await listenInbox({ handler: createInboxHandler(receiver) })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/didcomm$/)
      const transport = httpTransport({ url: server.url })
      expect(await transport.send('reply')).toBe('{"protected":"x"}')
      expect(await transport.send('none')).toBeUndefined()
      expect(await codeOf(transport.send('replay'))).toBe('ERR_MSG_REPLAY')
      expect(await codeOf(transport.send('session'))).toBe('ERR_MSG_NO_SESSION')
      const err = await transport.send('bug').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TesseraError)
      expect((err as TesseraError).code).toBe('ERR_INTERNAL')
      const elsewhere = await fetch(server.url.replace('/didcomm', '/other'), { method: 'POST' })
      const missing = (await elsewhere.json()) as { error: { code: string } }
      expect([elsewhere.status, missing.error.code]).toEqual([404, 'ERR_NOT_FOUND'])
      const get = await fetch(server.url)
      expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
      await get.body?.cancel()
      // a wrong path is not an inbox: the transport says so
      expect(await codeOf(httpTransport({ url: `${server.url}x` }).send('reply'))).toBe('ERR_NOT_FOUND')
    } finally {
      await server.close()
    }
    // nothing listens any more
    expect(await codeOf(httpTransport({ url: server.url, timeoutMs: 2_000 }).send('reply'))).toBe(
      'ERR_TRANSPORT',
    )
    expect(await codeOf(Promise.resolve().then(() => httpTransport({ url: 'ftp://x/' })))).toBe(
      'ERR_INPUT_INVALID',
    )
  })
})
