/**
 * Where a verifier gets published status list credentials from (Bitstring Status List v1.0 §3.2 step 4,
 * "dereference the statusListCredential URL"): a directory of files an issuer published or a sync job copied,
 * or HTTPS. A source only retrieves: the cache (`createStatusCache`) verifies everything a source returns, so
 * a source never has to be trusted, only bounded (every read is capped before it is buffered).
 */
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError, VerificationError } from '@tessera/core'
import { describeValue, statusError } from './errors.js'

/**
 * Largest list credential a source reads by default: 1 MiB, checked before the bytes are buffered. A
 * 131,072-entry list is a few hundred bytes when sparse and about 30 KB when incompressible; 1 MiB holds an
 * incompressible list of over 4 million entries.
 */
export const DEFAULT_MAX_LIST_BYTES = 1024 * 1024

/** Default time allowed for one HTTP retrieval, headers and body, in milliseconds. */
export const DEFAULT_FETCH_TIMEOUT_MS = 5_000

/** A published status list credential as a source delivered it; not yet verified. */
export interface FetchedStatusList {
  /** The compact JWS (`vc+jwt`) as published, surrounding whitespace removed. */
  readonly token: string
  /**
   * When this copy was obtained from the issuer: the verifier's staleness is measured from it. A directory
   * reports the file's modification time (a synced copy is as old as the sync that wrote it), HTTP the time
   * of the response.
   */
  readonly fetchedAt: Date
  /** Where it came from (a file path or a URL), for messages. */
  readonly location: string
}

/** What the cache passes to a source on each retrieval. */
export interface StatusListSourceContext {
  /** The cache's clock: a source with no better time reports it as `fetchedAt`, and never a later one. */
  readonly now: Date
}

/**
 * A place published status list credentials are retrieved from. `load` resolves with the published token or
 * rejects with a `VerificationError` `ERR_STATUS_RETRIEVAL` (`details.reason` says why: `not-found`,
 * `not-served`, `too-large`, `http-status`, `timeout`, `network`, `io`); the cache then tries its next source.
 */
export interface StatusListSource {
  /** A short description for messages, e.g. `directory /var/lib/tessera/status`. */
  readonly name: string
  load(listId: string, context: StatusListSourceContext): Promise<FetchedStatusList>
}

/** File names a list id may map to: one path segment, no dot files, nothing a path could escape with. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/

/**
 * The file name a list credential is published under: the last path segment of its id
 * (`https://acme.tessera.invalid/status/1-revocation` → `1-revocation`), or undefined when the id has none
 * that is a safe file name (percent-encoding, dot segments, an empty last segment).
 */
export function listFileName(listId: string): string | undefined {
  if (typeof listId !== 'string' || !URL.canParse(listId)) return undefined
  const path = new URL(listId).pathname
  const name = path.slice(path.lastIndexOf('/') + 1)
  return FILE_NAME.test(name) && name !== '.' && name !== '..' ? name : undefined
}

/** Options of {@link directorySource}. */
export interface DirectorySourceOptions {
  /** Serve only list ids starting with this prefix (one directory per issuer); default: any id. */
  prefix?: string
  /** Largest file read, in bytes; default {@link DEFAULT_MAX_LIST_BYTES}. */
  maxBytes?: number
}

/**
 * Status list credentials published as files in `dir`, each named after the last path segment of its id
 * (`<dir>/1-revocation` for `https://acme.tessera.invalid/status/1-revocation`), holding the compact JWS.
 * `fetchedAt` is the file's modification time (never later than the cache's clock): a directory kept up to
 * date by a sync job ages when the job stops, and the cache's staleness limit then applies.
 *
 * Two issuers may publish the same file name; give each its own directory and `prefix`. A file holding
 * another list is refused by the cache (its `id` must be the id asked for).
 *
 * Rejects with `ERR_STATUS_RETRIEVAL`: no such file (`not-found`), an id outside `prefix` or with no usable
 * file name (`not-served`), not a regular file or larger than `maxBytes` (`too-large`), a read error (`io`).
 */
export function directorySource(dir: string, options: DirectorySourceOptions = {}): StatusListSource {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', `"dir" must be a directory path, got ${describeValue(dir)}`)
  }
  const root = resolve(dir)
  const maxBytes = readMaxBytes(options.maxBytes)
  const prefix = options.prefix
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length === 0)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"prefix" must be a non-empty string, got ${describeValue(prefix)}`,
    )
  }
  const name = `directory ${root}`
  return {
    name,
    async load(listId, context) {
      if (prefix !== undefined && !listId.startsWith(prefix)) {
        throw retrieval(listId, 'not-served', `${name} serves only lists under ${prefix}`)
      }
      const fileName = listFileName(listId)
      if (fileName === undefined) {
        throw retrieval(listId, 'not-served', `the list id has no last path segment usable as a file name`)
      }
      const path = join(root, fileName)
      let handle: FileHandle
      try {
        // O_NOFOLLOW: the published file itself, not wherever a symbolic link in the directory points.
        handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (code === 'ENOENT') throw retrieval(listId, 'not-found', `${path} does not exist`, { cause: err })
        throw retrieval(listId, 'io', `${path} cannot be opened: ${(err as Error).message}`, { cause: err })
      }
      try {
        const stat = await handle.stat()
        if (!stat.isFile()) throw retrieval(listId, 'io', `${path} is not a regular file`)
        if (stat.size > maxBytes) {
          throw retrieval(
            listId,
            'too-large',
            `${path} is ${stat.size} bytes, over the limit of ${maxBytes}`,
            {
              details: { limit: maxBytes },
            },
          )
        }
        // Read at most maxBytes + 1 whatever the size said: the file may grow between stat and read.
        const buffer = Buffer.alloc(maxBytes + 1)
        let length = 0
        while (length < buffer.length) {
          const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
          if (bytesRead === 0) break
          length += bytesRead
        }
        if (length > maxBytes) {
          throw retrieval(listId, 'too-large', `${path} is over the limit of ${maxBytes} bytes`, {
            details: { limit: maxBytes },
          })
        }
        const nowMs = context.now.getTime()
        return {
          token: buffer.toString('utf8', 0, length).trim(),
          fetchedAt: new Date(Math.min(stat.mtimeMs, nowMs)),
          location: path,
        }
      } catch (err) {
        if (isRetrievalError(err)) throw err
        throw retrieval(listId, 'io', `${path} cannot be read: ${(err as Error).message}`, { cause: err })
      } finally {
        await handle.close()
      }
    },
  }
}

/** Options of {@link httpSource}. */
export interface HttpSourceOptions {
  /** The fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch
  /**
   * Where to fetch list ids from, by id prefix: `{ 'https://acme.tessera.invalid/status/':
   * 'https://mirror.example/acme/' }` fetches `.../status/1-revocation` from `https://mirror.example/acme/1-revocation`
   * (the longest matching prefix wins). With a map, ids under no prefix are not fetched at all (`not-served`),
   * so credentials cannot make the verifier request arbitrary URLs; without one, the id itself is fetched.
   */
  urlMap?: Readonly<Record<string, string>>
  /** Time allowed for one retrieval, headers and body, in milliseconds; default 5,000. */
  timeoutMs?: number
  /** Largest body read, in bytes; default {@link DEFAULT_MAX_LIST_BYTES}. */
  maxBytes?: number
  /**
   * Allow plain `http:` to loopback hosts (`127.0.0.0/8`, `[::1]`, `localhost`), for tests and local
   * mirrors. Anything else must be `https:`. Default false.
   */
  allowHttp?: boolean
}

/**
 * Status list credentials retrieved over HTTPS (GET, `Accept: application/vc+jwt`, redirects refused, a
 * timeout, the body capped at `maxBytes` while it streams in). `fetchedAt` is the cache's clock at the
 * response.
 *
 * Rejects with `ERR_STATUS_RETRIEVAL`: an id outside `urlMap` or a URL that is not `https:` (`not-served`), a
 * status other than 200 (`http-status`, `details.status`), a body over `maxBytes` (`too-large`), no answer in
 * `timeoutMs` (`timeout`), any other network failure or a redirect (`network`).
 */
export function httpSource(options: HttpSourceOptions = {}): StatusListSource {
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') {
    throw new InputError('ERR_INPUT_INVALID', `"fetch" must be a function, got ${describeValue(fetchImpl)}`)
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"timeoutMs" must be a positive integer of milliseconds, got ${describeValue(timeoutMs)}`,
    )
  }
  const maxBytes = readMaxBytes(options.maxBytes)
  const allowHttp = options.allowHttp === true
  const mappings = readUrlMap(options.urlMap, allowHttp)

  return {
    name: mappings === undefined ? 'https' : `https (${mappings.map(([from]) => from).join(', ')})`,
    async load(listId, context) {
      const url = targetUrl(listId, mappings)
      if (url === undefined) throw retrieval(listId, 'not-served', 'no "urlMap" prefix matches the list id')
      const problem = urlProblem(url, allowHttp)
      if (problem !== undefined) throw retrieval(listId, 'not-served', `${url}: ${problem}`)

      const signal = AbortSignal.timeout(timeoutMs)
      let response: Response
      try {
        response = await fetchImpl(url, {
          method: 'GET',
          headers: { accept: 'application/vc+jwt' },
          redirect: 'error',
          signal,
        })
      } catch (err) {
        throw networkError(listId, url, err, signal, timeoutMs)
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined)
        throw retrieval(listId, 'http-status', `GET ${url} answered ${response.status}`, {
          details: { status: response.status },
        })
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN)
      if (declared > maxBytes) {
        await response.body?.cancel().catch(() => undefined)
        throw retrieval(
          listId,
          'too-large',
          `GET ${url} declares ${declared} bytes, over the limit of ${maxBytes}`,
          {
            details: { limit: maxBytes },
          },
        )
      }
      let body: Buffer
      try {
        body = await readCapped(response, maxBytes)
      } catch (err) {
        if (isRetrievalError(err)) {
          throw retrieval(listId, 'too-large', `GET ${url}: ${err.message}`, { details: { limit: maxBytes } })
        }
        throw networkError(listId, url, err, signal, timeoutMs)
      }
      return { token: body.toString('utf8').trim(), fetchedAt: context.now, location: url }
    },
  }
}

/** Read a response body, refusing it as soon as it passes `maxBytes` (a body need not declare its length). */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const body = response.body
  if (body === null) return Buffer.alloc(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw statusError('ERR_STATUS_RETRIEVAL', `the body is over the limit of ${maxBytes} bytes`, {
        details: { reason: 'too-large', limit: maxBytes },
      })
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, length)
}

function networkError(
  listId: string,
  url: string,
  err: unknown,
  signal: AbortSignal,
  timeoutMs: number,
): VerificationError {
  if (signal.aborted) {
    return retrieval(listId, 'timeout', `GET ${url} took longer than ${timeoutMs} ms`, { cause: err })
  }
  const cause = (err as { cause?: { message?: unknown } }).cause
  const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : ''
  return retrieval(listId, 'network', `GET ${url} failed: ${(err as Error).message}${detail}`, { cause: err })
}

function targetUrl(listId: string, mappings: readonly [string, string][] | undefined): string | undefined {
  if (mappings === undefined) return listId
  for (const [from, to] of mappings) {
    if (listId.startsWith(from)) return to + listId.slice(from.length)
  }
  return undefined
}

/** Why `url` may not be fetched, or undefined when it may. */
function urlProblem(url: string, allowHttp: boolean): string | undefined {
  if (!URL.canParse(url)) return 'not a URL'
  const parsed = new URL(url)
  if (parsed.username !== '' || parsed.password !== '') return 'credentials in the URL are refused'
  if (parsed.protocol === 'https:') return undefined
  if (parsed.protocol === 'http:' && allowHttp) {
    return isLoopback(parsed.hostname) ? undefined : 'plain http is allowed only to loopback hosts'
  }
  return allowHttp ? 'only https: (or http: to a loopback host) is fetched' : 'only https: is fetched'
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/** The `urlMap` as [from, to] pairs, longest prefix first; targets checked once, here. */
function readUrlMap(
  urlMap: Readonly<Record<string, string>> | undefined,
  allowHttp: boolean,
): [string, string][] | undefined {
  if (urlMap === undefined) return undefined
  if (typeof urlMap !== 'object' || urlMap === null || Array.isArray(urlMap)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"urlMap" must be an object of prefixes, got ${describeValue(urlMap)}`,
    )
  }
  const pairs: [string, string][] = []
  for (const [from, to] of Object.entries(urlMap)) {
    if (from.length === 0 || typeof to !== 'string') {
      throw new InputError('ERR_INPUT_INVALID', `"urlMap" must map non-empty prefixes to URL prefixes`)
    }
    const problem = urlProblem(to, allowHttp)
    if (problem !== undefined) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"urlMap[${JSON.stringify(from)}]" ${JSON.stringify(to)}: ${problem}`,
      )
    }
    pairs.push([from, to])
  }
  return pairs.sort((a, b) => b[0].length - a[0].length)
}

function readMaxBytes(value: number | undefined): number {
  const maxBytes = value ?? DEFAULT_MAX_LIST_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > 256 * 1024 * 1024) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"maxBytes" must be an integer from 1 to ${256 * 1024 * 1024}, got ${describeValue(maxBytes)}`,
    )
  }
  return maxBytes
}

function retrieval(
  listId: string,
  reason: string,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): VerificationError {
  return statusError('ERR_STATUS_RETRIEVAL', `status list ${listId} could not be retrieved: ${message}`, {
    cause: options.cause,
    details: { listId, reason, ...options.details },
  })
}

function isRetrievalError(err: unknown): err is VerificationError {
  return err instanceof VerificationError && err.code === 'ERR_STATUS_RETRIEVAL'
}
