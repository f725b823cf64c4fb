/**
 * `tessera verify` keeps the status lists it verified in the verifier's home: Globex verifies once with Acme's
 * published folder, then offline from its home with the folder gone, then sees Acme's revocation in a newer
 * folder, and an old copy of Acme's lists cannot roll the revocation back. CLI subprocesses, real homes.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Decision } from '@tessera/credentials'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, tempDir } from './helpers.js'

function cli(args: string[], expectExit = 0): Record<string, unknown> {
  const run = runCli([...args, '--json'])
  expect(run.code, run.stdout + run.stderr).toBe(expectExit)
  return run.json() as Record<string, unknown>
}

const idOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { id: string }).id

describe('tessera verify keeps verified status lists in the home', () => {
  const domain = 'api.globex.example'
  let temp: ReturnType<typeof tempDir>
  let acme: string
  let globex: string
  let trust: string
  let agent: string
  let credential: string
  let counter = 0

  beforeAll(() => {
    temp = tempDir('status-persist')
    acme = join(temp.dir, 'acme')
    globex = join(temp.dir, 'globex')
    trust = join(temp.dir, 'trust.json')
    const acmeDid = (cli(['init', '--org', 'Acme', '--home', acme]).org as { did: string }).did
    cli(['init', '--org', 'Globex', '--home', globex])
    agent = cli(['agent', 'create', '--name', 'bot', '--type', 'support-agent', '--home', acme]).did as string
    credential = cli([
      'role',
      'grant',
      '--agent',
      agent,
      '--role',
      'support-agent',
      '--permission',
      'read:tickets/*',
      '--home',
      acme,
    ]).jwt as string
    cli([
      'trust',
      'add',
      '--file',
      trust,
      '--org',
      'Acme',
      '--issuer',
      acmeDid,
      '--role',
      'support-agent',
      '--permission',
      'read:tickets/*',
    ])
  })
  afterAll(() => temp.cleanup())

  /** A fresh challenge from Globex, a presentation by Acme's agent, and Globex's decision. */
  function verify(statusDir?: string): { decision: Decision; code: number | null } {
    const challenge = cli(['challenge', '--domain', domain, '--home', globex]).challenge as string
    const credentialFile = join(temp.dir, `cred-${++counter}.jwt`)
    writeFileSync(credentialFile, credential)
    const presentation = cli([
      'present',
      '--agent',
      agent,
      '--credential',
      credentialFile,
      '--challenge',
      challenge,
      '--domain',
      domain,
      '--home',
      acme,
    ]).presentation as string
    const file = join(temp.dir, `vp-${counter}.jwt`)
    writeFileSync(file, presentation)
    const args = ['verify', '--presentation', file, '--domain', domain, '--trust', trust]
    args.push('--challenge', challenge, '--action', 'read', '--resource', 'tickets/1', '--home', globex)
    if (statusDir !== undefined) args.push('--status-dir', statusDir)
    const run = runCli([...args, '--json'])
    expect([0, 1], run.stdout + run.stderr).toContain(run.code)
    return { decision: run.json() as Decision, code: run.code }
  }
  const codes = (d: Decision) => d.errors.map((e) => e.code)

  it('verifies offline from the home cache, then follows a newer list, and refuses a rollback', () => {
    const first = join(temp.dir, 'status-1')
    cli(['status', 'publish', '--out', first, '--home', acme])
    const online = verify(first)
    expect(codes(online.decision)).toEqual([])
    expect(online.decision.allowed).toBe(true)

    const oldCopy = join(temp.dir, 'status-old')
    cpSync(first, oldCopy, { recursive: true })
    rmSync(first, { recursive: true, force: true })
    const offline = verify()
    expect(codes(offline.decision)).toEqual([])
    expect(offline.decision.allowed).toBe(true)
    expect(offline.code).toBe(0)

    cli(['status', 'revoke', '--credential', idOf(credential), '--home', acme])
    const second = join(temp.dir, 'status-2')
    cli(['status', 'publish', '--out', second, '--home', acme])
    const revoked = verify(second)
    expect(revoked.decision.allowed).toBe(false)
    expect(codes(revoked.decision)).toEqual(['ERR_STATUS_REVOKED'])
    expect(revoked.code).toBe(1)

    // The newer list was saved: offline, and against the old copy (a rollback), it stays revoked.
    expect(codes(verify().decision)).toEqual(['ERR_STATUS_REVOKED'])
    expect(codes(verify(oldCopy).decision)).toEqual(['ERR_STATUS_REVOKED'])
  })
})
