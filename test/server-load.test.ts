/**
 * A bounded load test over loopback: N concurrent clients verify presentations for a few seconds (or until a
 * request budget is spent) against a server whose concurrency limit is below N. Nothing may fail except by
 * 429; throughput and latency percentiles are reported, never asserted.
 */
import { performance } from 'node:perf_hooks'
import { createPresentation, issueRoleCredential } from '@tessera/credentials'
import { createAgentIdentity } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Served, serveFresh } from './server-helpers.js'

const CLIENTS = 16
const MAX_CONCURRENCY = 8
const DURATION_MS = 3_000
const MAX_REQUESTS = 20_000

let s: Served
let presentation: string
beforeAll(async () => {
  s = await serveFresh({ limits: { maxConcurrency: MAX_CONCURRENCY } })
  const agent = await createAgentIdentity(s.home, { name: 'load', type: 'support-agent' })
  const { jwt } = await issueRoleCredential(s.home, {
    agent: agent.did,
    role: 'support-agent',
    permissions: [{ action: 'read', resource: 'tickets/*' }],
  })
  presentation = await createPresentation(s.home, {
    holder: agent.did,
    credentials: [jwt],
    challenge: 'load-test-challenge-not-redeemed',
    domain: s.domain,
  })
})
afterAll(async () => {
  await s.close()
})

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)

describe('load: concurrent presentation verification over loopback', () => {
  it(`${CLIENTS} clients for ${DURATION_MS / 1000}s: every answer is 200 or 429`, async () => {
    const body = JSON.stringify({ verifiablePresentation: presentation })
    const statuses = new Map<number, number>()
    const failures: string[] = []
    const latencies: number[] = []
    let sent = 0
    const started = performance.now()
    const deadline = started + DURATION_MS
    const client = async () => {
      while (performance.now() < deadline && sent < MAX_REQUESTS) {
        sent++
        const t0 = performance.now()
        try {
          const r = await fetch(`${s.url}/presentations/verify`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
          const answer = (await r.json()) as {
            verified?: boolean
            errors?: unknown[]
            error?: { code: string }
          }
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status === 200) {
            latencies.push(performance.now() - t0)
            if (answer.verified !== true) failures.push(`200 without verified: ${JSON.stringify(answer)}`)
          } else if (r.status === 429) {
            if (answer.error?.code !== 'ERR_SERVER_BUSY' || r.headers.get('retry-after') === null) {
              failures.push(`429 without ERR_SERVER_BUSY/Retry-After: ${JSON.stringify(answer)}`)
            }
          } else failures.push(`${r.status}: ${JSON.stringify(answer.errors ?? answer.error).slice(0, 300)}`)
        } catch (err) {
          failures.push(`network: ${(err as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, client))
    const elapsed = (performance.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    const ok = statuses.get(200) ?? 0
    const busy = statuses.get(429) ?? 0
    console.log(
      `load: ${CLIENTS} clients, limit ${MAX_CONCURRENCY} in flight, ${elapsed.toFixed(1)}s: ${ok} verified (${(ok / elapsed).toFixed(0)}/s), ` +
        `${busy} answered 429; latency of verified p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    )
    expect(failures.slice(0, 5)).toEqual([])
    expect(ok).toBeGreaterThan(0)
    expect([...statuses.keys()].every((status) => status === 200 || status === 429)).toBe(true)
  })
})
