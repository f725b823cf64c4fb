/**
 * `tessera agent listen` and `tessera agent send` as subprocesses, as a user would run them: two organisation
 * homes, a listener on 127.0.0.1, allowed, denied and refused requests with their exit codes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCli, runCliAsync, tempDir } from './helpers.js'

let root: { dir: string; cleanup: () => void }
const at = (name: string) => join(root.dir, name)
let bot: string
let desk: string
let listener: ChildProcess
let url: string
const stderr: string[] = []

function ok(args: string[], home: string): unknown {
  const run = runCli([...args, '--home', home, '--json'])
  if (run.code !== 0) throw new Error(`tessera ${args.join(' ')}: ${run.stdout}${run.stderr}`)
  return run.json()
}

beforeAll(async () => {
  root = tempDir('messaging-cli')
  const acme = at('acme')
  const globex = at('globex')
  const acmeOrg = (ok(['init', '--org', 'Acme'], acme) as { org: { did: string } }).org.did
  const globexOrg = (ok(['init', '--org', 'Globex'], globex) as { org: { did: string } }).org.did
  bot = (ok(['agent', 'create', '--name', 'bot', '--type', 'support-agent'], acme) as { did: string }).did
  desk = (ok(['agent', 'create', '--name', 'desk', '--type', 'partner-desk'], globex) as { did: string }).did
  const grant = ['role', 'grant', '--permission']
  ok(
    [
      ...grant,
      'read:tickets/*',
      '--permission',
      'delete:tickets/*',
      '--agent',
      bot,
      '--role',
      'support-agent',
    ],
    acme,
  )
  ok([...grant, 'read:orders/*', '--agent', desk, '--role', 'partner-desk', '--out', at('desk.jwt')], globex)
  ok(['status', 'publish', '--out', at('acme-status')], acme)
  ok(['status', 'publish', '--out', at('globex-status')], globex)
  const trust = (file: string, org: string, issuer: string, role: string, permission: string, home: string) =>
    ok(
      [
        'trust',
        'add',
        '--file',
        file,
        '--org',
        org,
        '--issuer',
        issuer,
        '--role',
        role,
        '--permission',
        permission,
      ],
      home,
    )
  trust(at('globex-trust.json'), 'Acme', acmeOrg, 'support-agent', 'read:tickets/*', globex)
  trust(at('acme-trust.json'), 'Globex', globexOrg, 'partner-desk', 'read:orders/*', acme)
  // a bundle in which Acme trusts only a stranger
  const stranger = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
  trust(at('stranger-trust.json'), 'Initech', stranger, 'auditor', 'read:reports/*', acme)

  listener = spawn(process.execPath, [
    CLI,
    'agent',
    'listen',
    '--agent',
    desk,
    '--trust',
    at('globex-trust.json'),
    '--status-dir',
    at('acme-status'),
    '--home',
    globex,
    '--json',
  ])
  listener.stderr?.on('data', (d) => stderr.push(String(d)))
  url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: listener.stdout as NodeJS.ReadableStream })
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url))
    listener.once('exit', (code) => reject(new Error(`listen exited ${code}: ${stderr.join('')}`)))
  })
})

afterAll(() => {
  if (listener.exitCode === null) listener.kill('SIGTERM')
  root.cleanup()
})

const send = (action: string, resource: string, more: string[] = []) =>
  runCliAsync([
    'agent',
    'send',
    '--agent',
    bot,
    '--to',
    desk,
    '--endpoint',
    url,
    '--action',
    action,
    '--resource',
    resource,
    '--trust',
    at('acme-trust.json'),
    '--status-dir',
    at('globex-status'),
    '--home',
    at('acme'),
    '--json',
    ...more,
  ])

describe('tessera agent listen / agent send', () => {
  it('listen prints its inbox URL on one line when ready', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/didcomm$/)
  })

  it("send: handshake, one allowed request, the listener's reply; exit 0", async () => {
    const run = await send('read', 'tickets/42', ['--body', '{"q":1}'])
    expect(run.code).toBe(0)
    expect(run.json()).toMatchObject({
      handshake: 'accepted',
      request: { action: 'read', resource: 'tickets/42' },
      allowed: true,
      reply: { handledBy: desk, peer: bot, action: 'read', resource: 'tickets/42', body: { q: 1 } },
      grantedBy: { role: 'support-agent' },
    })
  })

  it("send: a request beyond the listener's ceiling is denied; exit 1 with ERR_POLICY_DENIED", async () => {
    const run = await send('delete', 'tickets/42')
    expect(run.code).toBe(1)
    expect(run.json()).toMatchObject({ allowed: false, code: 'ERR_POLICY_DENIED' })
  })

  it('send: when this side does not trust the peer, the handshake is refused here; exit 1', async () => {
    const args = ['agent', 'send', '--agent', bot, '--to', desk, '--endpoint', url, '--action', 'read']
    const run = await runCliAsync([
      ...args,
      '--resource',
      'tickets/1',
      '--trust',
      at('stranger-trust.json'),
      '--status-dir',
      at('globex-status'),
      '--home',
      at('acme'),
      '--json',
    ])
    expect(run.code).toBe(1)
    expect(run.json()).toMatchObject({
      handshake: 'refused',
      reason: 'ERR_TRUST_ISSUER_UNKNOWN',
      refusedBy: bot,
    })
  })

  it('send: errors keep their codes and exit codes', async () => {
    // an agent with no usable credential in the register
    const lonely = (ok(['agent', 'create', '--name', 'lonely', '--type', 'x'], at('acme')) as { did: string })
      .did
    const none = await runCliAsync([
      'agent',
      'send',
      '--agent',
      lonely,
      '--to',
      desk,
      '--endpoint',
      url,
      '--action',
      'read',
      '--resource',
      'tickets/1',
      '--trust',
      at('acme-trust.json'),
      '--home',
      at('acme'),
      '--json',
    ])
    expect([none.code, (none.json() as { error: { code: string } }).error.code]).toEqual([
      2,
      'ERR_CREDENTIAL_NOT_FOUND',
    ])
    // nobody listens there
    const closed = await send('read', 'tickets/1', ['--endpoint', 'http://127.0.0.1:9/didcomm'])
    expect([closed.code, (closed.json() as { error: { code: string } }).error.code]).toEqual([
      3,
      'ERR_TRANSPORT',
    ])
    // a wildcard is not a request
    const wild = await send('read', 'tickets/*')
    expect([wild.code, (wild.json() as { error: { code: string } }).error.code]).toEqual([
      2,
      'ERR_PERMISSION_INVALID',
    ])
    const badPort = runCli([
      'agent',
      'listen',
      '--agent',
      desk,
      '--trust',
      at('globex-trust.json'),
      '--port',
      'x',
    ])
    expect(badPort.code).toBe(2)
  })

  it('listen logs each decision and stops on SIGTERM with a summary; exit 0', async () => {
    const exited = new Promise<number | null>((resolve) => listener.once('exit', resolve))
    const out: string[] = []
    listener.stdout?.on('data', (d) => out.push(String(d)))
    listener.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(JSON.parse(out.join(''))).toMatchObject({
      url,
      stopped: true,
      handshakes: 2,
      allowed: 1,
      denied: 1,
    })
    const log = stderr.join('')
    expect(log).toContain(`handshake accepted ${bot}`)
    expect(log).toContain(`request   denied  delete:tickets/42 from ${bot}  ERR_POLICY_DENIED`)
  })
})

describe('tessera serve --didcomm-agent', () => {
  it("mounts the agent's inbox at POST /didcomm beside the VC-API; send works against it; SIGTERM exits 0", async () => {
    const served = spawn(process.execPath, [
      CLI,
      'serve',
      '--insecure-http',
      '--didcomm-agent',
      desk,
      '--trust',
      at('globex-trust.json'),
      '--status-dir',
      at('acme-status'),
      '--home',
      at('globex'),
      '--json',
    ])
    const logs: string[] = []
    served.stderr?.on('data', (d) => logs.push(String(d)))
    try {
      const line = await new Promise<{ url: string; didcomm: string; agent: string }>((resolve, reject) => {
        const lines = createInterface({ input: served.stdout as NodeJS.ReadableStream })
        lines.once('line', (text) => resolve(JSON.parse(text)))
        served.once('exit', (code) => reject(new Error(`serve exited ${code}: ${logs.join('')}`)))
      })
      expect(line).toMatchObject({ didcomm: `${line.url}/didcomm`, agent: desk })
      const allowed = await send('read', 'tickets/7', ['--endpoint', line.didcomm])
      expect(allowed.code).toBe(0)
      expect(allowed.json()).toMatchObject({
        handshake: 'accepted',
        allowed: true,
        reply: { handledBy: desk },
      })
      const denied = await send('delete', 'tickets/7', ['--endpoint', line.didcomm])
      expect([denied.code, (denied.json() as { code: string }).code]).toEqual([1, 'ERR_POLICY_DENIED'])
      // the VC-API answers on the same server
      const resolved = await fetch(`${line.url}/1.0/identifiers/${encodeURIComponent(desk)}`)
      expect(resolved.status).toBe(200)
    } finally {
      const exited = new Promise<number | null>((resolve) => served.once('exit', resolve))
      served.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })
})
