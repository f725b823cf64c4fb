/** `tessera serve` as a user runs it: a subprocess that prints its URL on one line, answers, and stops on SIGTERM. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCli, tempDir } from './helpers.js'
import { unsignedCredential } from './server-helpers.js'

let temp: ReturnType<typeof tempDir>
let home: string
let trust: string
let orgDid: string

beforeAll(() => {
  temp = tempDir('server-cli')
  home = join(temp.dir, 'globex')
  trust = join(temp.dir, 'trust.json')
  const init = runCli(['init', '--org', 'Globex', '--home', home, '--json'])
  expect(init.code, init.stderr).toBe(0)
  orgDid = (init.json() as { org: { did: string } }).org.did
  const added = runCli([
    'trust',
    'add',
    '--file',
    trust,
    '--org',
    'Acme',
    '--issuer',
    'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    '--role',
    'support-agent',
    '--permission',
    'read:tickets/*',
    '--home',
    home,
  ])
  expect(added.code, added.stderr).toBe(0)
})
afterAll(() => temp.cleanup())

interface Started {
  child: ChildProcessWithoutNullStreams
  line: Record<string, unknown>
  stderr: () => string
  exited: Promise<number | null>
}

/** Start `tessera serve ...args`; resolves with the first stdout line parsed as JSON. */
function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'serve', '--home', home, '--trust', trust, '--json', ...args])
  let stdout = ''
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.stdout.on('data', (d) => {
      stdout += d
      const nl = stdout.indexOf('\n')
      if (nl !== -1) resolve({ child, line: JSON.parse(stdout.slice(0, nl)), stderr: () => stderr, exited })
    })
    child.on('close', (code) => reject(new Error(`tessera serve exited ${code}: ${stdout}${stderr}`)))
  })
}

describe('tessera serve (subprocess)', () => {
  it('mints an admin token once, starts, prints one JSON line with its URL, answers, and stops cleanly on SIGTERM', async () => {
    const minted = runCli(['server', 'token', '--home', home, '--json'])
    expect(minted.code, minted.stderr).toBe(0)
    const { token } = minted.json() as { token: string }
    expect(token).toMatch(/^tsa_[A-Za-z0-9_-]{43}$/)
    // only the hash is kept in the config
    const config = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(join(home, 'config.json'), 'utf8')),
    )
    expect(JSON.stringify(config)).not.toContain(token)
    expect(config.settings.serverAdminTokenHash).toMatch(/^sha256:[0-9a-f]{64}$/)

    const served = await start(['--insecure-http', '--port', '0'])
    const url = served.line.url as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(served.line).toMatchObject({ org: orgDid, statusBaseUrl: `${url}/status`, warnings: [] })

    const challenge = await fetch(`${url}/challenges`, { method: 'POST' })
    expect(challenge.status).toBe(200)
    const issued = await fetch(`${url}/credentials/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ credential: unsignedCredential(orgDid) }),
    })
    expect(issued.status).toBe(201)
    const forbidden = await fetch(`${url}/credentials/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tsa_wrong' },
      body: JSON.stringify({ credential: unsignedCredential(orgDid) }),
    })
    expect(forbidden.status).toBe(403)
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('ERR_AUTH_FORBIDDEN')

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    expect(served.stderr()).toContain('stopped')
    expect(served.stderr()).not.toMatch(/\n\s+at /)

    // what it did is in the home's audit log, readable once it is closed
    const audit = runCli(['audit', 'list', '--home', home, '--json'])
    expect((audit.json() as { type: string }[]).map((e) => e.type)).toContain('credential.issued')
    expect(runCli(['audit', 'verify', '--home', home]).code).toBe(0)
  })

  it('serves HTTPS with --tls-self-signed', async () => {
    const served = await start(['--tls-self-signed'])
    try {
      const url = served.line.url as string
      expect(url).toMatch(/^https:\/\//)
      expect(served.line.fingerprint).toMatch(/:/)
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${url}/1.0/identifiers/${orgDid}`, { rejectUnauthorized: false }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
      expect(status).toBe(200)
    } finally {
      served.child.kill('SIGINT')
      expect(await served.exited).toBe(0)
    }
  })

  it('refuses to start without an explicit transport, with two, or with an unreadable certificate', () => {
    const fails = (args: string[], exit: number, code: string) => {
      const run = runCli(['serve', '--home', home, '--trust', trust, '--json', ...args])
      expect(run.code, run.stdout + run.stderr).toBe(exit)
      expect((run.json() as { error: { code: string } }).error.code).toBe(code)
    }
    fails([], 2, 'ERR_USAGE')
    fails(['--insecure-http', '--tls-self-signed'], 2, 'ERR_USAGE')
    fails(['--tls-cert', join(temp.dir, 'missing.pem')], 2, 'ERR_USAGE')
    fails(
      ['--tls-cert', join(temp.dir, 'missing.pem'), '--tls-key', join(temp.dir, 'missing.key')],
      3,
      'ERR_TLS_CONFIG',
    )
    fails(['--insecure-http', '--port', '70000'], 2, 'ERR_USAGE')
    fails(['--insecure-http', '--max-concurrency', '0'], 2, 'ERR_USAGE')
  })
})
