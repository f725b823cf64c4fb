import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { credentialsMigrations } from '@tessera/credentials'
import { createAgentIdentity, initHome, openHome } from '@tessera/identity'
import { statusMigrations } from '@tessera/status'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './helpers.js'

const RUNS = 10
const migrations = [...credentialsMigrations, ...statusMigrations]
let temp: ReturnType<typeof tempDir>
let homeDir: string
let agent: string

beforeAll(async () => {
  temp = tempDir('status-crash')
  homeDir = join(temp.dir, 'home')
  await initHome({ dir: homeDir, org: 'Crashy', env: {}, migrations })
  const home = await openHome({ dir: homeDir, env: {}, migrations })
  agent = (await createAgentIdentity(home, { name: 'bot', type: 'support-agent' })).did
  await home.close()
})
afterAll(() => temp.cleanup())

function issueThenKill(delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'test/fixtures/issue-credentials.mjs'), homeDir, agent],
      {
        env: { ...process.env, TESSERA_SECRET: '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs))
    child.on('error', reject)
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error('exited without kill')),
    )
  })
}

describe('crash consistency of issuance with status lists', () => {
  it(`never leaves a credential without its status index, an orphan index, or two credentials on one index (${RUNS} SIGKILLs)`, async () => {
    let issued = 0
    for (let run = 0; run < RUNS; run++) {
      await issueThenKill(Math.floor(Math.random() * 500))
      const home = await openHome({ dir: homeDir, env: {}, migrations })
      try {
        const [check] = (await home.dataSource.query('PRAGMA integrity_check')) as {
          integrity_check: string
        }[]
        expect(check?.integrity_check).toBe('ok')
        const [counts] = (await home.dataSource.query(
          `SELECT
             (SELECT count(*) FROM tessera_credential c WHERE NOT EXISTS (SELECT 1 FROM tessera_status_entry e WHERE e.credential_id = c.id)) AS credentialsWithoutStatus,
             (SELECT count(*) FROM tessera_status_entry e WHERE NOT EXISTS (SELECT 1 FROM tessera_credential c WHERE c.id = e.credential_id)) AS orphanIndexes,
             (SELECT count(*) FROM (SELECT list_number, status_index FROM tessera_status_entry GROUP BY 1, 2 HAVING count(*) > 1)) AS sharedIndexes,
             (SELECT coalesce(sum(allocated), 0) FROM tessera_status_list) AS allocated,
             (SELECT count(*) FROM tessera_status_entry) AS entries,
             (SELECT count(*) FROM tessera_credential) AS credentials`,
        )) as Record<string, number>[]
        expect(counts).toMatchObject({ credentialsWithoutStatus: 0, orphanIndexes: 0, sharedIndexes: 0 })
        // the allocation counter moved exactly once per recorded credential: no index is lost or reused
        expect(counts?.allocated).toBe(counts?.entries)
        issued = counts?.credentials ?? 0
      } finally {
        await home.close()
      }
    }
    expect(issued).toBeGreaterThan(0)
  })
})
