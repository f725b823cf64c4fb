// `pnpm bench`: runs each bench/*.bench.mjs in its own process and prints a table of figures with the
// physical-limit reference measured in the same run and the ratio. Benchmarks are not tests.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3))
const figures = []
for (const file of files) {
  process.stderr.write(`running ${file} ...\n`)
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, file)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.status !== 0) {
    process.stderr.write(`${file} failed with exit code ${result.status}\n`)
    process.exitCode = 1
  }
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    figures.push({ file, ...JSON.parse(line) })
  }
}

const rows = figures.map((f) => [
  f.name,
  `${fmt(f.value)} ${f.unit}`,
  f.reference ? `${fmt(f.reference.value)} ${f.reference.unit ?? f.unit} (${f.reference.label})` : '-',
  f.ratio === undefined ? '-' : `${f.ratio.toFixed(2)}x`,
  f.target ?? '',
])
const headers = ['figure', 'value', 'reference (same run)', 'ratio', 'target']
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells) =>
  cells
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd()
console.log(line(headers))
for (const row of rows) console.log(line(row))
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(figures, null, 2)}\n`)
