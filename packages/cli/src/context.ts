import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { EnvironmentError, InputError } from '@tessera/core'
import type { Home } from '@tessera/identity'

/** Options every command takes. */
export interface GlobalOptions {
  home?: string
  json?: boolean
}

/** The home folder a command works on. */
export async function homeDir(options: GlobalOptions): Promise<string> {
  const { resolveHomeDir } = await import('@tessera/identity')
  return resolveHomeDir({ home: options.home })
}

/** Every package's migrations, in order: a home always has the whole schema. */
export async function allMigrations() {
  const { credentialsMigrations } = await import('@tessera/credentials')
  const { statusMigrations } = await import('@tessera/status')
  const { auditMigrations } = await import('@tessera/audit')
  const { messagingMigrations } = await import('@tessera/messaging')
  return [...credentialsMigrations, ...statusMigrations, ...auditMigrations, ...messagingMigrations]
}

/**
 * Open the home, run `work`, always close it. Heavy modules (Veramo, TypeORM) load only here, so commands
 * that need no home (did resolve, trust show, verify without a challenge) start fast.
 */
export async function withHome<T>(options: GlobalOptions, work: (home: Home) => Promise<T>): Promise<T> {
  const { openHome } = await import('@tessera/identity')
  const { enableStatusLists } = await import('@tessera/status')
  const { enableAudit } = await import('@tessera/audit')
  const home = await openHome({ dir: await homeDir(options), migrations: await allMigrations() })
  try {
    enableStatusLists(home)
    enableAudit(home)
    return await work(home)
  } finally {
    await home.close()
  }
}

/** Parse a JSON option value, naming the option in the error. */
export function parseJsonOption(value: string, option: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${option}" must be valid JSON, got ${JSON.stringify(value.slice(0, 80))}`,
    )
  }
}

const MAX_INPUT_FILE = 1024 * 1024

/** Read a small text input file (a credential, a presentation), capped at 1 MiB. */
export function readInputFile(path: string, option: string): string {
  let size: number
  try {
    size = statSync(path).size
  } catch {
    throw new InputError('ERR_INPUT_INVALID', `"${option}": cannot read ${path}`)
  }
  if (size > MAX_INPUT_FILE) {
    throw new InputError('ERR_INPUT_INVALID', `"${option}": ${path} is larger than ${MAX_INPUT_FILE} bytes`)
  }
  return readFileSync(path, 'utf8').trim()
}

/** Write an output file (mode 0644), reporting failures as environment errors. */
export function writeOutputFile(path: string, content: string): void {
  try {
    writeFileSync(path, content.endsWith('\n') ? content : `${content}\n`)
  } catch (err) {
    throw new EnvironmentError('ERR_IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** Collect a repeatable option into an array (commander helper). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/**
 * Where a verifier reads other issuers' status lists: folders of published lists (`--status-dir`) and URL
 * mappings (`--status-url-map PREFIX=URL`, fetched over HTTP(S)).
 *
 * @throws InputError `ERR_USAGE` for a mapping that is not `PREFIX=URL`.
 */
export async function statusSourcesFor(options: {
  dirs?: readonly string[] | undefined
  urlMap?: readonly string[] | undefined
}): Promise<import('@tessera/status').StatusListSource[]> {
  const { directorySource, httpSource } = await import('@tessera/status')
  const sources = (options.dirs ?? []).map((dir) => directorySource(dir))
  const urlMap: Record<string, string> = {}
  for (const pair of options.urlMap ?? []) {
    const at = pair.indexOf('=')
    if (at <= 0) {
      throw new InputError('ERR_USAGE', `--status-url-map takes PREFIX=URL, got ${JSON.stringify(pair)}`)
    }
    urlMap[pair.slice(0, at)] = pair.slice(at + 1)
  }
  if (Object.keys(urlMap).length > 0) sources.push(httpSource({ urlMap, allowHttp: true }))
  return sources
}

/** Resolve at the first SIGINT or SIGTERM (long-running commands: `serve`, `agent listen`). */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
