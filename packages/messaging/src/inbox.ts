/**
 * The HTTP side of an agent endpoint: a framework-neutral inbox handler (what `tessera serve` mounts at
 * `POST /didcomm`) and a small node:http listener for examples and tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ErrorCode, InputError, TesseraError } from '@tessera/core'
import { DIDCOMM_ENCRYPTED, DIDCOMM_PLAIN, DIDCOMM_SIGNED, MAX_MESSAGE_LENGTH } from './envelope.js'
import type { MessageReceiver } from './transport.js'

/** What the inbox is given: the raw request body and its `Content-Type` header. */
export interface InboxRequest {
  body: string
  contentType: string | undefined
}

/** What the inbox answers: the HTTP status, `Content-Type` and body to send back. */
export interface InboxResponse {
  status: number
  contentType: string
  body: string
}

/** A framework-neutral DIDComm inbox. */
export type InboxHandler = (req: InboxRequest) => Promise<InboxResponse>

/** Options of {@link createInboxHandler}. */
export interface InboxHandlerOptions {
  /** Longest body accepted, in characters; default the longest message accepted (256 KiB). */
  maxBodyLength?: number
  /** Told about every failure answered with a 5xx status (the body only says `ERR_INTERNAL`). */
  onError?: (err: unknown) => void
}

const JSON_TYPE = 'application/json'

/** The HTTP status for a refusal: client errors for what the message did, 5xx for what went wrong here. */
export function inboxStatus(err: TesseraError): number {
  const byCode: Partial<Record<ErrorCode, number>> = {
    ERR_MSG_REPLAY: 409,
    ERR_MSG_NO_SESSION: 403,
    ERR_BODY_TOO_LARGE: 413,
    ERR_SIZE_LIMIT: 413,
    ERR_AGENT_INACTIVE: 403,
  }
  const status = byCode[err.code]
  if (status !== undefined) return status
  switch (err.family) {
    case 'verification':
    case 'policy':
    case 'input':
    case 'identity':
      return 400
    case 'environment':
      return 503
    default:
      return 500
  }
}

function errorResponse(status: number, code: ErrorCode, message: string): InboxResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify({ error: { code, message } }) }
}

/**
 * An inbox over `endpoint` with exactly the shape an HTTP framework can mount:
 * `(req: { body, contentType }) => Promise<{ status, contentType, body }>`.
 *
 * - `Content-Type` must be `application/didcomm-encrypted+json` (415 otherwise: `ERR_MSG_NOT_AUTHCRYPT` for
 *   the plaintext and signed DIDComm types, `ERR_MSG_MALFORMED` for anything else);
 * - a body over the cap is 413 `ERR_BODY_TOO_LARGE`;
 * - the endpoint's reply is 200 with the packed reply (`application/didcomm-encrypted+json`), or 202 with an
 *   empty body when there is none;
 * - a refusal is `{ "error": { "code", "message" } }` (`application/json`) with 400 (409 for
 *   `ERR_MSG_REPLAY`, 403 for `ERR_MSG_NO_SESSION`), 503 for an environment error (database locked), 500
 *   `ERR_INTERNAL` for a bug (its message is not sent).
 */
export function createInboxHandler(
  endpoint: MessageReceiver,
  options: InboxHandlerOptions = {},
): InboxHandler {
  if (typeof endpoint?.receive !== 'function') {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"endpoint" must have a receive(packed) method (an AgentEndpoint)',
    )
  }
  const maxBodyLength = options.maxBodyLength ?? MAX_MESSAGE_LENGTH
  return async (req) => {
    const type = req.contentType?.split(';')[0]?.trim().toLowerCase()
    if (type !== DIDCOMM_ENCRYPTED) {
      return type === DIDCOMM_PLAIN || type === DIDCOMM_SIGNED
        ? errorResponse(415, 'ERR_MSG_NOT_AUTHCRYPT', `${type} is not authcrypt: it is not acted on`)
        : errorResponse(415, 'ERR_MSG_MALFORMED', `Content-Type must be ${DIDCOMM_ENCRYPTED}`)
    }
    if (typeof req.body !== 'string' || req.body.length > maxBodyLength) {
      return errorResponse(413, 'ERR_BODY_TOO_LARGE', `the body is over ${maxBodyLength} characters`)
    }
    try {
      const reply = await endpoint.receive(req.body)
      return reply === undefined
        ? { status: 202, contentType: 'text/plain; charset=utf-8', body: '' }
        : { status: 200, contentType: DIDCOMM_ENCRYPTED, body: reply }
    } catch (err) {
      if (err instanceof TesseraError && err.code !== 'ERR_INTERNAL') {
        const status = inboxStatus(err)
        if (status >= 500) options.onError?.(err)
        return errorResponse(status, err.code, err.message)
      }
      options.onError?.(err)
      return errorResponse(500, 'ERR_INTERNAL', 'internal error')
    }
  }
}

/** Options of {@link listenInbox}. */
export interface ListenInboxOptions {
  handler: InboxHandler
  /** Default `127.0.0.1`. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** Default `/didcomm`. */
  path?: string
  /** Longest body read, in bytes; default 256 KiB + 1 (the handler refuses what is over its own cap). */
  maxBodyBytes?: number
}

/** A listening inbox. */
export interface InboxServer {
  /** Where peers send messages, e.g. `http://127.0.0.1:43117/didcomm`. */
  url: string
  close(): Promise<void>
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) over = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, response: InboxResponse): void {
  res.writeHead(response.status, {
    'content-type': response.contentType,
    'content-length': Buffer.byteLength(response.body),
    'cache-control': 'no-store',
  })
  res.end(response.body)
}

/**
 * Serve an inbox with node:http (POST `path` only; 404 elsewhere, 405 for other methods), on 127.0.0.1 by
 * default. For examples, tests and `tessera agent listen`; `tessera serve` mounts the handler in its own server.
 */
export async function listenInbox(options: ListenInboxOptions): Promise<InboxServer> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/didcomm'
  const maxBodyBytes = options.maxBodyBytes ?? MAX_MESSAGE_LENGTH + 1
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://inbox.invalid')
      if (url.pathname !== path) {
        send(res, errorResponse(404, 'ERR_NOT_FOUND', `no route ${url.pathname}`))
        return
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST')
        send(res, errorResponse(405, 'ERR_USAGE', `${path} takes POST`))
        return
      }
      const body = await readBody(req, maxBodyBytes)
      if (body === undefined) {
        send(res, errorResponse(413, 'ERR_BODY_TOO_LARGE', `the body is over ${maxBodyBytes} bytes`))
        return
      }
      send(res, await options.handler({ body, contentType: req.headers['content-type'] }))
    } catch {
      if (!res.headersSent) send(res, errorResponse(500, 'ERR_INTERNAL', 'internal error'))
      else res.destroy()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shown}:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
