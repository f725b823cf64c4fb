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

/**
 * Median ops/s of `a` and of `b`, measured in alternating short runs so that load from other processes on the
 * machine weighs on both alike. Also returns `cpuRatio`, b's CPU time per operation over a's
 * (process.cpuUsage), which descheduling does not inflate: the ratio a/b on an idle core, a cross-check.
 */
export async function measurePaired(
  a,
  b,
  { rounds = 15, runMs = 200, warmupMs = 500, batchA = 1, batchB = 1 } = {},
) {
  await measure(a, { batch: batchA, runs: 1, runMs: 100, warmupMs })
  await measure(b, { batch: batchB, runs: 1, runMs: 100, warmupMs })
  const side = async (fn, batch) => {
    const cpu = process.cpuUsage()
    const start = performance.now()
    const { opsPerSec } = await measure(fn, { batch, runs: 1, runMs, warmupMs: 0 })
    const used = process.cpuUsage(cpu)
    const ops = (opsPerSec * (performance.now() - start)) / 1000
    return { opsPerSec, cpuUsPerOp: (used.user + used.system) / ops }
  }
  const ra = []
  const rb = []
  for (let i = 0; i < rounds; i++) {
    ra.push(await side(a, batchA))
    rb.push(await side(b, batchB))
  }
  return {
    a: median(ra.map((r) => r.opsPerSec)),
    b: median(rb.map((r) => r.opsPerSec)),
    cpuRatio: median(rb.map((r) => r.cpuUsPerOp)) / median(ra.map((r) => r.cpuUsPerOp)),
  }
}
