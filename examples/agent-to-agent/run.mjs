// Agent to agent, across organisations, over HTTP on 127.0.0.1: Acme's helpdesk bot opens a DIDComm v2 channel
// to Globex's order desk (mutual presentation handshake), asks for what it may and may not do, and is cut off
// once Acme revokes its credential. Two processes: Globex's agent runs `tessera agent listen`; Acme's agent is
// this script, using @tessera/messaging as a library (one long-lived channel). Self-checking: any step that
// does not behave as described exits non-zero.
//
//   npx tsc -b && node examples/agent-to-agent/run.mjs
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { auditMigrations, enableAudit } from '../../packages/audit/dist/index.js'
import { credentialsMigrations } from '../../packages/credentials/dist/index.js'
import { openHome } from '../../packages/identity/dist/index.js'
import { httpTransport, messagingMigrations, openChannel } from '../../packages/messaging/dist/index.js'
import { loadTrustBundle } from '../../packages/policy/dist/index.js'
import {
  createStatusCache,
  directorySource,
  enableStatusLists,
  statusChecker,
  statusMigrations,
} from '../../packages/status/dist/index.js'
import { CLI, indent, step, tessera } from '../lib.mjs'

const root = mkdtempSync(join(tmpdir(), 'tessera-a2a-'))
const acme = join(root, 'acme')
const globex = join(root, 'globex')
const file = (name) => join(root, name)
const migrations = [...credentialsMigrations, ...statusMigrations, ...auditMigrations, ...messagingMigrations]

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`)
  console.log(`  ok: ${what}`)
}

/** Start `tessera agent listen` for Globex's agent; resolves when it prints its URL. */
function listen(agent) {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      'listen',
      '--agent',
      agent,
      '--trust',
      file('globex-trust.json'),
      '--status-dir',
      file('acme-status'),
      '--home',
      globex,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const log = []
  const out = []
  createInterface({ input: child.stderr }).on('line', (line) => log.push(line))
  const lines = createInterface({ input: child.stdout })
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tessera agent listen did not start')), 30_000)
    lines.on('line', (line) => {
      // the first line says where it listens; what follows is its summary when it stops
      if (out.push(line) === 1) {
        clearTimeout(timer)
        resolve(JSON.parse(line).url)
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`tessera agent listen exited with ${code}: ${log.join('\n')}`)),
    )
  })
  const stopped = new Promise((resolve) => {
    child.once('exit', (code) => resolve({ code, out: out.slice(1).join('\n'), log }))
  })
  return { child, ready, stopped, log }
}

let listener
let home
try {
  step('1. Two organisations, each with its own home, agent and role credential')
  const acmeOrg = tessera(acme, ['init', '--org', 'Acme'], { json: true, quiet: true }).org
  const globexOrg = tessera(globex, ['init', '--org', 'Globex'], { json: true, quiet: true }).org
  const bot = tessera(acme, ['agent', 'create', '--name', 'Helpdesk bot', '--type', 'support-agent'], {
    json: true,
    quiet: true,
  }).did
  const desk = tessera(globex, ['agent', 'create', '--name', 'Order desk', '--type', 'partner-desk'], {
    json: true,
    quiet: true,
  }).did
  console.log(`  Acme's helpdesk bot   ${bot}\n  Globex's order desk   ${desk}`)
  tessera(acme, [
    'role',
    'grant',
    '--agent',
    bot,
    '--role',
    'support-agent',
    '--permission',
    'read:tickets/*',
    '--permission',
    'delete:tickets/*',
    '--out',
    file('bot.jwt'),
  ])
  tessera(
    globex,
    ['role', 'grant', '--agent', desk, '--role', 'partner-desk', '--permission', 'read:orders/*'],
    {
      quiet: true,
    },
  )
  // Each publishes its status lists (ttl 1 s, so the peer's cache refreshes quickly in this example).
  const publish = (homeDir, out) =>
    tessera(homeDir, ['status', 'publish', '--out', out, '--ttl', '1s'], { quiet: true })
  publish(acme, file('acme-status'))
  publish(globex, file('globex-status'))

  step('2. Each trusts the other for one role, with a ceiling (Globex: read and write tickets, no delete)')
  tessera(globex, [
    'trust',
    'add',
    '--file',
    file('globex-trust.json'),
    '--org',
    'Acme',
    '--issuer',
    acmeOrg.did,
    '--role',
    'support-agent',
    '--permission',
    'read:tickets/*',
    '--permission',
    'write:tickets/*',
  ])
  tessera(acme, [
    'trust',
    'add',
    '--file',
    file('acme-trust.json'),
    '--org',
    'Globex',
    '--issuer',
    globexOrg.did,
    '--role',
    'partner-desk',
    '--permission',
    'read:orders/*',
  ])

  step("3. Process 2: Globex's order desk listens for DIDComm messages on 127.0.0.1")
  listener = listen(desk)
  const url = await listener.ready
  console.log(
    `  $ tessera agent listen --agent ${desk.slice(0, 24)}... --trust globex-trust.json --status-dir acme-status\n  ${url}`,
  )
  check(url.startsWith('http://127.0.0.1:'), 'the listener prints its inbox URL')

  step("4. Process 1 (this script): Acme's bot opens a channel: hello, Globex presents, the bot presents")
  home = await openHome({ dir: acme, migrations })
  enableStatusLists(home)
  enableAudit(home)
  const trust = await loadTrustBundle(file('acme-trust.json'))
  const status = statusChecker(
    createStatusCache({
      sources: [directorySource(file('globex-status'))],
      trust,
      maxStalenessMs: 86_400_000,
    }),
  )
  const channel = await openChannel({
    self: { home, did: bot, credentials: [readFileSync(file('bot.jwt'), 'utf8').trim()] },
    peer: desk,
    transport: httpTransport({ url }),
    trust,
    status,
  })
  const peerRole = channel.peerDecision.credentials[0]
  console.log(`  channel ${channel.id}: Globex's agent holds ${peerRole?.role} from ${peerRole?.org}`)
  check(channel.peerDecision.verified, "Acme verified Globex's presentation (bound to Acme's challenge)")

  step('5. An allowed request: read:tickets/42')
  const allowed = await channel.request({
    action: 'read',
    resource: 'tickets/42',
    body: { fields: ['status'] },
  })
  console.log(indent(JSON.stringify(allowed, null, 2)))
  check(
    allowed.allowed === true && allowed.reply.resource === 'tickets/42',
    'allowed, with the handler reply',
  )

  step("6. A denied request: delete:tickets/42 (Acme granted it; Globex's ceiling does not include it)")
  const denied = await channel.request({ action: 'delete', resource: 'tickets/42' })
  console.log(`  ${denied.code}: ${denied.message}`)
  check(denied.allowed === false && denied.code === 'ERR_POLICY_DENIED', 'denied with ERR_POLICY_DENIED')

  step('7. The same from the command line: tessera agent send (its own handshake, one request)')
  const sendArgs = (resource) => [
    'agent',
    'send',
    '--agent',
    bot,
    '--to',
    desk,
    '--endpoint',
    url,
    '--action',
    'read',
    '--resource',
    resource,
    '--trust',
    file('acme-trust.json'),
    '--status-dir',
    file('globex-status'),
    '--credential',
    file('bot.jwt'),
  ]
  tessera(acme, sendArgs('tickets/7'))

  step('8. Acme revokes the credential and publishes; Globex refreshes its status lists and cuts the channel')
  const credentialId = tessera(acme, ['role', 'list', '--agent', bot], { json: true, quiet: true })[0].id
  tessera(acme, ['status', 'revoke', '--credential', credentialId])
  publish(acme, file('acme-status'))
  let cut
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const outcome = await channel.request({ action: 'read', resource: 'tickets/42' })
    if (!outcome.allowed) {
      cut = outcome
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  console.log(`  same channel, read:tickets/42: ${cut ? `${cut.code}: ${cut.message}` : 'still allowed'}`)
  check(
    cut?.code === 'ERR_STATUS_REVOKED',
    'the next request over the open channel is denied: ERR_STATUS_REVOKED',
  )
  const refused = tessera(acme, [...sendArgs('tickets/42'), '--json'], {
    json: true,
    quiet: true,
    expectExit: 1,
  })
  console.log(
    `  $ tessera agent send ... (a new handshake)\n  ${refused.handshake}: ${refused.reason} by ${refused.refusedBy}`,
  )
  check(
    refused.handshake === 'refused' && refused.reason === 'ERR_STATUS_REVOKED' && refused.refusedBy === desk,
    'a new handshake is refused by Globex with ERR_STATUS_REVOKED',
  )

  step("9. Each side's verdicts are in its own tamper-evident audit log")
  const globexLog = tessera(globex, ['audit', 'list', '--actor', desk, '--limit', '100'], {
    json: true,
    quiet: true,
  })
  const types = globexLog.map(
    (e) => `${e.type}${e.data.action ? ` ${e.data.action}:${e.data.resource}` : ''}`,
  )
  console.log(indent(types.join('\n')))
  check(
    types.includes('handshake.accepted') &&
      types.includes('handshake.refused') &&
      types.includes('access.allowed read:tickets/42') &&
      types.includes('access.denied delete:tickets/42'),
    "Globex's log has the handshakes and every request decision",
  )
  const acmeLog = tessera(acme, ['audit', 'list', '--actor', bot, '--type', 'handshake.accepted'], {
    json: true,
    quiet: true,
  })
  // steps 4, 7 and 8: Acme accepted Globex's presentation each time (then Globex refused Acme in step 8)
  check(acmeLog.length === 3, "Acme's log has its own verdict on each of Globex's presentations")
  tessera(globex, ['audit', 'verify'])
  tessera(acme, ['audit', 'verify'])

  step('10. Globex stops listening')
  listener.child.kill('SIGTERM')
  const { code, out } = await listener.stopped
  console.log(indent(out))
  check(code === 0 && JSON.parse(out).allowed >= 2, 'the listener stops cleanly and reports what it decided')
  listener = undefined

  console.log('\nAgent-to-agent example finished: every step behaved as described.')
} catch (err) {
  console.error(`\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  if (listener) console.error(listener.log.join('\n'))
  process.exitCode = 1
} finally {
  if (listener) listener.child.kill('SIGTERM')
  await home?.close()
  rmSync(root, { recursive: true, force: true })
}
