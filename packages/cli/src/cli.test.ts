import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, tempDir } from '../../../test/helpers.js'

let temp: ReturnType<typeof tempDir>
let home: string
const ok = (args: string[]) => {
  const run = runCli([...args, '--home', home, '--json'])
  expect(run.code, run.stdout + run.stderr).toBe(0)
  return run.json() as Record<string, unknown>
}
const fails = (args: string[], exit: number, code: string) => {
  const run = runCli([...args, '--home', home, '--json'])
  expect(run.code, run.stdout + run.stderr).toBe(exit)
  const body = run.json() as { error: { code: string; message: string } }
  expect(body.error.code).toBe(code)
  expect(body.error.message.length).toBeGreaterThan(0)
  expect(run.stderr).not.toMatch(/\n\s+at /) // no stack trace
  return body.error
}

beforeAll(() => {
  temp = tempDir('cli')
  home = join(temp.dir, 'acme')
})
afterAll(() => temp.cleanup())

describe('tessera CLI (subprocess, --json)', () => {
  it('init creates the home, and refuses to overwrite it (exit 2)', () => {
    const created = ok(['init', '--org', 'Acme'])
    expect(created).toMatchObject({ home, org: { name: 'Acme' } })
    expect((created.org as { did: string }).did).toMatch(/^did:key:z6Mk/)
    fails(['init', '--org', 'Again'], 2, 'ERR_HOME_EXISTS')
  })

  it('agent create / show / list with filters', () => {
    const bot = ok([
      'agent',
      'create',
      '--name',
      'Helpdesk',
      '--type',
      'support-agent',
      '--owner',
      'ops',
      '--meta',
      '{"tier":1}',
    ])
    expect(bot).toMatchObject({
      name: 'Helpdesk',
      type: 'support-agent',
      owner: 'ops',
      status: 'active',
      metadata: { tier: 1 },
    })
    const analyst = ok(['agent', 'create', '--name', 'Analyst', '--type', 'data-analyst'])
    expect(ok(['agent', 'show', bot.did as string])).toEqual(bot)
    const all = ok(['agent', 'list']) as unknown as { did: string }[]
    expect(all.map((a) => a.did)).toEqual([bot.did, analyst.did])
    const analysts = ok(['agent', 'list', '--type', 'data-analyst']) as unknown as { did: string }[]
    expect(analysts.map((a) => a.did)).toEqual([analyst.did])
    expect(ok(['agent', 'list', '--status', 'suspended'])).toEqual([])
  })

  it('agent suspend / resume / retire, refusing illegal transitions', () => {
    const a = ok(['agent', 'create', '--name', 'Crawler', '--type', 'web-crawler'])
    const did = a.did as string
    expect(ok(['agent', 'suspend', did]).status).toBe('suspended')
    fails(['agent', 'suspend', did], 2, 'ERR_AGENT_TRANSITION')
    expect(ok(['agent', 'resume', did]).status).toBe('active')
    expect(ok(['agent', 'retire', did]).status).toBe('retired')
    fails(['agent', 'resume', did], 2, 'ERR_AGENT_TRANSITION')
    const retired = ok(['agent', 'list', '--status', 'retired']) as unknown as { did: string }[]
    expect(retired.map((r) => r.did)).toContain(did)
  })

  it('did resolve prints the DID document offline, and rejects malformed DIDs', () => {
    const a = ok(['agent', 'create', '--name', 'R', '--type', 'worker'])
    const doc = ok(['did', 'resolve', a.did as string])
    expect(doc.id).toBe(a.did)
    expect((doc.verificationMethod as { type: string }[])[0]?.type).toBe('Multikey')
    fails(['did', 'resolve', 'did:key:z6MkBAD0'], 2, 'ERR_DID_INVALID')
    fails(['did', 'resolve', 'did:web:example.com'], 2, 'ERR_DID_METHOD_NOT_SUPPORTED')
  })

  it('reports bad input with exit 2 and a code', () => {
    fails(['agent', 'create', '--name', 'X', '--type', 'Bad Type'], 2, 'ERR_INPUT_INVALID')
    fails(['agent', 'create', '--name', 'X', '--type', 'ok', '--meta', '{nope'], 2, 'ERR_INPUT_INVALID')
    fails(['agent', 'list', '--status', 'sleeping'], 2, 'ERR_INPUT_INVALID')
    fails(
      ['agent', 'show', 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH'],
      2,
      'ERR_AGENT_NOT_FOUND',
    )
    fails(['agent', 'create', '--type', 'ok'], 2, 'ERR_USAGE')
    fails(['agent', 'frobnicate'], 2, 'ERR_USAGE')
    fails(['nonsense'], 2, 'ERR_USAGE')
  })

  it('reports environment problems with exit 3: missing home, wrong or malformed secret, unreadable secret file', () => {
    const missing = runCli(['agent', 'list', '--home', join(temp.dir, 'nowhere'), '--json'])
    expect(missing.code).toBe(3)
    expect((missing.json() as { error: { code: string } }).error.code).toBe('ERR_HOME_NOT_FOUND')
    const wrong = runCli(['agent', 'list', '--home', home, '--json'], {
      env: { TESSERA_SECRET: 'ab'.repeat(32) },
    })
    expect(wrong.code).toBe(3)
    expect((wrong.json() as { error: { code: string } }).error.code).toBe('ERR_KEYSTORE_LOCKED')
    const bad = runCli(['agent', 'list', '--home', home, '--json'], { env: { TESSERA_SECRET: 'xyz' } })
    expect(bad.code).toBe(3)
    expect((bad.json() as { error: { code: string } }).error.code).toBe('ERR_SECRET_INVALID')
    chmodSync(join(home, 'secret.key'), 0o644)
    try {
      const loose = runCli(['agent', 'list', '--home', home, '--json'])
      expect(loose.code).toBe(3)
      expect((loose.json() as { error: { code: string } }).error.code).toBe('ERR_SECRET_INVALID')
    } finally {
      chmodSync(join(home, 'secret.key'), 0o600)
    }
  })

  it('uses TESSERA_HOME when --home is absent', () => {
    const run = runCli(['agent', 'list', '--json'], { env: { TESSERA_HOME: home } })
    expect(run.code).toBe(0)
    expect(Array.isArray(run.json())).toBe(true)
  })

  it('prints human output without stack traces', () => {
    const run = runCli(['agent', 'list', '--home', home])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^DID\s+NAME\s+TYPE\s+STATUS\s+OWNER/)
    const err = runCli(['agent', 'show', 'did:key:nope', '--home', home])
    expect(err.code).toBe(2)
    expect(err.stdout).toBe('')
    expect(err.stderr).toMatch(/^tessera: .*\[ERR_(DID_INVALID|AGENT_NOT_FOUND)\]\n$/)
  })
})

describe('tessera CLI: issuer and verifier commands (subprocess, --json)', () => {
  it('org show, role grant/list, trust add/show, status show; bad input gets a code', () => {
    const org = ok(['org', 'show']).org as { did: string; name: string }
    expect(org.name).toBe('Acme')
    const agent = ok(['agent', 'create', '--name', 'Lister', '--type', 'support-agent']).did as string
    const granted = ok([
      'role',
      'grant',
      '--agent',
      agent,
      '--role',
      'viewer',
      '--permission',
      'read:docs/*',
      '--valid-for',
      '2h',
    ])
    const listed = ok(['role', 'list', '--agent', agent]) as unknown as {
      id: string
      role: string
      jwt?: string
    }[]
    expect(listed.map((c) => c.id)).toEqual([granted.id])
    expect(listed[0]?.jwt).toBeUndefined() // the list never prints whole credentials
    const status = ok(['status', 'show', '--credential', granted.id as string])
    expect(status).toMatchObject({ revoked: false, suspended: false })

    const trustFile = join(temp.dir, 'trust.json')
    const runTrust = (args: string[]) => runCli([...args, '--json'])
    expect(
      runTrust([
        'trust',
        'add',
        '--file',
        trustFile,
        '--org',
        'Acme',
        '--issuer',
        org.did,
        '--role',
        'viewer',
        '--permission',
        'read:*',
      ]).code,
    ).toBe(0)
    const shown = runTrust(['trust', 'show', '--file', trustFile])
    expect(shown.code).toBe(0)
    expect(shown.json()).toMatchObject({
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      bundle: { organisations: { Acme: { issuers: [org.did] } } },
    })

    fails(
      ['role', 'grant', '--agent', agent, '--role', 'viewer', '--permission', 'read docs'],
      2,
      'ERR_PERMISSION_INVALID',
    )
    fails(
      [
        'role',
        'grant',
        '--agent',
        agent,
        '--role',
        'viewer',
        '--permission',
        'read:x',
        '--valid-for',
        'forever',
      ],
      2,
      'ERR_DURATION_INVALID',
    )
    fails(
      ['status', 'publish', '--out', join(temp.dir, 'pub'), '--base-url', 'http://acme.example/status'],
      2,
      'ERR_INPUT_INVALID',
    )
    fails(['status', 'show', '--credential', 'urn:uuid:nope'], 2, 'ERR_CREDENTIAL_NOT_FOUND')
    fails(['audit', 'prove', '--entry', '0'], 2, 'ERR_INPUT_INVALID')
    const badTrust = runTrust(['trust', 'show', '--file', join(temp.dir, 'missing.json')])
    expect(badTrust.code).toBe(3)
    expect((badTrust.json() as { error: { code: string } }).error.code).toBe('ERR_IO')
    const usage = runCli([
      'verify',
      '--presentation',
      trustFile,
      '--domain',
      'd',
      '--trust',
      trustFile,
      '--action',
      'read',
      '--no-audit',
      '--json',
    ])
    expect(usage.code).toBe(2)
    expect((usage.json() as { error: { code: string } }).error.code).toBe('ERR_USAGE')
  })
})
