import { describe, expect, it } from 'vitest'
import { type AuditEntry, entryHash, GENESIS_HASH, type StoredAuditEntry } from './entry.js'
import { EMPTY_ROOT, leafHash, rootHash } from './merkle.js'
import { createLogVerifier, type KeptCheckpoint, verifyLog } from './verify.js'

const ORG = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'

/** A log as the store appends it: seq from `from`, each entry chained to the one before. */
function buildLog(count: number, prevHash = GENESIS_HASH, from = 1): StoredAuditEntry[] {
  const log: StoredAuditEntry[] = []
  let prev = prevHash
  for (let seq = from; seq < from + count; seq++) {
    const entry: AuditEntry = {
      seq,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      actor: ORG,
      type: seq % 2 ? 'access.allowed' : 'access.denied',
      subject: `did:example:agent-${seq % 3}`,
      data: { action: 'read', resource: `tickets/${seq}`, n: seq },
      prevHash: prev,
    }
    const hash = entryHash(entry)
    log.push({ ...entry, leafHash: hash })
    prev = hash
  }
  return log
}

/** Recompute an entry's hash after editing it, as an attacker who knows the format would. */
function rehash(entry: AuditEntry): StoredAuditEntry {
  const { leafHash: _, ...bare } = entry as StoredAuditEntry
  return { ...bare, leafHash: entryHash(bare) }
}

/** Re-chain entries from `index` on, recomputing every hash: a full rewrite of the history after it. */
function rechainFrom(log: StoredAuditEntry[], index: number): StoredAuditEntry[] {
  const out = log.slice(0, index)
  let prev = index === 0 ? GENESIS_HASH : (out[index - 1] as StoredAuditEntry).leafHash
  for (const entry of log.slice(index)) {
    const next = rehash({ ...entry, seq: out.length + 1, prevHash: prev })
    out.push(next)
    prev = next.leafHash
  }
  return out
}

const checkpointOf = (log: readonly StoredAuditEntry[], size = log.length): KeptCheckpoint => ({
  size,
  root: rootHash(log.slice(0, size).map((e) => Buffer.from(e.leafHash, 'hex'))).toString('hex'),
})
const withoutLeafHashes = (log: readonly StoredAuditEntry[]): AuditEntry[] =>
  log.map(({ leafHash: _, ...entry }) => entry)

describe('verifyLog', () => {
  const log = buildLog(50)

  it('accepts an intact log and returns its size and RFC 9162 root', () => {
    expect(verifyLog(log)).toEqual({ ok: true, ...checkpointOf(log) })
    expect(verifyLog(withoutLeafHashes(log))).toEqual({ ok: true, ...checkpointOf(log) })
    expect(verifyLog([])).toEqual({ ok: true, size: 0, root: EMPTY_ROOT.toString('hex') })
    expect(
      verifyLog(log, { checkpoint: [checkpointOf(log, 0), checkpointOf(log, 17), checkpointOf(log)] }).ok,
    ).toBe(true)
  })

  it('finds an edited entry: hash-mismatch where it is, or chain-broken after it without stored hashes', () => {
    const edited = log.map((e) => (e.seq === 20 ? { ...e, data: { ...e.data, action: 'delete' } } : e))
    expect(verifyLog(edited)).toMatchObject({
      ok: false,
      size: 19,
      firstBad: { seq: 20, reason: 'hash-mismatch' },
    })
    expect(verifyLog(withoutLeafHashes(edited)).firstBad).toEqual({ seq: 21, reason: 'chain-broken' })
    // the stored hash recomputed too: the next entry's prevHash still names the original
    const rehashed = log.map((e) => (e.seq === 20 ? rehash({ ...e, actor: 'did:example:mallory' }) : e))
    expect(verifyLog(rehashed).firstBad).toEqual({ seq: 21, reason: 'chain-broken' })
  })

  it('finds a deleted entry (seq-gap) and a deleted entry with renumbering (hash-mismatch)', () => {
    expect(verifyLog(log.filter((e) => e.seq !== 10)).firstBad).toEqual({ seq: 10, reason: 'seq-gap' })
    const renumbered = log.filter((e) => e.seq !== 10).map((e) => (e.seq > 10 ? { ...e, seq: e.seq - 1 } : e))
    expect(verifyLog(renumbered).firstBad).toEqual({ seq: 10, reason: 'hash-mismatch' })
  })

  it('finds an inserted entry', () => {
    const forged = rehash({
      ...(log[9] as StoredAuditEntry),
      seq: 11,
      prevHash: (log[9] as StoredAuditEntry).leafHash,
    })
    const inserted = [...log.slice(0, 10), forged, ...log.slice(10).map((e) => ({ ...e, seq: e.seq + 1 }))]
    expect(verifyLog(inserted).firstBad).toEqual({ seq: 12, reason: 'hash-mismatch' })
    expect(verifyLog(withoutLeafHashes(inserted)).firstBad).toEqual({ seq: 12, reason: 'chain-broken' })
    // a forged entry that does not even hash is found where it is (the entry it displaced is not "reordered")
    const clumsy = inserted.map((e) => (e.seq === 11 ? { ...e, leafHash: 'ab'.repeat(32) } : e))
    expect(verifyLog(clumsy).firstBad).toEqual({ seq: 11, reason: 'hash-mismatch' })
  })

  it('finds reordered entries: swapped lines, swapped seqs, a duplicate', () => {
    const lines = [...log]
    ;[lines[14], lines[15]] = [lines[15] as StoredAuditEntry, lines[14] as StoredAuditEntry]
    expect(verifyLog(lines).firstBad).toEqual({ seq: 15, reason: 'reordered' })
    // rows swapped by exchanging their seqs (what an UPDATE on the table does)
    const rows = lines.map((e, i) => ({ ...e, seq: i + 1 }))
    expect(verifyLog(rows).firstBad).toEqual({ seq: 15, reason: 'reordered' })
    expect(verifyLog(withoutLeafHashes(rows)).firstBad).toEqual({ seq: 15, reason: 'reordered' })
    const far = [...log]
    ;[far[5], far[40]] = [far[40] as StoredAuditEntry, far[5] as StoredAuditEntry]
    expect(verifyLog(far.map((e, i) => ({ ...e, seq: i + 1 }))).firstBad).toEqual({
      seq: 6,
      reason: 'reordered',
    })
    expect(verifyLog([...log.slice(0, 30), log[29] as StoredAuditEntry, ...log.slice(30)]).firstBad).toEqual({
      seq: 31,
      reason: 'reordered',
    })
  })

  it('finds truncation only against a kept checkpoint', () => {
    const kept = checkpointOf(log)
    const truncated = log.slice(0, 45)
    expect(verifyLog(truncated).ok).toBe(true)
    expect(verifyLog(truncated, { checkpoint: kept })).toMatchObject({
      ok: false,
      size: 45,
      firstBad: { seq: 46, reason: 'truncated' },
    })
    // an older checkpoint is fine with a longer log
    expect(verifyLog(log, { checkpoint: checkpointOf(log, 45) }).ok).toBe(true)
  })

  it('finds a history rewritten to the same size only against a kept checkpoint', () => {
    const kept = checkpointOf(log)
    const rewritten = rechainFrom(
      log.map((e) => (e.seq === 3 ? { ...e, data: { ...e.data, action: 'nothing to see' } } : e)),
      2,
    )
    expect(verifyLog(rewritten).ok).toBe(true)
    expect(verifyLog(rewritten, { checkpoint: kept })).toMatchObject({
      ok: false,
      firstBad: { seq: 50, reason: 'checkpoint-mismatch' },
    })
    // two signed checkpoints of the same size with different roots cannot both hold
    const both = [kept, checkpointOf(rewritten)]
    expect(verifyLog(rewritten, { checkpoint: both }).firstBad).toEqual({
      seq: 50,
      reason: 'checkpoint-mismatch',
    })
    expect(verifyLog(log, { checkpoint: both }).firstBad).toEqual({ seq: 50, reason: 'checkpoint-mismatch' })
    // the last entry edited without stored hashes is only visible to the checkpoint
    const lastEdited = withoutLeafHashes(log).map((e) =>
      e.seq === 50 ? { ...e, actor: 'did:example:x' } : e,
    )
    expect(verifyLog(lastEdited).ok).toBe(true)
    expect(verifyLog(lastEdited, { checkpoint: kept }).firstBad).toEqual({
      seq: 50,
      reason: 'checkpoint-mismatch',
    })
    expect(verifyLog([], { checkpoint: { size: 0, root: leafHash('x').toString('hex') } }).firstBad).toEqual({
      seq: 0,
      reason: 'checkpoint-mismatch',
    })
  })

  it('streams: entries can be fed one at a time', () => {
    const verifier = createLogVerifier({ checkpoint: checkpointOf(log) })
    for (const entry of log) verifier.add(entry)
    expect(verifier.result()).toEqual({ ok: true, ...checkpointOf(log) })
  })
})
