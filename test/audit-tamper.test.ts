/**
 * An attacker with write access to the home's SQLite file (but not its secret key) edits the audit tables
 * directly, through their own better-sqlite3 connection, while the home is open. Every edit must be found:
 * by the log alone where the chain shows it, by a checkpoint the verifier kept where only that can.
 */
import { cpSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import {
  type AuditEntry,
  appendAudit,
  auditMigrations,
  createCheckpoint,
  entryHash,
  GENESIS_HASH,
  proveInclusion,
  verifyAudit,
  verifyCheckpoint,
  verifyLog,
  verifyProofFile,
} from '@tessera/audit'
import { credentialsMigrations } from '@tessera/credentials'
import { DATABASE_FILE, type Home, initHome, openHome } from '@tessera/identity'
import type BetterSqlite3 from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './helpers.js'

// better-sqlite3 is a dependency of @tessera/identity, not of the workspace root.
const Database = createRequire(join(ROOT, 'packages/identity/package.json'))(
  'better-sqlite3',
) as typeof BetterSqlite3

const migrations = [...credentialsMigrations, ...auditMigrations]
const SIZE = 30
let temp: ReturnType<typeof tempDir>
let template: string
let copies = 0
const open: { home: Home; db: BetterSqlite3.Database }[] = []

interface Row {
  seq: number
  time: string
  actor: string
  type: string
  subject: string | null
  data: string
  prev_hash: string
  leaf_hash: string
}

beforeAll(async () => {
  temp = tempDir('audit-tamper')
  template = join(temp.dir, 'template')
  await initHome({ dir: template, org: 'Acme', env: {}, migrations })
  const home = await openHome({ dir: template, env: {}, migrations })
  for (let i = 0; i < SIZE; i++) {
    await appendAudit(home, [
      {
        actor: home.org.did,
        type: i % 2 ? 'access.denied' : 'access.allowed',
        subject: `did:example:agent-${i % 4}`,
        data: { action: 'read', resource: `payroll/${i}`, outcome: i % 2 ? 'denied' : 'allowed' },
      },
    ])
  }
  await home.close()
})
afterEach(async () => {
  for (const { home, db } of open.splice(0)) {
    db.close()
    await home.close()
  }
})
afterAll(() => temp.cleanup())

/** A fresh copy of the populated home, opened by Tessera, and the attacker's own connection to its file. */
async function victim(): Promise<{ home: Home; db: BetterSqlite3.Database; kept: string }> {
  const dir = join(temp.dir, `copy-${copies++}`)
  cpSync(template, dir, { recursive: true })
  const home = await openHome({ dir, env: {}, migrations })
  // the verifier (an auditor, a partner) keeps the checkpoint the organisation published
  const kept = (await createCheckpoint(home)).token
  const db = new Database(join(dir, DATABASE_FILE))
  open.push({ home, db })
  return { home, db, kept }
}

const rows = (db: BetterSqlite3.Database): Row[] =>
  db.prepare(`SELECT * FROM tessera_audit ORDER BY seq`).all() as Row[]

function toEntry(row: Row): AuditEntry {
  const entry: AuditEntry = {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    type: row.type as AuditEntry['type'],
    data: JSON.parse(row.data),
    prevHash: row.prev_hash,
  }
  if (row.subject !== null) entry.subject = row.subject
  return entry
}

/** What an attacker who knows the format does: recompute every hash and the chain from `fromSeq` on. */
function rechain(db: BetterSqlite3.Database, fromSeq: number): void {
  const update = db.prepare(`UPDATE tessera_audit SET prev_hash = ?, leaf_hash = ? WHERE seq = ?`)
  let prev = GENESIS_HASH
  for (const row of rows(db)) {
    if (row.seq >= fromSeq) {
      const hash = entryHash({ ...toEntry(row), prevHash: prev })
      update.run(prev, hash, row.seq)
      prev = hash
    } else {
      prev = row.leaf_hash
    }
  }
}

describe('tampering with the SQLite file', () => {
  it('an edited entry: hash-mismatch; with its hash recomputed: chain-broken at the next', async () => {
    const { home, db } = await victim()
    db.prepare(`UPDATE tessera_audit SET data = ? WHERE seq = 10`).run(
      '{"action":"read","outcome":"allowed"}',
    )
    expect(await verifyAudit(home)).toMatchObject({
      ok: false,
      size: 9,
      firstBad: { seq: 10, reason: 'hash-mismatch' },
      error: { code: 'ERR_AUDIT_TAMPERED' },
    })
    await expect(proveInclusion(home, { seq: 10 })).rejects.toMatchObject({ code: 'ERR_AUDIT_TAMPERED' })
    const row = rows(db)[9] as Row
    db.prepare(`UPDATE tessera_audit SET leaf_hash = ? WHERE seq = 10`).run(entryHash(toEntry(row)))
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 11, reason: 'chain-broken' })
  })

  it('a deleted entry: seq-gap', async () => {
    const { home, db } = await victim()
    db.prepare(`DELETE FROM tessera_audit WHERE seq = 12`).run()
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 12, reason: 'seq-gap' })
  })

  it('an inserted entry (later ones renumbered): hash-mismatch at the first one moved', async () => {
    const { home, db } = await victim()
    db.prepare(`UPDATE tessera_audit SET seq = seq + 1000000 WHERE seq >= 10`).run()
    db.prepare(`UPDATE tessera_audit SET seq = seq - 999999 WHERE seq >= 1000000`).run()
    const prev = (rows(db)[8] as Row).leaf_hash
    const forged: AuditEntry = {
      seq: 10,
      time: (rows(db)[8] as Row).time,
      actor: home.org.did,
      type: 'access.allowed',
      subject: 'did:example:mallory',
      data: { action: 'read', resource: 'payroll/all', outcome: 'allowed' },
      prevHash: prev,
    }
    const insert = db.prepare(`INSERT OR REPLACE INTO tessera_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    const columns = [10, forged.time, forged.actor, forged.type, forged.subject] as const
    // written with canonical data and the right hashes, the forged entry itself verifies: the one it displaced does not
    insert.run(
      ...columns,
      '{"action":"read","outcome":"allowed","resource":"payroll/all"}',
      prev,
      entryHash(forged),
    )
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 11, reason: 'hash-mismatch' })
    // written clumsily (data not in canonical form), it is found itself
    insert.run(...columns, JSON.stringify(forged.data), prev, entryHash(forged))
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 10, reason: 'hash-mismatch' })
  })

  it('two entries swapped: reordered', async () => {
    const { home, db } = await victim()
    db.prepare(`UPDATE tessera_audit SET seq = 1000000 WHERE seq = 14`).run()
    db.prepare(`UPDATE tessera_audit SET seq = 14 WHERE seq = 15`).run()
    db.prepare(`UPDATE tessera_audit SET seq = 15 WHERE seq = 1000000`).run()
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 14, reason: 'reordered' })
    // even with every hash recomputed, the tree no longer matches the checkpoints
    rechain(db, 14)
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: SIZE, reason: 'checkpoint-mismatch' })
  })

  it('the newest entries removed, tracks covered: found only with the checkpoint the verifier kept', async () => {
    const { home, db, kept } = await victim()
    db.prepare(`DELETE FROM tessera_audit WHERE seq > 25`).run()
    // with the home's own stored checkpoint still there, the home notices by itself
    expect((await verifyAudit(home)).firstBad).toEqual({ seq: 26, reason: 'truncated' })
    await expect(createCheckpoint(home)).rejects.toMatchObject({
      code: 'ERR_AUDIT_TAMPERED',
      details: { firstBad: { seq: 26, reason: 'truncated' } },
    })
    // the attacker deletes the stored checkpoints too: the log alone looks fine...
    db.prepare(`DELETE FROM tessera_audit_checkpoint`).run()
    expect(await verifyAudit(home)).toMatchObject({ ok: true, size: 25 })
    // ...but not to the verifier who kept the checkpoint
    expect(await verifyAudit(home, { checkpoint: kept })).toMatchObject({
      ok: false,
      size: 25,
      firstBad: { seq: 26, reason: 'truncated' },
      error: { code: 'ERR_AUDIT_TAMPERED' },
    })
  })

  it('the whole history rewritten with the same size: checkpoint-mismatch; re-signed, two roots for one size', async () => {
    const { home, db, kept } = await victim()
    db.prepare(`UPDATE tessera_audit SET data = ? WHERE seq = 3`).run('{"action":"read","outcome":"denied"}')
    rechain(db, 1)
    db.prepare(`DELETE FROM tessera_audit_checkpoint`).run()
    expect((await verifyAudit(home)).ok).toBe(true) // consistent with itself
    expect((await verifyAudit(home, { checkpoint: kept })).firstBad).toEqual({
      seq: SIZE,
      reason: 'checkpoint-mismatch',
    })

    // an insider who also holds the key re-signs the rewritten history
    const resigned = await createCheckpoint(home)
    const first = verifyCheckpoint(kept, { orgDid: home.org.did })
    const second = verifyCheckpoint(resigned.token, { orgDid: home.org.did })
    expect(second.size).toBe(first.size)
    expect(second.root).not.toBe(first.root)
    // both are validly signed, and no log satisfies both: the pair is proof of the rewrite
    const entries = rows(db).map((r) => ({ ...toEntry(r), leafHash: r.leaf_hash }))
    expect(verifyLog(entries, { checkpoint: [first, second] }).firstBad).toEqual({
      seq: SIZE,
      reason: 'checkpoint-mismatch',
    })
    // and a proof the rewritten log hands out fails for the verifier holding the old checkpoint
    const proof = await proveInclusion(home, { seq: 3 })
    expect(verifyProofFile(proof, { orgDid: home.org.did }).ok).toBe(true)
    expect(verifyProofFile(proof, { orgDid: home.org.did, checkpoint: first }).error?.code).toBe(
      'ERR_AUDIT_TAMPERED',
    )
  })

  it('a forged checkpoint row (no key): ERR_AUDIT_CHECKPOINT_INVALID', async () => {
    const { home, db, kept } = await victim()
    const [h, p] = kept.split('.') as [string, string]
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, size: 5 })).toString('base64url')}.${kept.split('.')[2]}`
    db.prepare(
      `INSERT INTO tessera_audit_checkpoint (size, root, iat, jws, compact_range) VALUES (5, ?, 0, ?, '[]')`,
    ).run(payload.root, forged)
    expect(await verifyAudit(home)).toMatchObject({
      ok: false,
      error: { code: 'ERR_AUDIT_CHECKPOINT_INVALID' },
    })
  })
})
