import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Decision } from '@tessera/credentials'
import { credentialsMigrations } from '@tessera/credentials'
import { createAgentIdentity, type Home, initHome, openHome, transitionAgent } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entryHash, GENESIS_HASH } from './entry.js'
import { auditAgentTransitions, decisionAuditEntry } from './events.js'
import { appendAudit, auditMigrations, auditSize, getAuditEntry, listAudit, verifyAudit } from './store.js'

const migrations = [...credentialsMigrations, ...auditMigrations]
let root: string
let home: Home
let org: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-audit-store-'))
  await initHome({ dir: join(root, 'home'), org: 'Acme', env: {}, migrations })
  home = await openHome({ dir: join(root, 'home'), env: {}, migrations })
  org = home.org.did
})
afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

describe('appendAudit', () => {
  it('appends a batch in order, chained from the genesis hash', async () => {
    const stored = await appendAudit(home, [
      { actor: org, type: 'agent.created', subject: 'did:example:a', data: { name: 'A' } },
      { actor: org, type: 'role.granted', subject: 'did:example:a', data: { role: 'reader' } },
      { actor: org, type: 'status.published' },
    ])
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(stored[0]?.prevHash).toBe(GENESIS_HASH)
    expect(stored[1]?.prevHash).toBe(stored[0]?.leafHash)
    for (const entry of stored) expect(entryHash(entry)).toBe(entry.leafHash)
    expect(stored[2]).not.toHaveProperty('subject')
    expect(await getAuditEntry(home, 2)).toEqual(stored[1])
    expect(await getAuditEntry(home, 99)).toBeUndefined()
    expect(await auditSize(home)).toBe(3)
    expect(await appendAudit(home, [])).toEqual([])
  })

  it('checks every entry before writing any (ERR_INPUT_INVALID)', async () => {
    const before = await auditSize(home)
    await expect(
      appendAudit(home, [
        { actor: org, type: 'agent.created' },
        { actor: org, type: 'agent.exploded' as never },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID', message: expect.stringContaining('entry 1') })
    expect(await auditSize(home)).toBe(before)
  })

  it("joins the caller's transaction: the entries commit or roll back with the operation", async () => {
    const before = await auditSize(home)
    const challengeCount = async () =>
      ((await home.dataSource.query(`SELECT count(*) AS n FROM "tessera_challenge"`)) as { n: number }[])[0]
        ?.n
    const insertChallenge = (nonce: string) =>
      home.dataSource.query(
        `INSERT INTO "tessera_challenge" ("nonce", "domain", "created_at", "expires_at") VALUES (?, 'x', 0, 1)`,
        [nonce],
      )

    // the operation fails after the append: neither survives
    await expect(
      home.transaction(async () => {
        await insertChallenge('n1')
        await appendAudit(home, [{ actor: org, type: 'status.changed' }])
        throw new Error('operation failed')
      }),
    ).rejects.toThrow('operation failed')
    expect(await auditSize(home)).toBe(before)
    expect(await challengeCount()).toBe(0)

    // the audit write fails: the operation fails with it
    await expect(
      home.transaction(async () => {
        await insertChallenge('n2')
        await appendAudit(home, [{ actor: 'not a did', type: 'status.changed' }])
      }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
    expect(await challengeCount()).toBe(0)

    // the third insert of a batch fails and the caller swallows it and commits: the batch is all or nothing
    await home.dataSource.query(
      `CREATE TEMP TRIGGER "fail_audit" BEFORE INSERT ON "tessera_audit" WHEN NEW."data" LIKE '%boom%'
       BEGIN SELECT RAISE(ABORT, 'boom'); END`,
    )
    try {
      let failure: unknown
      await home.transaction(async () => {
        await insertChallenge('n0')
        const entry = (data: Record<string, string>) => ({
          actor: org,
          type: 'status.changed' as const,
          data,
        })
        failure = await appendAudit(home, [
          entry({ a: 'ok' }),
          entry({ b: 'ok' }),
          entry({ c: 'boom' }),
        ]).catch((err: unknown) => err)
      })
      expect(failure).toMatchObject({ code: 'ERR_DB_FAILURE' })
      expect(await challengeCount()).toBe(1) // the operation committed...
      expect(await auditSize(home)).toBe(before) // ...without any of the batch
    } finally {
      await home.dataSource.query(`DROP TRIGGER "fail_audit"`)
      await home.dataSource.query(`DELETE FROM "tessera_challenge"`)
    }

    // both succeed: both committed, in one transaction
    await home.transaction(async () => {
      await insertChallenge('n3')
      await appendAudit(home, [{ actor: org, type: 'status.changed', data: { nonce: 'n3' } }])
    })
    expect(await challengeCount()).toBe(1)
    expect((await listAudit(home, { order: 'desc', limit: 1 }))[0]?.data).toEqual({ nonce: 'n3' })
  })

  it('serializes concurrent appends in one process without forking the chain', async () => {
    const before = await auditSize(home)
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendAudit(home, [
          { actor: org, type: 'access.allowed', data: { i } },
          { actor: org, type: 'access.allowed', data: { i, second: true } },
        ]),
      ),
    )
    expect(await auditSize(home)).toBe(before + 40)
    expect((await verifyAudit(home)).ok).toBe(true)
  })

  it('logs agent transitions inside the transition (auditAgentTransitions)', async () => {
    auditAgentTransitions(home)
    auditAgentTransitions(home) // twice is a no-op
    const agent = await createAgentIdentity(home, { name: 'Bot', type: 'worker' })
    await transitionAgent(home, agent.did, 'suspend')
    await transitionAgent(home, agent.did, 'resume')
    await transitionAgent(home, agent.did, 'retire')
    const entries = await listAudit(home, { subject: agent.did })
    expect(entries.map((e) => [e.type, e.data])).toEqual([
      ['agent.suspended', { from: 'active', to: 'suspended' }],
      ['agent.resumed', { from: 'suspended', to: 'active' }],
      ['agent.retired', { from: 'active', to: 'retired' }],
    ])
    expect(entries.every((e) => e.actor === org)).toBe(true)
  })

  it('records decisions by hash and id, never the tokens (decisionAuditEntry)', async () => {
    const presentation = 'eyJhbGciOiJFZERTQSJ9.eyJ2cCI6e319.c2lnbmF0dXJlLWJ5dGVz'
    const decision: Decision = {
      verified: true,
      allowed: false,
      holder: 'did:example:holder',
      request: { action: 'delete', resource: 'tickets/1' },
      credentials: [
        {
          id: 'urn:uuid:1',
          issuer: org,
          org: 'Acme',
          role: 'reader',
          validUntil: undefined,
          permissions: [],
          effective: [],
        },
      ],
      checks: [],
      errors: [{ code: 'ERR_POLICY_DENIED', message: 'no permission covers delete on tickets/1' }],
      verifiedAt: new Date().toISOString(),
    }
    const input = decisionAuditEntry({
      decision,
      actor: org,
      presentation,
      trustBundleHash: 'ab'.repeat(32),
      statusListVersions: { 'https://acme.example/status/1': 7 },
    })
    const [stored] = await appendAudit(home, [input])
    expect(stored).toMatchObject({
      type: 'access.denied',
      subject: 'did:example:holder',
      data: {
        outcome: 'denied',
        action: 'delete',
        resource: 'tickets/1',
        credentialIds: ['urn:uuid:1'],
        reasons: ['ERR_POLICY_DENIED'],
        trustBundleHash: 'ab'.repeat(32),
        statusListVersions: { 'https://acme.example/status/1': 7 },
      },
    })
    expect(JSON.stringify(stored)).not.toContain(presentation)
    expect(
      decisionAuditEntry({ decision: { ...decision, allowed: undefined, request: undefined }, actor: org })
        .type,
    ).toBe('presentation.verified')
  })
})

describe('listAudit', () => {
  it('filters by seq, time, actor, type and subject, in either order', async () => {
    const all = await listAudit(home, { limit: 10_000 })
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
    expect((await listAudit(home, { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4])
    expect((await listAudit(home, { order: 'desc', limit: 1 }))[0]?.seq).toBe(all.length)
    expect((await listAudit(home, { type: ['agent.created', 'role.granted'] })).map((e) => e.seq)).toEqual([
      1, 2,
    ])
    expect((await listAudit(home, { subject: 'did:example:a' })).length).toBe(2)
    expect((await listAudit(home, { actor: 'did:example:nobody' })).length).toBe(0)
    expect((await listAudit(home, { since: new Date(Date.now() + 60_000) })).length).toBe(0)
    expect((await listAudit(home, { until: '2000-01-01T00:00:00Z' })).length).toBe(0)
    for (const bad of [
      { limit: 0 },
      { limit: 10_001 },
      { type: 'nope' as never },
      { since: 'soon' },
      { afterSeq: -1 },
    ]) {
      await expect(listAudit(home, bad)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
    }
  })
})
