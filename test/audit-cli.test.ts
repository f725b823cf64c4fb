import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runCli, runCliAsync, tempDir } from './helpers.js'

// better-sqlite3 as an attacker with write access to the database file would use it
const Database = createRequire(join(ROOT, 'packages/identity/package.json'))('better-sqlite3') as new (
  file: string,
) => { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void }

let temp: ReturnType<typeof tempDir>
let acme: string
let globex: string
let orgDid: string
const cli = (args: string[], exit = 0) => {
  const run = runCli([...args, '--json'])
  expect(run.code, run.stdout + run.stderr).toBe(exit)
  return run.json() as Record<string, unknown>
}
const file = (name: string) => join(temp.dir, name)

beforeAll(() => {
  temp = tempDir('audit-cli')
  acme = file('acme')
  globex = file('globex')
  orgDid = (cli(['init', '--org', 'Acme', '--home', acme]).org as { did: string }).did
  cli(['init', '--org', 'Globex', '--home', globex])
})
afterAll(() => temp.cleanup())

describe('audit log through the CLI', () => {
  it('records issuance, lifecycle, status and verifier decisions, without whole tokens', () => {
    const agent = cli(['agent', 'create', '--name', 'bot', '--type', 'support-agent', '--home', acme])
      .did as string
    const granted = cli([
      'role',
      'grant',
      '--agent',
      agent,
      '--role',
      'support-agent',
      '--permission',
      'read:tickets/*',
      '--out',
      file('bot.jwt'),
      '--home',
      acme,
    ])
    cli(['status', 'publish', '--out', file('status'), '--home', acme])
    cli([
      'trust',
      'add',
      '--file',
      file('trust.json'),
      '--org',
      'Acme',
      '--issuer',
      orgDid,
      '--role',
      'support-agent',
      '--permission',
      'read:*',
    ])
    const { challenge } = cli(['challenge', '--domain', 'g.example', '--home', globex]) as {
      challenge: string
    }
    cli([
      'present',
      '--agent',
      agent,
      '--credential',
      file('bot.jwt'),
      '--challenge',
      challenge,
      '--domain',
      'g.example',
      '--out',
      file('vp.jwt'),
      '--home',
      acme,
    ])
    const verify = (action: string, exit: number) =>
      cli(
        [
          'verify',
          '--presentation',
          file('vp.jwt'),
          '--domain',
          'g.example',
          '--trust',
          file('trust.json'),
          '--status-dir',
          file('status'),
          '--action',
          action,
          '--resource',
          'tickets/1',
          '--home',
          globex,
        ],
        exit,
      )
    verify('read', 0)
    verify('delete', 1)
    cli(['agent', 'suspend', agent, '--home', acme])

    const issuerLog = cli(['audit', 'list', '--home', acme]) as unknown as {
      type: string
      subject?: string
      data: Record<string, unknown>
    }[]
    expect(issuerLog.map((e) => e.type)).toEqual([
      'agent.created',
      'role.granted',
      'status.published',
      'status.changed',
      'agent.suspended',
    ])
    expect(issuerLog[1]?.data).toMatchObject({ credentialId: granted.id, role: 'support-agent' })

    const verifierLog = cli(['audit', 'list', '--home', globex]) as unknown as {
      type: string
      actor: string
      data: Record<string, unknown>
    }[]
    expect(verifierLog.map((e) => e.type)).toEqual(['access.allowed', 'access.denied'])
    expect(verifierLog[0]?.data).toMatchObject({ outcome: 'allowed', credentialIds: [granted.id] })
    expect(verifierLog[1]?.data).toMatchObject({ outcome: 'denied' })
    expect(JSON.stringify(verifierLog[1]?.data)).toContain('ERR_POLICY_DENIED')
    const raw = JSON.stringify(verifierLog)
    expect(raw).not.toContain(readFileSync(file('vp.jwt'), 'utf8').trim())
    expect(raw).not.toContain(readFileSync(file('bot.jwt'), 'utf8').trim())
    const filtered = cli([
      'audit',
      'list',
      '--type',
      'access.denied',
      '--home',
      globex,
    ]) as unknown as unknown[]
    expect(filtered).toHaveLength(1)
  })

  it('signs checkpoints, proves inclusion and consistency, verified by a third party with only the DID', () => {
    cli(['audit', 'checkpoint', '--out', file('cp-early.jwt'), '--home', acme])
    const early = cli(['audit', 'verify', '--home', acme]) as { size: number }
    cli(['agent', 'create', '--name', 'later', '--type', 'worker', '--home', acme])
    cli(['audit', 'prove', '--entry', '2', '--out', file('inclusion.json'), '--home', acme])
    cli([
      'audit',
      'prove-consistency',
      '--from',
      String(early.size),
      '--out',
      file('consistency.json'),
      '--home',
      acme,
    ])
    // the third party: no home, only the proof files, its kept checkpoint and Acme's DID
    expect(cli(['audit', 'verify-proof', '--proof', file('inclusion.json'), '--org', orgDid])).toMatchObject({
      ok: true,
    })
    expect(
      cli([
        'audit',
        'verify-proof',
        '--proof',
        file('consistency.json'),
        '--org',
        orgDid,
        '--checkpoint',
        file('cp-early.jwt'),
      ]),
    ).toMatchObject({ ok: true })
    // a flipped bit in the proof fails
    const proof = JSON.parse(readFileSync(file('inclusion.json'), 'utf8')) as { proof: string[] }
    const first = proof.proof[0] ?? ''
    proof.proof[0] = `${first[0] === '0' ? '1' : '0'}${first.slice(1)}`
    writeFileSync(file('bad-inclusion.json'), JSON.stringify(proof))
    expect(
      cli(['audit', 'verify-proof', '--proof', file('bad-inclusion.json'), '--org', orgDid], 1),
    ).toMatchObject({ ok: false })
    // exports re-verify alone
    cli(['audit', 'export', '--format', 'jsonl', '--out', file('export.jsonl'), '--home', acme])
    expect(
      cli([
        'audit',
        'verify-export',
        '--file',
        file('export.jsonl'),
        '--org',
        orgDid,
        '--checkpoint',
        file('cp-early.jwt'),
      ]),
    ).toMatchObject({ ok: true })
  })

  it('detects an entry edited in the SQLite file (exit 1, naming it) and a truncation against a kept checkpoint', () => {
    const db = new Database(join(acme, 'tessera.db'))
    try {
      db.prepare(
        `UPDATE tessera_audit SET data = replace(data, 'support-agent', 'admin') WHERE seq = 2`,
      ).run()
    } finally {
      db.close()
    }
    const tampered = cli(['audit', 'verify', '--home', acme], 1) as {
      ok: boolean
      firstBad: { seq: number; reason: string }
    }
    expect(tampered.firstBad).toMatchObject({ seq: 2, reason: 'hash-mismatch' })

    const home2 = file('acme2')
    const did2 = (cli(['init', '--org', 'Acme2', '--home', home2]).org as { did: string }).did
    cli(['agent', 'create', '--name', 'a', '--type', 'worker', '--home', home2])
    cli(['agent', 'create', '--name', 'b', '--type', 'worker', '--home', home2])
    cli(['audit', 'checkpoint', '--out', file('cp2.jwt'), '--home', home2])
    const db2 = new Database(join(home2, 'tessera.db'))
    try {
      db2.prepare('DELETE FROM tessera_audit_checkpoint').run()
      db2.prepare('DELETE FROM tessera_audit WHERE seq = 2').run()
    } finally {
      db2.close()
    }
    expect(cli(['audit', 'verify', '--home', home2])).toMatchObject({ ok: true }) // without the kept checkpoint
    const truncated = cli(['audit', 'verify', '--checkpoint', file('cp2.jwt'), '--home', home2], 1) as {
      firstBad: { reason: string }
    }
    expect(truncated.firstBad.reason).toBe('truncated')
    expect(did2).toMatch(/^did:key:/)
  })

  it('keeps one unforked chain when several CLI processes write to the same home at once', async () => {
    const home3 = file('busy')
    cli(['init', '--org', 'Busy', '--home', home3])
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        runCliAsync(['agent', 'create', '--name', `p${i}`, '--type', 'worker', '--home', home3, '--json']),
      ),
    )
    for (const run of runs) expect(run.code, run.stderr).toBe(0)
    const report = cli(['audit', 'verify', '--home', home3]) as { ok: boolean; size: number }
    expect(report).toMatchObject({ ok: true, size: 6 })
  })
})
