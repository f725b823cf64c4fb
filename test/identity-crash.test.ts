import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { initHome, openHome } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './helpers.js'

const RUNS = 12
let temp: ReturnType<typeof tempDir>
let homeDir: string

beforeAll(async () => {
  temp = tempDir('crash')
  homeDir = join(temp.dir, 'home')
  await initHome({ dir: homeDir, org: 'Crashy', env: {} })
})
afterAll(() => temp.cleanup())

/** Start the create loop and SIGKILL it `delayMs` after it is ready. */
function createThenKill(delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/create-agents.mjs'), homeDir], {
      env: { ...process.env, TESSERA_SECRET: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs))
    child.on('error', reject)
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`exited without kill`)),
    )
  })
}

describe('crash consistency of agent creation', () => {
  it(`never leaves a key without a profile nor a profile without a key (${RUNS} SIGKILLs at random points)`, async () => {
    let created = 0
    for (let run = 0; run < RUNS; run++) {
      await createThenKill(Math.floor(Math.random() * 400))
      const home = await openHome({ dir: homeDir, env: {} })
      try {
        const [check] = (await home.dataSource.query('PRAGMA integrity_check')) as {
          integrity_check: string
        }[]
        expect(check?.integrity_check).toBe('ok')
        const orphans = (await home.dataSource.query(
          `SELECT
             (SELECT count(*) FROM identifier i WHERE i.did <> ? AND NOT EXISTS (SELECT 1 FROM tessera_agent a WHERE a.did = i.did)) AS identifiersWithoutProfile,
             (SELECT count(*) FROM tessera_agent a WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.did = a.did)) AS profilesWithoutIdentifier,
             (SELECT count(*) FROM key k WHERE NOT EXISTS (SELECT 1 FROM "private-key" p WHERE p.alias = k.kid)) AS keysWithoutPrivateKey,
             (SELECT count(*) FROM "private-key" p WHERE NOT EXISTS (SELECT 1 FROM key k WHERE k.kid = p.alias)) AS privateKeysWithoutKey,
             (SELECT count(*) FROM key k WHERE k.identifierDid IS NULL OR NOT EXISTS (SELECT 1 FROM identifier i WHERE i.did = k.identifierDid)) AS keysWithoutIdentifier,
             (SELECT count(*) FROM tessera_agent) AS agents`,
          [home.org.did],
        )) as Record<string, number>[]
        expect(orphans[0]).toMatchObject({
          identifiersWithoutProfile: 0,
          profilesWithoutIdentifier: 0,
          keysWithoutPrivateKey: 0,
          privateKeysWithoutKey: 0,
          keysWithoutIdentifier: 0,
        })
        created = orphans[0]?.agents ?? 0
      } finally {
        await home.close()
      }
    }
    // the kills landed while agents were being created, not before the first one
    expect(created).toBeGreaterThan(0)
  })
})
