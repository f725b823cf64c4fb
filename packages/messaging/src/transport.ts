/**
 * Transports carry packed messages; they add no security (the envelope is authcrypt end to end). The protocol is
 * request/reply from the initiator's side, so a transport is one call: send a packed message, get the packed
 * reply, if any. Agents are addressed by a configured endpoint, since did:key documents have no services.
 */
import { EnvironmentError, InputError, isErrorCode, TesseraError } from '@tessera/core'
import { DIDCOMM_ENCRYPTED, MAX_MESSAGE_LENGTH } from './envelope.js'

/** Carries one packed message to the peer's endpoint and returns its packed reply (undefined: none). */
export interface Transport {
  send(packed: string): Promise<string | undefined>
}

/** Anything that takes packed messages, like an `AgentEndpoint`. */
export interface MessageReceiver {
  receive(packed: string): Promise<string | undefined>
}

/**
 * A transport to an endpoint in this process (tests, embedded agents): the endpoint's refusals reach the
 * sender as the same `TesseraError`s the HTTP transport rebuilds from the inbox's answers.
 */
export function memoryTransport(receiver: MessageReceiver): Transport {
  if (typeof receiver?.receive !== 'function') {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"receiver" must have a receive(packed) method (an AgentEndpoint)',
    )
  }
  return { send: (packed) => receiver.receive(packed) }
}

/** Default time an HTTP exchange may take: 10 seconds. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** The peer's inbox, e.g. `https://agents.globex.example/didcomm` (http: is allowed: the message is encrypted). */
  url: string
  timeoutMs?: number
  /** Longest reply accepted; default the longest message accepted. */
  maxResponseLength?: number
}

async function readCapped(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader()
  if (reader === undefined) return ''
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    if (text.length > max) {
      await reader.cancel()
      throw new EnvironmentError('ERR_TRANSPORT', `the reply is longer than ${max} characters`)
    }
  }
  return text + decoder.decode()
}

/** The error an inbox answered with (`{ error: { code, message } }`), rebuilt; anything else is `ERR_TRANSPORT`. */
function remoteError(status: number, text: string, url: string): TesseraError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    const code = parsed?.error?.code
    if (isErrorCode(code)) {
      const message = typeof parsed.error?.message === 'string' ? parsed.error.message.slice(0, 2_048) : code
      return new TesseraError(code, message, { details: { status, remote: url } })
    }
  } catch {
    // not a Tessera error body
  }
  return new EnvironmentError('ERR_TRANSPORT', `${url} answered HTTP ${status}`, { details: { status } })
}

/**
 * A transport that POSTs each packed message to the peer's inbox (`Content-Type:
 * application/didcomm-encrypted+json`) and reads the reply from the HTTP response: 200 with a packed message,
 * 202 with none. An inbox's error answer is rebuilt into the `TesseraError` it names; a network failure, a
 * timeout, a redirect or an unexpected answer is `ERR_TRANSPORT`.
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"url" must be an http(s) URL, got ${JSON.stringify(options.url)}`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"url" must be an http(s) URL, got ${JSON.stringify(options.url)}`,
    )
  }
  const href = url.href
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS
  const maxLength = options.maxResponseLength ?? MAX_MESSAGE_LENGTH
  return {
    async send(packed) {
      let response: Response
      try {
        response = await fetch(href, {
          method: 'POST',
          headers: { 'content-type': DIDCOMM_ENCRYPTED, accept: `${DIDCOMM_ENCRYPTED}, application/json` },
          body: packed,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        throw new EnvironmentError('ERR_TRANSPORT', `cannot reach ${href}: ${(err as Error).message}`, {
          cause: err,
        })
      }
      const text = await readCapped(response, maxLength)
      if (response.status === 202) return undefined
      if (response.status === 200) {
        const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
        if (type !== DIDCOMM_ENCRYPTED) {
          throw new EnvironmentError('ERR_TRANSPORT', `${href} answered with ${type ?? 'no content type'}`)
        }
        return text
      }
      throw remoteError(response.status, text, href)
    },
  }
}
