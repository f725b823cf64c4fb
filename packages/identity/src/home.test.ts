import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { CONFIG_FILE, DATABASE_FILE, initHome, openHome, resolveHomeDir } from './home.js'
import { SECRET_FILE } from './secret.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tessera-home-'))
})
afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

const noEnv = {} as NodeJS.ProcessEnv

describe('initHome / openHome', () => {
  it('creates a home with a 0600 secret file, a database and an Ed25519 organisation did:key', async () => {
    const dir = join(root, 'acme')
    const org = await initHome({ dir, org: 'Acme Corp', env: noEnv })
    expect(org.name).toBe('Acme Corp')
    expect(org.did).toMatch(/^did:key:z6Mk/)
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const config = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'))
    expect(config.org.did).toBe(org.did)
    // the secret is not in the database file
    const secret = readFileSync(join(dir, SECRET_FILE), 'utf8').trim()
    expect(readFileSync(join(dir, DATABASE_FILE)).includes(Buffer.from(secret))).toBe(false)

    const home = await openHome({ dir, env: noEnv })
    try {
      expect(home.org.did).toBe(org.did)
      expect(home.secretSource).toBe('file')
      const ids = await home.agent.didManagerFind()
      expect(ids.map((i) => i.did)).toEqual([org.did])
      // migrations ran: our tables exist beside Veramo's, and no schema sync was needed
      const tables = (await home.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)) as {
        name: string
      }[]
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'identifier',
          'key',
          'private-key',
          'tessera_agent',
          'tessera_org',
          'migrations',
        ]),
      )
    } finally {
      await home.close()
    }
    // re-opening works and sees the same organisation
    const again = await openHome({ dir, env: noEnv })
    expect(again.org).toEqual(org)
    await again.close()
  })

  it('stores private keys encrypted: the raw key is not in the database', async () => {
    const dir = join(root, 'acme')
    await initHome({ dir, org: 'Acme', env: noEnv })
    const home = await openHome({ dir, env: noEnv })
    const rows = (await home.dataSource.query(`SELECT "privateKeyHex" FROM "private-key"`)) as {
      privateKeyHex: string
    }[]
    await home.close()
    expect(rows).toHaveLength(1)
    // SecretBox output is nonce + ciphertext: longer than a 64-byte Ed25519 secret key in hex (128 chars)
    expect(rows[0]?.privateKeyHex.length).toBeGreaterThan(128)
  })

  it('refuses to overwrite an existing home', async () => {
    const dir = join(root, 'acme')
    await initHome({ dir, org: 'Acme', env: noEnv })
    expect(await codeOf(initHome({ dir, org: 'Other', env: noEnv }))).toBe('ERR_HOME_EXISTS')
    const stray = join(root, 'stray')
    mkdirSync(stray)
    writeFileSync(join(stray, 'notes.txt'), 'x')
    expect(await codeOf(initHome({ dir: stray, org: 'Other', env: noEnv }))).toBe('ERR_HOME_EXISTS')
  })

  it('uses an empty existing folder', async () => {
    const dir = join(root, 'empty')
    mkdirSync(dir)
    await initHome({ dir, org: 'Acme', env: noEnv })
    const home = await openHome({ dir, env: noEnv })
    await home.close()
  })

  it('rejects a bad organisation name', async () => {
    expect(await codeOf(initHome({ dir: join(root, 'x'), org: '  ', env: noEnv }))).toBe('ERR_INPUT_INVALID')
    expect(await codeOf(initHome({ dir: join(root, 'x'), org: 'a\u0000b', env: noEnv }))).toBe(
      'ERR_INPUT_INVALID',
    )
  })

  it('reports a missing home as ERR_HOME_NOT_FOUND', async () => {
    expect(await codeOf(openHome({ dir: join(root, 'nope'), env: noEnv }))).toBe('ERR_HOME_NOT_FOUND')
  })

  it('detects a wrong TESSERA_SECRET when the home is opened', async () => {
    const dir = join(root, 'acme')
    const secret = 'a1'.repeat(32)
    await initHome({ dir, org: 'Acme', env: { TESSERA_SECRET: secret } })
    // with TESSERA_SECRET set, no secret file is written
    expect(() => statSync(join(dir, SECRET_FILE))).toThrow()
    const home = await openHome({ dir, env: { TESSERA_SECRET: secret } })
    expect(home.secretSource).toBe('env')
    await home.close()
    expect(await codeOf(openHome({ dir, env: { TESSERA_SECRET: 'b2'.repeat(32) } }))).toBe(
      'ERR_KEYSTORE_LOCKED',
    )
    expect(await codeOf(openHome({ dir, env: { TESSERA_SECRET: 'not-hex' } }))).toBe('ERR_SECRET_INVALID')
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_KEYSTORE_LOCKED')
  })

  it('refuses a secret file readable by others, and a malformed one', async () => {
    const dir = join(root, 'acme')
    await initHome({ dir, org: 'Acme', env: noEnv })
    const file = join(dir, SECRET_FILE)
    const { chmodSync } = await import('node:fs')
    chmodSync(file, 0o644)
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_SECRET_INVALID')
    chmodSync(file, 0o600)
    writeFileSync(file, 'short\n')
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_SECRET_INVALID')
  })

  it('reports a corrupt config or a missing database as ERR_HOME_CORRUPT', async () => {
    const dir = join(root, 'acme')
    await initHome({ dir, org: 'Acme', env: noEnv })
    rmSync(join(dir, DATABASE_FILE))
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_HOME_CORRUPT')
    writeFileSync(join(dir, CONFIG_FILE), '{not json')
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_HOME_CORRUPT')
    writeFileSync(join(dir, CONFIG_FILE), '{"version":2}')
    expect(await codeOf(openHome({ dir, env: noEnv }))).toBe('ERR_HOME_CORRUPT')
  })

  it('resolves the home folder from --home, then TESSERA_HOME, then ./.tessera', () => {
    expect(resolveHomeDir({ home: '/a', env: { TESSERA_HOME: '/b' } })).toBe('/a')
    expect(resolveHomeDir({ env: { TESSERA_HOME: '/b' } })).toBe('/b')
    expect(resolveHomeDir({ env: {} })).toBe(join(process.cwd(), '.tessera'))
  })
})
