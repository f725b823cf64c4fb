/**
 * Status list sources against real files in a temp directory and a real node:http server on 127.0.0.1. A source
 * only retrieves bytes (the cache verifies them), so the tokens here are arbitrary text.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TesseraError } from '@tessera/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { directorySource, httpSource, listFileName, type StatusListSource } from './fetch.js'

const NOW = new Date('2026-03-01T12:00:00Z')
const LIST = 'https://acme.tessera.invalid/status/1-revocation'
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJpZCI6IjEifQ.c2lnbmF0dXJl'

/** Runs `load`, asserting it rejects with a TesseraError with `code` and `details.reason`. */
async function expectRefused(
  source: StatusListSource,
  listId: string,
  code: string,
  reason: string,
  now = NOW,
): Promise<TesseraError> {
  let caught: unknown
  try {
    await source.load(listId, { now })
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(TesseraError)
  const err = caught as TesseraError
  expect(err.code).toBe(code)
  expect(err.details).toMatchObject({ listId, reason })
  if (code === 'ERR_STATUS_RETRIEVAL') expect(err.details?.specError).toBe('STATUS_RETRIEVAL_ERROR')
  return err
}

describe('listFileName', () => {
  it('is the last path segment of the list id', () => {
    expect(listFileName(LIST)).toBe('1-revocation')
    expect(listFileName('https://x.example/a/b/status.jwt?v=2#list')).toBe('status.jwt')
  })

  it.each([
    ['no last segment', 'https://x.example/status/'],
    ['a dot segment', 'https://x.example/status/%2E%2E'],
    ['percent-encoding', 'https://x.example/status/a%2Fb'],
    ['a dot file', 'https://x.example/status/.hidden'],
    ['not a URL', 'status/1'],
  ])('is undefined for %s', (_, id) => {
    expect(listFileName(id)).toBeUndefined()
  })
})

describe('directorySource', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-status-fetch-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads the file named after the last path segment, with its modification time as fetchedAt', async () => {
    writeFileSync(join(dir, '1-revocation'), `${TOKEN}\n`)
    const written = new Date('2026-03-01T11:00:00Z')
    utimesSync(join(dir, '1-revocation'), written, written)
    const fetched = await directorySource(dir).load(LIST, { now: NOW })
    expect(fetched).toEqual({ token: TOKEN, fetchedAt: written, location: join(dir, '1-revocation') })
  })

  it('never reports a fetchedAt later than the clock', async () => {
    writeFileSync(join(dir, '1-revocation'), TOKEN)
    utimesSync(join(dir, '1-revocation'), new Date('2027-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))
    expect((await directorySource(dir).load(LIST, { now: NOW })).fetchedAt).toEqual(NOW)
  })

  it('refuses a missing file (ERR_STATUS_RETRIEVAL, not-found)', async () => {
    await expectRefused(directorySource(dir), LIST, 'ERR_STATUS_RETRIEVAL', 'not-found')
  })

  it('refuses a file over maxBytes before reading it (ERR_STATUS_RETRIEVAL, too-large)', async () => {
    writeFileSync(join(dir, '1-revocation'), 'x'.repeat(1025))
    const err = await expectRefused(
      directorySource(dir, { maxBytes: 1024 }),
      LIST,
      'ERR_STATUS_RETRIEVAL',
      'too-large',
    )
    expect(err.details?.limit).toBe(1024)
    writeFileSync(join(dir, '1-revocation'), 'x'.repeat(1024))
    expect((await directorySource(dir, { maxBytes: 1024 }).load(LIST, { now: NOW })).token).toHaveLength(1024)
  })

  it('refuses ids with no safe file name, outside its prefix, directories and symbolic links', async () => {
    const source = directorySource(dir, { prefix: 'https://acme.tessera.invalid/status/' })
    await expectRefused(
      source,
      'https://acme.tessera.invalid/status/%2E%2E',
      'ERR_STATUS_RETRIEVAL',
      'not-served',
    )
    await expectRefused(
      source,
      'https://globex.example/status/1-revocation',
      'ERR_STATUS_RETRIEVAL',
      'not-served',
    )
    mkdirSync(join(dir, '2-revocation'))
    await expectRefused(
      source,
      'https://acme.tessera.invalid/status/2-revocation',
      'ERR_STATUS_RETRIEVAL',
      'io',
    )
    writeFileSync(join(dir, 'elsewhere'), TOKEN)
    symlinkSync(join(dir, 'elsewhere'), join(dir, '3-revocation'))
    await expectRefused(
      source,
      'https://acme.tessera.invalid/status/3-revocation',
      'ERR_STATUS_RETRIEVAL',
      'io',
    )
  })

  it('throws ERR_INPUT_INVALID for bad options', () => {
    expect(() => directorySource('')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }))
    expect(() => directorySource(dir, { maxBytes: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
    expect(() => directorySource(dir, { prefix: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
  })
})

describe('httpSource against a local server', () => {
  /** What the server answers per path. */
  const routes = new Map<string, (res: ServerResponse) => void>()
  const requests: { url: string | undefined; accept: string | undefined }[] = []
  let server: Server
  let origin: string

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url, accept: req.headers.accept })
      const route = routes.get(req.url ?? '')
      if (route === undefined) {
        res.writeHead(404).end('not found')
        return
      }
      route(res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    routes.set('/status/1-revocation', (res) => {
      res.writeHead(200, { 'content-type': 'application/vc+jwt' }).end(`${TOKEN}\n`)
    })
    routes.set('/status/500', (res) => {
      res.writeHead(500).end('boom')
    })
    routes.set('/status/big-declared', (res) => {
      res.writeHead(200, { 'content-length': '2048' }).end('x'.repeat(2048))
    })
    routes.set('/status/big-chunked', (res) => {
      // No content-length: the cap must hold while the body streams in.
      res.writeHead(200)
      for (let i = 0; i < 8; i++) res.write('x'.repeat(512))
      res.end()
    })
    routes.set('/status/redirect', (res) => {
      res.writeHead(302, { location: '/status/1-revocation' }).end()
    })
    routes.set('/status/slow', () => {
      // never answers
    })
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const mapped = (options: Parameters<typeof httpSource>[0] = {}) =>
    httpSource({
      urlMap: { 'https://acme.tessera.invalid/status/': `${origin}/status/` },
      allowHttp: true,
      maxBytes: 1024,
      timeoutMs: 2_000,
      ...options,
    })
  const id = (name: string) => `https://acme.tessera.invalid/status/${name}`

  it('fetches the mapped URL and reports the clock as fetchedAt', async () => {
    const fetched = await mapped().load(LIST, { now: NOW })
    expect(fetched).toEqual({ token: TOKEN, fetchedAt: NOW, location: `${origin}/status/1-revocation` })
    expect(requests.at(-1)).toEqual({ url: '/status/1-revocation', accept: 'application/vc+jwt' })
  })

  it('uses the injected fetch', async () => {
    const seen: string[] = []
    const source = mapped({
      fetch: (input, init) => {
        seen.push(String(input))
        return globalThis.fetch(input, init)
      },
    })
    expect((await source.load(LIST, { now: NOW })).token).toBe(TOKEN)
    expect(seen).toEqual([`${origin}/status/1-revocation`])
  })

  it('refuses a 404 and a 500 (ERR_STATUS_RETRIEVAL, http-status)', async () => {
    const missing = await expectRefused(mapped(), id('2-revocation'), 'ERR_STATUS_RETRIEVAL', 'http-status')
    expect(missing.details?.status).toBe(404)
    const failing = await expectRefused(mapped(), id('500'), 'ERR_STATUS_RETRIEVAL', 'http-status')
    expect(failing.details?.status).toBe(500)
  })

  it('refuses a body over maxBytes, declared or streamed (ERR_STATUS_RETRIEVAL, too-large)', async () => {
    const declared = await expectRefused(mapped(), id('big-declared'), 'ERR_STATUS_RETRIEVAL', 'too-large')
    expect(declared.details?.limit).toBe(1024)
    await expectRefused(mapped(), id('big-chunked'), 'ERR_STATUS_RETRIEVAL', 'too-large')
    expect((await mapped({ maxBytes: 4096 }).load(id('big-chunked'), { now: NOW })).token).toHaveLength(4096)
  })

  it('refuses redirects and gives up after timeoutMs (ERR_STATUS_RETRIEVAL)', async () => {
    await expectRefused(mapped(), id('redirect'), 'ERR_STATUS_RETRIEVAL', 'network')
    const started = Date.now()
    await expectRefused(mapped({ timeoutMs: 200 }), id('slow'), 'ERR_STATUS_RETRIEVAL', 'timeout')
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  it('fetches only ids under a urlMap prefix, and only https (or http to loopback when allowed)', async () => {
    await expectRefused(mapped(), 'https://globex.example/status/1', 'ERR_STATUS_RETRIEVAL', 'not-served')
    // Without a map the id itself is fetched, and it must be https.
    await expectRefused(httpSource(), `${origin}/status/1-revocation`, 'ERR_STATUS_RETRIEVAL', 'not-served')
    await expectRefused(
      httpSource({ allowHttp: true }),
      'http://192.0.2.1/status/1-revocation',
      'ERR_STATUS_RETRIEVAL',
      'not-served',
    )
    expect(
      (await httpSource({ allowHttp: true }).load(`${origin}/status/1-revocation`, { now: NOW })).token,
    ).toBe(TOKEN)
  })

  it('throws ERR_INPUT_INVALID for bad options', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INPUT_INVALID' })
    expect(() => httpSource({ urlMap: { 'https://a.example/': 'http://a.example/' } })).toThrow(invalid)
    expect(() =>
      httpSource({ urlMap: { 'https://a.example/': 'http://10.0.0.1/' }, allowHttp: true }),
    ).toThrow(invalid)
    expect(() => httpSource({ timeoutMs: 0 })).toThrow(invalid)
    expect(() => httpSource({ maxBytes: -1 })).toThrow(invalid)
  })
})
