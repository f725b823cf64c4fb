// Benchmark helpers: warm-up, several timed runs, median ops/s. Each bench file runs in its own process
// (see run.mjs) and prints one JSON line per figure with `report()`.
import { performance } from 'node:perf_hooks'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 400)
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300)

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Median ops/s of `fn` (sync or async). `fn` may do `batch` operations per call.
 * Returns { opsPerSec, runs } with each run's ops/s.
 */
export async function measure(fn, { batch = 1, runs = RUNS, runMs = RUN_MS, warmupMs = WARMUP_MS } = {}) {
  const until = performance.now() + warmupMs
  while (performance.now() < until) await fn()
  const results = []
  for (let r = 0; r < runs; r++) {
    let ops = 0
    const start = performance.now()
    let now = start
    while (now - start < runMs) {
      await fn()
      ops += batch
      now = performance.now()
    }
    results.push((ops * 1000) / (now - start))
  }
  return { opsPerSec: median(results), runs: results }
}

/** Time one call of `fn` several times; returns the median milliseconds. */
export async function timeOnce(fn, { runs = RUNS } = {}) {
  const times = []
  await fn()
  for (let r = 0; r < runs; r++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  return { ms: median(times), runs: times }
}

/**
 * Print one figure: `value` (ops/s or ms) next to the physical-limit `reference` measured in the same run,
 * and their ratio. `higherIsBetter` is false for times.
 */
export function report({ name, value, unit = 'ops/s', reference, target, higherIsBetter = true, note }) {
  const ratio = reference ? (higherIsBetter ? value / reference.value : reference.value / value) : undefined
  process.stdout.write(`${JSON.stringify({ name, value, unit, reference, ratio, target, note })}\n`)
}
