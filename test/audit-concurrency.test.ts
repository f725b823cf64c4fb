/**
 * Several processes append to one home's audit log at once: no entry is lost, no seq repeats or is skipped,
 * the chain never forks. A process killed mid-append leaves a log that verifies, with whole batches only.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { auditMigrations, createCheckpoint, listAudit, verifyAudit } from '@tessera/audit'
import { credentialsMigrations } from '@tessera/credentials'
import { type Home, initHome, openHome } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './helpers.js'

const FIXTURE = join(ROOT, 'test/fixtures/audit-append.mjs')
const migrations = [...credentialsMigrations, ...auditMigrations]
let temp: ReturnType<typeof tempDir>

beforeAll(() => {
  if (!existsSync(join(ROOT, 'packages/audit/dist/index.js'))) {
    throw new Error('build first: npx tsc -b packages/audit (the fixture imports packages/audit/dist)')
  }
  temp = tempDir('audit-concurrency')
})
afterAll(() => temp.cleanup())

interface Writer {
  child: ChildProcessWithoutNullStreams
  ready: Promise<void>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

function startWriter(home: string, writer: number, count: number, batch: number, pauseMs = 0): Writer {
  const args = [FIXTURE, home, String(writer), String(count), String(batch), String(pauseMs)]
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TESSERA_SECRET: '' },
  })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', () => reject(new Error(`writer ${writer} exited before it was ready: ${stderr}`)))
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  )
  return { child, ready, exit }
}

async function makeHome(name: string): Promise<string> {
  const dir = join(temp.dir, name)
  await initHome({ dir, org: name, env: {}, migrations })
  return dir
}

async function withHome<T>(dir: string, work: (home: Home) => Promise<T>): Promise<T> {
  const home = await openHome({ dir, env: {}, migrations })
  try {
    return await work(home)
  } finally {
    await home.close()
  }
}

describe('audit log across processes', () => {
  it('N processes appending K entries each at once: exactly N×K entries, seq 1..N×K, chain intact', async () => {
    const dir = await makeHome('shared')
    const N = 4
    const K = 120
    const batches = [1, 7, 1, 12]
    // a short pause between batches keeps the writers overlapping even when the machine runs them one by one
    const writers = batches.map((batch, w) => startWriter(dir, w, K, batch, 2))
    await Promise.all(writers.map((w) => w.ready))
    for (const w of writers) w.child.stdin.write('go\n')
    const exits = await Promise.all(writers.map((w) => w.exit))
    for (const exit of exits) expect(exit, exit.stderr).toMatchObject({ code: 0 })

    await withHome(dir, async (home) => {
      const entries = await listAudit(home, { limit: 10_000 })
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: N * K }, (_, i) => i + 1))
      for (let w = 0; w < N; w++) {
        // each writer's entries are all there, in the order it appended them
        const mine = entries.filter((e) => e.data.writer === w).map((e) => e.data.n)
        expect(mine).toEqual(Array.from({ length: K }, (_, i) => i))
      }
      // the writers really did interleave
      const switches = entries.filter((e, i) => i > 0 && entries[i - 1]?.data.writer !== e.data.writer).length
      expect(switches).toBeGreaterThan(N)
      expect(await verifyAudit(home)).toMatchObject({ ok: true, size: N * K })
      expect((await createCheckpoint(home)).payload.size).toBe(N * K)
    })
  })

  it('a writer SIGKILLed mid-append leaves a valid log of whole batches', async () => {
    const dir = await makeHome('crashy')
    const BATCH = 25
    let previous = 0
    let killedWriterEntries = 0
    for (let run = 0; run < 5; run++) {
      // a steady writer appends one at a time while the victim appends batches and is killed at a random point
      const steady = startWriter(dir, 100 + run, 40, 1)
      const victim = startWriter(dir, run, 0, BATCH)
      await Promise.all([steady.ready, victim.ready])
      steady.child.stdin.write('go\n')
      victim.child.stdin.write('go\n')
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 300)))
      victim.child.kill('SIGKILL')
      expect((await victim.exit).signal).toBe('SIGKILL')
      expect((await steady.exit).code).toBe(0)

      await withHome(dir, async (home) => {
        const [check] = (await home.dataSource.query('PRAGMA integrity_check')) as {
          integrity_check: string
        }[]
        expect(check?.integrity_check).toBe('ok')
        const report = await verifyAudit(home)
        expect(report).toMatchObject({ ok: true })
        const victims = (await listAudit(home, { subject: `did:example:writer-${run}`, limit: 10_000 }))
          .length
        expect(victims % BATCH).toBe(0) // a batch commits whole or not at all
        killedWriterEntries += victims
        expect(report.size).toBeGreaterThanOrEqual(previous + 40)
        previous = report.size
        await createCheckpoint(home) // the next run is also checked against this
      })
    }
    // the kills landed while the victims were appending, not before their first batch
    expect(killedWriterEntries).toBeGreaterThan(0)
  })
})
