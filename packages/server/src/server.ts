/**
 * The HTTP face of one organisation home: W3C VC-API (CCG) issuer and verifier endpoints, status list hosting,
 * challenges, DID resolution and authorization decisions, on Fastify 5.
 *
 * Boundaries: a body limit (413), bounded concurrency (429 with `Retry-After`), a JSON parser that caps depth
 * and refuses `__proto__` keys, a JSON Schema per body (400 with a code), admin endpoints behind a bearer token
 * (401/403), `{ error: { code, message } }` for every error (the VC-API verify routes answer with their own
 * result shape), never a stack trace, 404 `ERR_NOT_FOUND` for unknown routes. Every issuance, status change
 * and decision is in the home's audit log before the response is sent.
 */
import type { AddressInfo } from 'node:net'
import { EnvironmentError, InputError, TesseraError } from '@tessera/core'
import { parseJsonCapped } from '@tessera/credentials/offline'
import type { Home } from '@tessera/identity'
import { type TrustBundle, trustBundleHash } from '@tessera/policy'
import type { StatusListSource } from '@tessera/status'
import { type FastifyError, type FastifyInstance, type FastifyRequest, fastify } from 'fastify'
import { checkBearer, validateAdminTokenHash } from './admin-token.js'
import { type AuditQueue, createAuditQueue } from './audit-queue.js'
import { errorBody } from './errors.js'
import { registerIssuerRoutes } from './issuer-routes.js'
import { registerResolverRoute } from './resolver-route.js'
import {
  createStatusHost,
  type StatusBaseUrlOutcome,
  type StatusHost,
  settleStatusBaseUrl,
} from './status-host.js'
import { checkTls, selfSignedTls, type TlsMaterial } from './tls.js'
import { registerVerifierRoutes } from './verifier-routes.js'

/** Bounds on what one request may cost. */
export interface ServerLimits {
  /** Largest request body, in bytes (413 `ERR_BODY_TOO_LARGE` above it); default 1 MiB. */
  bodyLimit: number
  /** Most requests handled at once (429 `ERR_SERVER_BUSY` above it); default 64. */
  maxConcurrency: number
  /** The `Retry-After` of a 429, in seconds; default 1. */
  retryAfterSec: number
  /** Deepest JSON nesting accepted in a body; default 32. */
  maxJsonDepth: number
  /** Time allowed to receive a whole request (slow clients), in milliseconds; default 30,000. */
  requestTimeoutMs: number
}

/** Tessera's default server bounds. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  bodyLimit: 1024 * 1024,
  maxConcurrency: 64,
  retryAfterSec: 1,
  maxJsonDepth: 32,
  requestTimeoutMs: 30_000,
})

/**
 * A DIDComm v2 inbox (the messaging package provides one): the raw message in, the raw reply out. Mounted at
 * `POST /didcomm` for `application/didcomm-encrypted+json` and `application/didcomm-signed+json`.
 */
export type InboxHandler = (request: { body: string; contentType: string | undefined }) => Promise<{
  status: number
  contentType: string
  body: string
}>

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The organisation home the server speaks for (opened by the caller, who closes it). */
  home: Home
  /** The verifier's trust bundle, for `POST /authorize`; without one that route answers 404. */
  trust?: TrustBundle
  /** Where other issuers' status lists come from (directory or HTTPS sources of @tessera/status). */
  statusSources?: readonly StatusListSource[]
  /** SHA-256 of the admin token (`sha256:<hex>`, see `createAdminToken`); without one admin routes answer 403. */
  adminTokenHash?: string
  limits?: Partial<ServerLimits>
  inbox?: InboxHandler
  /**
   * The URL clients reach this server at (behind a proxy, a name instead of an address); default the address
   * it listens on. The status lists of a home with no credentials yet are based on `<publicUrl>/status`.
   */
  publicUrl?: string
  /**
   * The domains presentations may be bound to here (`aud`); the first is the default for challenges and
   * verification. Default: the host of the public URL.
   */
  domains?: readonly string[]
  /** How status lists are published and how long others' may be used offline. */
  statusLists?: { validForSec?: number; ttlMs?: number; maxStalenessMs?: number }
}

/** Options of {@link TesseraServer.listen}. */
export interface ListenOptions {
  /** Default `127.0.0.1`. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** HTTPS with this certificate and key, or a fresh self-signed certificate. */
  tls?: TlsMaterial | 'self-signed'
  /** Plain HTTP: only when asked for, explicitly. */
  insecureHttp?: boolean
}

/** What {@link TesseraServer.listen} reports. */
export interface Listening {
  url: string
  /** The base URL the home's status entries point to, and whether the server set it. */
  status: StatusBaseUrlOutcome
  domains: string[]
  /** The SHA-1 fingerprint of a self-signed certificate. */
  fingerprint?: string
}

/** A Tessera server: call `listen`, then `close` (which finishes in-flight requests). */
export interface TesseraServer {
  listen(options?: ListenOptions): Promise<Listening>
  /** Stop accepting requests, finish those in flight, write the last audit entries. Does not close the home. */
  close(): Promise<void>
  /** The URL it listens on, once listening. */
  readonly url: string | undefined
}

/** What every route handler shares. */
export interface ServerContext {
  home: Home
  trust: TrustBundle | undefined
  trustBundleHash: string | undefined
  status: StatusHost
  audit: AuditQueue
  /** The domains presentations may be bound to; the first is the default. */
  domains: () => string[]
  /** Throws 401/403 unless the request carries the admin token. */
  requireAdmin: (request: FastifyRequest) => void
  inbox: InboxHandler | undefined
}

const JSON_TYPES = ['application/json', 'application/ld+json']
/** DIDComm Messaging v2 §5 media types accepted at `POST /didcomm`. */
export const DIDCOMM_MEDIA_TYPES = ['application/didcomm-encrypted+json', 'application/didcomm-signed+json']
const PROTO_KEY = /"__proto__"\s*:/

function readLimits(limits: Partial<ServerLimits> | undefined): ServerLimits {
  const out = { ...DEFAULT_SERVER_LIMITS, ...limits }
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"limits.${name}" must be a positive integer, got ${String(value)}`,
      )
    }
  }
  return out
}

/** True when `text` has at most `max` opening brackets (`{`, `[`), counted with indexOf, stopping early. */
function fewerBracketsThan(text: string, max: number): boolean {
  let count = 0
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      if (++count > max) return false
    }
  }
  return true
}

function urlOf(protocol: 'http' | 'https', address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `${protocol}://${host}:${address.port}`
}

/**
 * Create a server over an open home. Nothing listens until `listen`; then the home's status base URL is
 * settled (see `settleStatusBaseUrl`: set to `<publicUrl>/status` when no credential carries a status entry
 * yet), status lists are published, and requests are answered.
 *
 * @throws InputError `ERR_INPUT_INVALID` for bad options.
 */
export function createServer(options: ServerOptions): TesseraServer {
  const { home } = options
  const limits = readLimits(options.limits)
  const adminTokenHash =
    options.adminTokenHash === undefined ? undefined : validateAdminTokenHash(options.adminTokenHash)
  if (options.inbox !== undefined && typeof options.inbox !== 'function') {
    throw new InputError('ERR_INPUT_INVALID', '"inbox" must be a function')
  }
  if (options.publicUrl !== undefined && !URL.canParse(options.publicUrl)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"publicUrl" must be a URL, got ${JSON.stringify(options.publicUrl)}`,
    )
  }
  let domains: string[] = options.domains === undefined ? [] : [...options.domains]
  if (home.hooks.record === undefined) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      'the home has no audit log: call enableAudit(home) before createServer',
    )
  }
  const trustHash = options.trust === undefined ? undefined : trustBundleHash(options.trust)

  let app: FastifyInstance | undefined
  let url: string | undefined
  let closing = false
  let inFlight = 0
  let status: StatusHost | undefined
  const audit = createAuditQueue(home)
  let isReady = false
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => {
    markReady = () => {
      isReady = true
      resolve()
    }
  })

  const context: ServerContext = {
    home,
    trust: options.trust,
    trustBundleHash: trustHash,
    get status(): StatusHost {
      if (status === undefined) throw new TesseraError('ERR_INTERNAL', 'the server is not listening')
      return status
    },
    audit,
    domains: () => domains,
    requireAdmin: (request) => {
      const outcome = checkBearer(request.headers.authorization, adminTokenHash)
      if (outcome === 'missing') {
        throw new InputError(
          'ERR_AUTH_REQUIRED',
          'this endpoint needs "Authorization: Bearer <admin token>" (tessera server token)',
        )
      }
      if (outcome === 'wrong') {
        throw new InputError(
          'ERR_AUTH_FORBIDDEN',
          adminTokenHash === undefined
            ? 'no admin token is configured for this server (tessera server token)'
            : "the bearer token is not this server's admin token",
        )
      }
    },
    inbox: options.inbox,
  }

  const build = (https: TlsMaterial | undefined): FastifyInstance => {
    const instance = fastify({
      logger: false,
      bodyLimit: limits.bodyLimit,
      requestTimeout: limits.requestTimeoutMs,
      return503OnClosing: false,
      forceCloseConnections: 'idle',
      routerOptions: { maxParamLength: 2048 },
      ajv: {
        customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false },
      },
      ...(https === undefined ? {} : { https: { cert: https.cert, key: https.key } }),
    } as Parameters<typeof fastify>[0]) as unknown as FastifyInstance

    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_request, text, done) => {
      const body = text as string
      if (body.length === 0) return done(null, undefined)
      if (PROTO_KEY.test(body)) {
        return done(
          new InputError('ERR_INPUT_INVALID', 'the body must not contain a "__proto__" member'),
          undefined,
        )
      }
      try {
        // Fewer opening brackets than the depth limit cannot nest deeper than it: skip the scan.
        done(
          null,
          fewerBracketsThan(body, limits.maxJsonDepth)
            ? JSON.parse(body)
            : parseJsonCapped(body, { maxDepth: limits.maxJsonDepth, maxLength: limits.bodyLimit }),
        )
      } catch (err) {
        const code = err instanceof TesseraError ? err.code : undefined
        done(
          new InputError(
            'ERR_INPUT_INVALID',
            code === 'ERR_SIZE_LIMIT' ? (err as Error).message : 'the body is not valid JSON',
          ),
          undefined,
        )
      }
    })
    if (options.inbox !== undefined) {
      instance.addContentTypeParser(DIDCOMM_MEDIA_TYPES, { parseAs: 'string' }, (_request, text, done) =>
        done(null, text),
      )
    }

    // Callback-style hooks: no promise per request on the hot path.
    instance.addHook('onRequest', (_request, reply, next) => {
      if (closing || inFlight >= limits.maxConcurrency) {
        const message = closing
          ? 'the server is shutting down'
          : `the server is handling ${limits.maxConcurrency} requests; retry after ${limits.retryAfterSec}s`
        if (closing) reply.header('connection', 'close')
        reply
          .code(closing ? 503 : 429)
          .header('retry-after', String(limits.retryAfterSec))
          .send(errorBody(new EnvironmentError('ERR_SERVER_BUSY', message)).body)
        return
      }
      inFlight++
      let done = false
      const release = () => {
        if (done) return
        done = true
        inFlight--
      }
      reply.raw.once('finish', release)
      reply.raw.once('close', release)
      if (isReady) next()
      else ready.then(() => next(), next)
    })

    // During a graceful close, answers to requests still in flight end their connection, so close() can finish.
    instance.addHook('onSend', (_request, reply, payload, next) => {
      if (closing) reply.header('connection', 'close')
      next(null, payload)
    })

    instance.setErrorHandler((error: FastifyError | TesseraError, _request, reply) => {
      if (error instanceof TesseraError) {
        const { status: code, body } = errorBody(error)
        if (code === 401) reply.header('www-authenticate', 'Bearer realm="tessera"')
        return reply.code(code).send(body)
      }
      const fastifyError = error as FastifyError
      let mapped: TesseraError
      let code = 400
      if (fastifyError.validation !== undefined) {
        mapped = new InputError(
          'ERR_INPUT_INVALID',
          `${fastifyError.validationContext ?? 'body'}: ${fastifyError.message}`,
        )
      } else if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        code = 413
        mapped = new InputError(
          'ERR_BODY_TOO_LARGE',
          `the body is over the limit of ${limits.bodyLimit} bytes`,
        )
      } else if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        code = 415
        mapped = new InputError('ERR_INPUT_INVALID', 'unsupported content type: send application/json')
      } else if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
        code = fastifyError.statusCode
        mapped = new InputError('ERR_INPUT_INVALID', fastifyError.message)
      } else {
        code = 500
        mapped = new TesseraError('ERR_INTERNAL', 'internal error')
      }
      return reply.code(code).send(errorBody(mapped).body)
    })

    instance.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .send(
          errorBody(
            new InputError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
          ).body,
        ),
    )

    registerIssuerRoutes(instance, context)
    registerVerifierRoutes(instance, context)
    registerResolverRoute(instance)
    if (options.inbox !== undefined) {
      const inbox = options.inbox
      instance.post('/didcomm', async (request, reply) => {
        if (typeof request.body !== 'string') {
          throw new InputError(
            'ERR_INPUT_INVALID',
            `send a DIDComm message as ${DIDCOMM_MEDIA_TYPES.join(' or ')}`,
          )
        }
        const answer = await inbox({ body: request.body, contentType: request.headers['content-type'] })
        return reply.code(answer.status).type(answer.contentType).send(answer.body)
      })
    }
    return instance
  }

  return {
    get url() {
      return url
    },
    async listen(listenOptions = {}) {
      if (app !== undefined) throw new InputError('ERR_INPUT_INVALID', 'the server is already listening')
      const { tls, insecureHttp } = listenOptions
      if (tls === undefined && insecureHttp !== true) {
        throw new InputError(
          'ERR_USAGE',
          'choose HTTPS (a certificate, or self-signed) or, explicitly, insecure HTTP',
        )
      }
      if (tls !== undefined && insecureHttp === true) {
        throw new InputError('ERR_USAGE', 'HTTPS and insecure HTTP are exclusive')
      }
      let material: TlsMaterial | undefined
      let fingerprint: string | undefined
      if (tls === 'self-signed') {
        const generated = await selfSignedTls()
        material = generated
        fingerprint = generated.fingerprint
      } else if (tls !== undefined) {
        checkTls(tls)
        material = tls
      }
      let instance: FastifyInstance
      try {
        instance = build(material)
      } catch (err) {
        if (err instanceof TesseraError) throw err
        throw new EnvironmentError('ERR_TLS_CONFIG', `the server cannot start: ${(err as Error).message}`, {
          cause: err,
        })
      }
      const host = listenOptions.host ?? '127.0.0.1'
      const port = listenOptions.port ?? 0
      try {
        await instance.listen({ host, port })
      } catch (err) {
        await instance.close().catch(() => undefined)
        throw new EnvironmentError('ERR_IO', `cannot listen on ${host}:${port}: ${(err as Error).message}`, {
          cause: err,
        })
      }
      app = instance
      url = urlOf(material === undefined ? 'http' : 'https', instance.server.address() as AddressInfo)
      const publicUrl = options.publicUrl ?? url
      if (domains.length === 0) domains = [new URL(publicUrl).host]
      let settled: StatusBaseUrlOutcome
      try {
        settled = await settleStatusBaseUrl(home, publicUrl)
        status = createStatusHost(home, {
          trust: options.trust,
          ...(options.statusSources === undefined ? {} : { sources: options.statusSources }),
          ...options.statusLists,
        })
        await status.publish()
      } catch (err) {
        closing = true
        markReady()
        await instance.close()
        throw err
      }
      markReady()
      return {
        url,
        status: settled,
        domains: [...domains],
        ...(fingerprint === undefined ? {} : { fingerprint }),
      }
    },
    async close() {
      if (app === undefined || closing) return
      closing = true
      markReady()
      await app.close()
      await audit.drain()
    },
  }
}
