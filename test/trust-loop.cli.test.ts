import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Decision } from '@tessera/credentials'
import { expect } from 'vitest'
import { runCli } from './helpers.js'
import { defineTrustLoopSuite } from './scenarios/trust-loop.js'

function cli(args: string[], expectExit = 0): Record<string, unknown> {
  const run = runCli([...args, '--json'])
  expect(run.code, run.stdout + run.stderr).toBe(expectExit)
  return run.json() as Record<string, unknown>
}

let counter = 0

defineTrustLoopSuite('CLI subprocess', () => ({
  init: async (home, org) => (cli(['init', '--org', org, '--home', home]).org as { did: string }).did,
  createAgent: async (home, name, type) =>
    cli(['agent', 'create', '--name', name, '--type', type, '--home', home]).did as string,
  suspend: async (home, did) => {
    cli(['agent', 'suspend', did, '--home', home])
  },
  grant: async (home, agent, role, permissions, options = {}) => {
    const out = join(home, `..`, `cred-${++counter}.jwt`)
    const args = ['role', 'grant', '--agent', agent, '--role', role, '--home', home, '--out', out]
    for (const p of permissions) args.push('--permission', p)
    if (options.validFrom) args.push('--valid-from', options.validFrom)
    if (options.validFor) args.push('--valid-for', options.validFor)
    return cli(args).jwt as string
  },
  grantFails: async (home, agent, role, permissions) => {
    const args = ['role', 'grant', '--agent', agent, '--role', role, '--home', home]
    for (const p of permissions) args.push('--permission', p)
    return (cli(args, 2).error as { code: string }).code
  },
  restrictRole: async (home, role, types) => {
    cli(['role', 'restrict', '--role', role, ...types.flatMap((t) => ['--type', t]), '--home', home])
  },
  trustAdd: async (file, org, issuer, role, permissions) => {
    cli([
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
      ...permissions.flatMap((p) => ['--permission', p]),
    ])
  },
  trustRemove: async (file, org) => {
    cli(['trust', 'remove', '--file', file, '--org', org])
  },
  publish: async (home, dir) => {
    cli(['status', 'publish', '--out', dir, '--home', home])
  },
  changeStatus: async (home, credentialId, action) => {
    const run = runCli(['status', action, '--credential', credentialId, '--home', home, '--json'])
    if (run.code === 0) return undefined
    expect(run.code).toBe(2)
    return (run.json() as { error: { code: string } }).error.code
  },
  challenge: async (home, domain) =>
    cli(['challenge', '--domain', domain, '--home', home]).challenge as string,
  present: async (home, agent, credentials, challenge, domain) => {
    const files = credentials.map((jwt) => {
      const file = join(home, '..', `in-${++counter}.jwt`)
      writeFileSync(file, jwt)
      return file
    })
    return cli([
      'present',
      '--agent',
      agent,
      ...files.flatMap((f) => ['--credential', f]),
      '--challenge',
      challenge,
      '--domain',
      domain,
      '--home',
      home,
    ]).presentation as string
  },
  verify: async (home, o) => {
    const file = join(home, '..', `vp-${++counter}.jwt`)
    writeFileSync(file, o.presentation)
    const args = [
      'verify',
      '--presentation',
      file,
      '--domain',
      o.domain,
      '--trust',
      o.trust,
      '--home',
      home,
      '--json',
      '--status-dir',
      o.statusDir,
    ]
    if (o.challenge) args.push('--challenge', o.challenge)
    if (o.action) args.push('--action', o.action, '--resource', o.resource ?? '')
    const run = runCli(args)
    expect([0, 1], run.stdout + run.stderr).toContain(run.code)
    return { decision: run.json() as Decision, exitCode: run.code ?? -1 }
  },
}))
