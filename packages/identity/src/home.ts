import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { EnvironmentError, InputError, TesseraError } from '@tessera/core'
import type { IAgentPlugin } from '@veramo/core'
import type { DIDManager } from '@veramo/did-manager'
import type { KeyManager } from '@veramo/key-manager'
import type { DataSource } from 'typeorm'
import type { TransitionListener } from './agents.js'
import { inTransaction, type MigrationClass, openDatabase } from './database.js'
import { generateSecret, loadSecret, type SecretSource, validateSecret, writeSecretFile } from './secret.js'
import { checkSecretOpensKey, createVeramoAgent, KMS_NAME, type VeramoAgent } from './veramo.js'

/** Default home folder, relative to the working directory. */
export const DEFAULT_HOME = '.tessera'
/** File names inside a home. */
export const CONFIG_FILE = 'config.json'
export const DATABASE_FILE = 'tessera.db'

/** Hooks that extend a home's operations; each runs inside the operation's transaction. */
export interface HomeHooks {
  agentTransition: TransitionListener[]
  /**
   * Allocates `credentialStatus` entries for a credential being issued, inside the issuing transaction
   * (installed by the status-list package; without it credentials carry no status entry).
   */
  allocateCredentialStatus?: (request: { credentialId: string }) => Promise<Record<string, unknown>[]>
  /**
   * Records events in the home's audit log, inside the operation's transaction: if the record cannot be
   * written, the operation fails (installed by the audit package; without it nothing is recorded).
   */
  record?: (events: AuditEvent[]) => Promise<void>
}

/** An event for the audit log: who did what to whom. `data` holds ids and hashes, never secrets or whole tokens. */
export interface AuditEvent {
  actor: string
  type: string
  subject?: string
  data?: Record<string, unknown>
}

/** The organisation that owns a home. */
export interface Organisation {
  name: string
  /** The organisation's issuer did:key. */
  did: string
  /** Key id of the did's Ed25519 key in Veramo's key manager. */
  kid: string
  createdAt: string
}

/** The home's `config.json`. */
export interface HomeConfig {
  version: 1
  org: Organisation
  database: string
  /** Free-form settings other packages keep here (never secrets). */
  settings?: Record<string, unknown>
}

/** An open organisation home: its database, Veramo agent and organisation. Call `close()` when done. */
export interface Home {
  dir: string
  config: HomeConfig
  org: Organisation
  dataSource: DataSource
  agent: VeramoAgent
  /**
   * The agent's key manager plugin itself, for hot paths that sign many times (bulk issuance): the same keys
   * and KMS as `agent.keyManagerSign`, without the agent's per-call dispatch.
   */
  keyManager: KeyManager
  /**
   * The agent's DID manager plugin itself (the home's managed DIDs and their keys), so another package can
   * build a Veramo agent over the same DIDs and keys with plugins of its own (DIDComm in @tessera/messaging).
   */
  didManager: DIDManager
  secretSource: SecretSource
  /** Listeners other packages register (e.g. retiring an agent revokes its credentials); they run in the transaction. */
  hooks: HomeHooks
  /** Run `work` in one database transaction (see `inTransaction`). */
  transaction<T>(work: () => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** The home folder: `--home` wins, then `TESSERA_HOME`, then `./.tessera`. */
export function resolveHomeDir(options: { home?: string | undefined; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env
  return resolve(options.home ?? (env.TESSERA_HOME || DEFAULT_HOME))
}

const ORG_NAME_MAX = 128

function validateOrgName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > ORG_NAME_MAX ||
    /[\p{Cc}]/u.test(name)
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"org" must be 1 to ${ORG_NAME_MAX} printable characters, got ${JSON.stringify(name)}`,
    )
  }
  return name.trim()
}

/**
 * Create an organisation home: the folder (0700), a `secret.key` (0600) unless `TESSERA_SECRET` is set,
 * the database with every migration applied, and the organisation's did:key.
 * Everything is built in a sibling temporary folder and renamed into place, so an interrupted init leaves
 * no half-made home. An existing home is never overwritten (`ERR_HOME_EXISTS`).
 */
export async function initHome(options: {
  dir: string
  org: string
  env?: NodeJS.ProcessEnv
  migrations?: readonly MigrationClass[]
}): Promise<Organisation> {
  const dir = resolve(options.dir)
  const name = validateOrgName(options.org)
  const env = options.env ?? process.env
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new InputError(
      'ERR_HOME_EXISTS',
      `${dir} already exists and is not empty; refusing to overwrite a home`,
    )
  }
  const fromEnv = env.TESSERA_SECRET
  const secret = fromEnv ? validateSecret(fromEnv, 'TESSERA_SECRET') : generateSecret()
  mkdirSync(dirname(dir), { recursive: true })
  const staging = `${dir}.init-${process.pid}-${Date.now()}`
  mkdirSync(staging, { mode: 0o700 })
  try {
    if (!fromEnv) writeSecretFile(staging, secret)
    const dataSource = await openDatabase({
      file: join(staging, DATABASE_FILE),
      migrations: options.migrations,
    })
    let org: Organisation
    try {
      const { agent } = createVeramoAgent({ dataSource, secret })
      org = await inTransaction(dataSource, async (manager) => {
        const identifier = await agent.didManagerCreate({
          provider: 'did:key',
          kms: KMS_NAME,
          alias: 'org',
          options: { keyType: 'Ed25519' },
        })
        const kid = identifier.keys[0]?.kid
        if (!kid) throw new TesseraError('ERR_INTERNAL', 'did:key provider returned no key')
        const createdAt = new Date().toISOString()
        await manager.query(
          `INSERT INTO "tessera_org" ("id", "name", "did", "created_at") VALUES (1, ?, ?, ?)`,
          [name, identifier.did, createdAt],
        )
        return { name, did: identifier.did, kid, createdAt }
      })
    } finally {
      await dataSource.destroy()
    }
    const config: HomeConfig = { version: 1, org, database: DATABASE_FILE }
    writeFileSync(join(staging, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
    // rename(2) replaces an empty folder atomically and fails with ENOTEMPTY if another process won the race
    renameSync(staging, dir)
    return org
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    if (err instanceof Error && /ENOTEMPTY|EEXIST/.test(err.message)) {
      throw new InputError('ERR_HOME_EXISTS', `${dir} was created by another process; refusing to overwrite`)
    }
    throw err
  }
}

function readConfig(dir: string): HomeConfig {
  const file = join(dir, CONFIG_FILE)
  if (!existsSync(file)) {
    throw new EnvironmentError(
      'ERR_HOME_NOT_FOUND',
      `no Tessera home at ${dir} (run \`tessera init --org NAME\`, or pass --home / set TESSERA_HOME)`,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new EnvironmentError('ERR_HOME_CORRUPT', `${file} is not valid JSON`, { cause: err })
  }
  const config = parsed as Partial<HomeConfig> | null
  const org = config?.org
  if (
    config?.version !== 1 ||
    typeof config.database !== 'string' ||
    typeof org?.did !== 'string' ||
    typeof org.kid !== 'string' ||
    typeof org.name !== 'string'
  ) {
    throw new EnvironmentError('ERR_HOME_CORRUPT', `${file} is not a Tessera home config (version 1)`)
  }
  return config as HomeConfig
}

/** Rewrite the home's config atomically (temp file + rename). */
export function writeHomeConfig(dir: string, config: HomeConfig): void {
  const file = join(dir, CONFIG_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, file)
}

/**
 * Open an existing home. The secret is checked now, by decrypting the organisation's key: a wrong
 * secret fails here with `ERR_KEYSTORE_LOCKED`, not later at signing time.
 */
export async function openHome(options: {
  dir: string
  env?: NodeJS.ProcessEnv
  plugins?: readonly IAgentPlugin[]
  migrations?: readonly MigrationClass[]
}): Promise<Home> {
  const dir = resolve(options.dir)
  const config = readConfig(dir)
  const { secret, source } = loadSecret(dir, options.env)
  const file = join(dir, config.database)
  if (!existsSync(file)) {
    throw new EnvironmentError('ERR_HOME_CORRUPT', `the home's database ${file} is missing`)
  }
  const dataSource = await openDatabase({ file, migrations: options.migrations })
  try {
    if (!(await checkSecretOpensKey({ dataSource, secret, kid: config.org.kid }))) {
      throw new EnvironmentError(
        'ERR_KEYSTORE_LOCKED',
        `the key-encryption secret (from ${source === 'env' ? 'TESSERA_SECRET' : 'secret.key'}) does not open this home's keys`,
      )
    }
    const { agent, keyManager, didManager } = createVeramoAgent({
      dataSource,
      secret,
      plugins: options.plugins,
    })
    return {
      dir,
      config,
      org: config.org,
      dataSource,
      agent,
      keyManager,
      didManager,
      secretSource: source,
      hooks: { agentTransition: [] },
      transaction: (work) => inTransaction(dataSource, () => work()),
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy()
      },
    }
  } catch (err) {
    await dataSource.destroy()
    throw err
  }
}
