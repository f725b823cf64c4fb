import { type ErrorFamily, type TesseraError, toTesseraError } from '@tessera/core'

/** Exit codes of the `tessera` command. */
export const EXIT = { ok: 0, negative: 1, usage: 2, environment: 3, internal: 70 } as const

const FAMILY_EXIT: Record<ErrorFamily, number> = {
  input: EXIT.usage,
  identity: EXIT.usage,
  environment: EXIT.environment,
  verification: EXIT.negative,
  policy: EXIT.negative,
  internal: EXIT.internal,
}

/** The exit code for an error. */
export function exitCodeFor(err: TesseraError): number {
  return FAMILY_EXIT[err.family]
}

/** What a command returns: a JSON value for `--json`, a text for humans, and an exit code. */
export interface CommandResult {
  json: unknown
  human: string
  exitCode?: number
}

/** Where output goes (injectable for tests of the formatter; the CLI uses process streams). */
export interface Streams {
  out: (text: string) => void
  err: (text: string) => void
}

export const processStreams: Streams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}

/** Print a result: exactly one JSON value on stdout with `--json`, human text otherwise. */
export function printResult(result: CommandResult, json: boolean, streams: Streams = processStreams): number {
  streams.out(
    json
      ? `${JSON.stringify(result.json, null, 2)}\n`
      : result.human.endsWith('\n')
        ? result.human
        : `${result.human}\n`,
  )
  return result.exitCode ?? EXIT.ok
}

/** Print an error without a stack trace: `{ "error": { code, message } }` on stdout with `--json`, stderr otherwise. */
export function printError(thrown: unknown, json: boolean, streams: Streams = processStreams): number {
  const err = toTesseraError(thrown)
  if (json) {
    streams.out(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`)
  } else {
    streams.err(`tessera: ${err.message} [${err.code}]\n`)
    if (err.code === 'ERR_INTERNAL' && process.env.TESSERA_DEBUG && thrown instanceof Error) {
      streams.err(`${thrown.stack}\n`)
    }
  }
  return exitCodeFor(err)
}

/** Render rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)'
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}
