// Helpers for the runnable examples: run the `tessera` CLI as a user would and show what happens.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))

/** Run `tessera ...args` with `--home home`, echo the command and its output; return parsed JSON with `json`. */
export function tessera(home, args, { json = false, expectExit = 0, quiet = false, env = {} } = {}) {
  const full = [...args, '--home', home, ...(json ? ['--json'] : [])]
  const result = spawnSync(process.execPath, [CLI, ...full], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  if (!quiet) {
    process.stdout.write(`\n$ tessera ${args.join(' ')}\n`)
    if (!json) process.stdout.write(indent(result.stdout || result.stderr))
  }
  if (result.status !== expectExit) {
    process.stderr.write(result.stdout + result.stderr)
    throw new Error(`tessera ${args.join(' ')} exited ${result.status}, expected ${expectExit}`)
  }
  return json ? JSON.parse(result.stdout) : result.stdout
}

export function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
    .concat('\n')
}

export function step(title) {
  process.stdout.write(`\n== ${title}\n`)
}
