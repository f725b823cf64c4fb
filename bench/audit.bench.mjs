// The audit log: appends per second into a home's SQLite file (each batch one committed transaction, with the
// home's WAL settings), in batches and one at a time, against raw better-sqlite3 inserts of the same rows into
// a table with the same schema and indexes, in the same run (the physical limit: no validation, no hashing).
// Then verifyLog over 1,000,000 entries against raw SHA-256 of the same canonical bytes in the same run.
// Needs the built packages (`npx tsc -b`).
//
//   node bench/audit.bench.mjs            (BENCH_VERIFY_ENTRIES=100000 for a quicker run)
import { hash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  appendAudit,
  auditMigrations,
  canonicalEntry,
  entryHash,
  GENESIS_HASH,
  leafHash,
  verifyLog,
} from '../packages/audit/dist/index.js'
import { credentialsMigrations } from '../packages/credentials/dist/index.js'
import { initHome, openHome } from '../packages/identity/dist/index.js'
import { measure, report } from './lib.mjs'

const BATCH = 1000
const VERIFY_ENTRIES = Number(process.env.BENCH_VERIFY_ENTRIES ?? 1_000_000)
const VERIFY_RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 3)
const migrations = [...credentialsMigrations, ...auditMigrations]

/** A realistic access decision entry: hashes and ids, not tokens. */
function decision(actor, i) {
  return {
    actor,
    type: i % 7 === 0 ? 'access.denied' : 'access.allowed',
    subject: `did:key:z6MkAgent${i % 1000}`,
    data: {
      action: 'read',
      resource: `tickets/${i}`,
      outcome: i % 7 === 0 ? 'denied' : 'allowed',
      credentialIds: [`urn:uuid:00000000-0000-4000-8000-${String(i % 100000).padStart(12, '0')}`],
      presentationHash: hash('sha256', `presentation ${i}`),
      trustBundleHash: 'c0ffee'.padEnd(64, '0'),
      statusListVersions: { 'https://acme.example/status/1': 12 },
      reasons: i % 7 === 0 ? ['ERR_POLICY_DENIED'] : [],
    },
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const root = mkdtempSync(join(tmpdir(), 'tessera-bench-audit-'))
try {
  await initHome({ dir: join(root, 'home'), org: 'Bench', env: {}, migrations })
  const home = await openHome({ dir: join(root, 'home'), env: {}, migrations })
  const db = home.dataSource.driver.databaseConnection
  const actor = home.org.did

  // The physical limit: the same rows into a table with the same schema and indexes, prepared values, one
  // transaction per batch, nothing else.
  db.exec(`CREATE TABLE raw_audit AS SELECT * FROM tessera_audit WHERE 0;
    CREATE INDEX raw_actor ON raw_audit (actor); CREATE INDEX raw_type ON raw_audit (type);
    CREATE INDEX raw_time ON raw_audit (time);`)
  const rawInsert = db.prepare('INSERT INTO raw_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  let rawSeq = 0
  const rawRows = (n) =>
    Array.from({ length: n }, (_, i) => {
      const e = decision(actor, rawSeq + i)
      return [e.actor, e.type, e.subject, JSON.stringify(e.data)]
    })
  const rawBatch = rawRows(BATCH)
  const rawOne = rawRows(1)
  const prevHex = 'ab'.repeat(32)
  const rawWrite = db.transaction((rows) => {
    for (const [a, type, subject, data] of rows) {
      rawInsert.run(++rawSeq, new Date().toISOString(), a, type, subject, data, prevHex, prevHex)
    }
  })

  // Inputs are built before timing, as the raw rows are: the figures compare appending, not making entries.
  let i = 0
  const pool = Array.from({ length: 20 }, () => Array.from({ length: BATCH }, () => decision(actor, i++)))
  const singles = pool.flat()
  let next = 0
  const batchInputs = () => pool[next++ % pool.length]

  const raw = await measure(() => rawWrite(rawBatch), { batch: BATCH, runMs: 1000 })
  const batched = await measure(() => appendAudit(home, batchInputs()), { batch: BATCH, runMs: 1000 })
  report({
    name: `audit append, batches of ${BATCH} (one committed transaction each, WAL synchronous=NORMAL)`,
    value: batched.opsPerSec,
    unit: 'entries/s',
    reference: { label: 'raw better-sqlite3 inserts, same rows and indexes', value: raw.opsPerSec },
    target: '>= 25,000 entries/s',
  })

  // "Does the raw-handle fast path matter?" The same append done with TypeORM queries, one awaited per row.
  const typeormBatch = async () => {
    const inputs = batchInputs()
    await home.transaction(async () => {
      const [tail] = await home.dataSource.query(
        'SELECT "seq", "leaf_hash" FROM "tessera_audit" ORDER BY "seq" DESC LIMIT 1',
      )
      let seq = (tail?.seq ?? 0) + 1
      let prevHash = tail?.leaf_hash ?? GENESIS_HASH
      const time = new Date().toISOString()
      for (const input of inputs) {
        const entry = { ...input, seq, time, prevHash }
        const leaf = entryHash(entry)
        await home.dataSource.query(
          'INSERT INTO "tessera_audit" ("seq","time","actor","type","subject","data","prev_hash","leaf_hash") VALUES (?,?,?,?,?,?,?,?)',
          [seq, time, input.actor, input.type, input.subject, JSON.stringify(input.data), prevHash, leaf],
        )
        prevHash = leaf
        seq++
      }
    })
  }
  const viaTypeorm = await measure(typeormBatch, { batch: BATCH, runMs: 1000 })
  report({
    name: `  same batches through TypeORM queries (one awaited query per row), for comparison`,
    value: viaTypeorm.opsPerSec,
    unit: 'entries/s',
    reference: { label: 'appendAudit (raw prepared statements)', value: batched.opsPerSec },
  })

  db.pragma('synchronous = FULL')
  const rawFull = await measure(() => rawWrite(rawBatch), { batch: BATCH, runMs: 1000 })
  const batchedFull = await measure(() => appendAudit(home, batchInputs()), { batch: BATCH, runMs: 1000 })
  report({
    name: `audit append, batches of ${BATCH}, synchronous=FULL (fsync on every commit)`,
    value: batchedFull.opsPerSec,
    unit: 'entries/s',
    reference: { label: 'raw better-sqlite3 inserts, synchronous=FULL', value: rawFull.opsPerSec },
  })
  db.pragma('synchronous = NORMAL')

  const rawSingle = await measure(() => rawWrite(rawOne))
  const single = await measure(() => appendAudit(home, [singles[next++ % singles.length]]))
  report({
    name: 'audit append, one entry per call (one committed transaction each)',
    value: single.opsPerSec,
    unit: 'entries/s',
    reference: { label: 'raw better-sqlite3, one insert per transaction', value: rawSingle.opsPerSec },
  })
  await home.close()

  // verifyLog over VERIFY_ENTRIES entries, and the same canonical bytes hashed once each with SHA-256 (the least
  // any verifier of these entries must do). First as a verifier holds them, parsed from an export's canonical
  // lines (members already in RFC 8785 order); then as built in memory by a caller, members in any order.
  // One entry array is alive at a time, to keep the heap (and the GC's work) to what a verifier would have.
  const texts = new Array(VERIFY_ENTRIES)
  const leaves = new Array(VERIFY_ENTRIES)
  const start = Date.UTC(2025, 0, 1)
  const entryAt = (n, prevHash) => ({
    ...decision(actor, n),
    seq: n + 1,
    time: new Date(start + n * 10).toISOString(),
    prevHash,
  })
  let prevHash = GENESIS_HASH
  for (let n = 0; n < VERIFY_ENTRIES; n++) {
    texts[n] = canonicalEntry(entryAt(n, prevHash))
    leaves[n] = leafHash(texts[n]).toString('hex')
    prevHash = leaves[n]
  }
  const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0)
  const timeRuns = (fn) => {
    const times = []
    for (let r = 0; r < VERIFY_RUNS; r++) {
      globalThis.gc?.()
      const t0 = performance.now()
      fn()
      times.push((performance.now() - t0) / 1000)
    }
    return median(times)
  }
  const sha = () => {
    for (let n = 0; n < texts.length; n++) hash('sha256', texts[n], 'buffer')
  }
  const makers = [
    ['parsed from an export', (n) => JSON.parse(`${texts[n].slice(0, -1)},"leafHash":"${leaves[n]}"}`)],
    [
      'built in memory, members unsorted',
      (n) => ({ ...entryAt(n, n === 0 ? GENESIS_HASH : leaves[n - 1]), leafHash: leaves[n] }),
    ],
  ]
  for (const [how, make] of makers) {
    let entries = Array.from({ length: VERIFY_ENTRIES }, (_, n) => make(n))
    let ok = true
    const verifySec = timeRuns(() => {
      ok = verifyLog(entries).ok && ok
    })
    if (!ok) throw new Error('verifyLog failed on an intact log')
    entries = undefined
    const shaSec = timeRuns(sha)
    report({
      name: `verifyLog, ${VERIFY_ENTRIES.toLocaleString('en-US')} entries ${how} (${(bytes / 1e6).toFixed(0)} MB canonical; hashes, chain, Merkle root)`,
      value: verifySec,
      unit: 's',
      reference: {
        label: 'SHA-256 of the same canonical bytes, one hash per entry',
        value: shaSec,
        unit: 's',
      },
      higherIsBetter: false,
    })
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
