// `POST /presentations/verify` over loopback with keep-alive, against the in-process verifier in the same run.
// One organisation home served by @tessera/server (plain HTTP on 127.0.0.1); one agent with one role credential
// (vc+jwt, two status entries checked against the server's own lists); one vp+jwt presentation verified again and
// again (no challenge: a single-use challenge would refuse every repeat). The client runs in a worker thread
// (its own event loop): CLIENTS keep-alive connections, one request in flight on each. Every answer must be
// 200 and verified. Each request also writes its audit entry (group-committed) before it is answered.
// Reference: `verifyPresentationWithOptionalTrust` with the same options and status checker, in this process.
// Needs the built packages (`npx tsc -b`). Temporary home under os.tmpdir(), removed at the end.
//
//   node bench/run.mjs server
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

const CLIENTS = Number(process.env.BENCH_SERVER_CLIENTS ?? 8)
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 400) * 5
const ROUNDS = Number(process.env.BENCH_RUNS ?? 5)

/** The client: CLIENTS loops of keep-alive POSTs for `ms`; reports answers per second and any failure. */
async function client({ url, body, ms }) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  const post = () =>
    new Promise((resolve, reject) => {
      const req = request(
        `${url}/presentations/verify`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (d) => {
            text += d
          })
          res.on('end', () => resolve({ status: res.statusCode, text }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  // warm-up: open the connections
  await Promise.all(Array.from({ length: CLIENTS }, post))
  let ok = 0
  let failure
  const start = performance.now()
  const deadline = start + ms
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline && failure === undefined) {
        const { status, text } = await post()
        if (status === 200 && text.startsWith('{"verified":true')) ok++
        else failure = `${status}: ${text.slice(0, 300)}`
      }
    }),
  )
  const elapsed = performance.now() - start
  agent.destroy()
  return { perSec: (ok * 1000) / elapsed, failure }
}

if (!isMainThread) {
  parentPort.on('message', async (message) => {
    parentPort.postMessage(await client({ ...workerData, ms: message.ms }))
  })
} else {
  const { measure, report } = await import('./lib.mjs')
  const { auditMigrations, enableAudit } = await import('../packages/audit/dist/index.js')
  const credentials = await import('../packages/credentials/dist/index.js')
  const { createAgentIdentity, initHome, openHome } = await import('../packages/identity/dist/index.js')
  const { createAdminToken, createServer, createStatusHost } = await import(
    '../packages/server/dist/index.js'
  )
  const { enableStatusLists, statusMigrations } = await import('../packages/status/dist/index.js')

  const root = mkdtempSync(join(tmpdir(), 'tessera-bench-server-'))
  const migrations = [...credentials.credentialsMigrations, ...statusMigrations, ...auditMigrations]
  try {
    const dir = join(root, 'home')
    await initHome({ dir, org: 'Globex', env: {}, migrations })
    const home = await openHome({ dir, env: {}, migrations })
    enableStatusLists(home)
    enableAudit(home)
    const server = createServer({ home, adminTokenHash: createAdminToken(home).hash })
    const listening = await server.listen({ insecureHttp: true })
    const domain = listening.domains[0]
    try {
      const agent = await createAgentIdentity(home, { name: 'bench', type: 'support-agent' })
      const { jwt } = await credentials.issueRoleCredential(home, {
        agent: agent.did,
        role: 'support-agent',
        permissions: [{ action: 'read', resource: 'tickets/*' }],
      })
      const presentation = await credentials.createPresentation(home, {
        holder: agent.did,
        credentials: [jwt],
        challenge: 'bench-challenge-never-redeemed',
        domain,
        ttlSec: 600,
      })
      const body = JSON.stringify({ verifiablePresentation: presentation })

      // The in-process reference: the verifier the route runs, with the same status checker (through the
      // server's own status host: one request warms it).
      const first = await fetch(`${listening.url}/presentations/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      if (first.status !== 200) throw new Error(`bench presentation refused: ${await first.text()}`)
      const host = createStatusHost(home, {})
      const inProcess = async () => {
        const result = await credentials.verifyPresentationWithOptionalTrust({
          presentation,
          domain,
          status: host.checker,
        })
        if (!result.verified) throw new Error(`in-process refused: ${JSON.stringify(result.errors)}`)
      }
      await inProcess()

      const worker = new Worker(new URL(import.meta.url), { workerData: { url: listening.url, body } })
      const overHttp = (ms) =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
          worker.postMessage({ ms })
        })
      await overHttp(300)
      // Alternate short rounds of each side so that load from elsewhere on the machine weighs on both alike.
      const http = []
      const local = []
      for (let i = 0; i < ROUNDS; i++) {
        const r = await overHttp(RUN_MS)
        if (r.failure !== undefined) throw new Error(`a request failed: ${r.failure}`)
        http.push(r.perSec)
        local.push((await measure(inProcess, { runs: 1, runMs: RUN_MS / 2, warmupMs: 100 })).opsPerSec)
      }
      await worker.terminate()
      const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1]
      report({
        name: `POST /presentations/verify over loopback (keep-alive, ${CLIENTS} connections, client in a worker)`,
        value: median(http),
        unit: 'req/s',
        reference: {
          label:
            'verifyPresentationWithOptionalTrust in-process (same presentation, options, status checker)',
          value: median(local),
        },
        target: '>= 0.5',
        note:
          'each request: Fastify routing, JSON schema, capped JSON parse, the verifier, an audit entry (group commit), ' +
          'the VC-API result; the client shares the 2-core machine with the server',
      })
    } finally {
      await server.close()
      await home.close()
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
