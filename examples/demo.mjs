// `pnpm demo`: the Tessera story end to end, on temporary homes (embedded SQLite), through the real CLI.
// Acme (issuer) gives its agents identities and roles; Globex (another organisation, verifier) decides offline.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, indent, step, tessera } from './lib.mjs'

const root = mkdtempSync(join(tmpdir(), 'tessera-demo-'))
const acme = join(root, 'acme')
const globex = join(root, 'globex')
const trust = join(root, 'globex-trust.json')
const published = join(root, 'published-status')
const file = (name) => join(root, name)
const domain = 'api.globex.example'

/** How Globex verifies the agent's latest presentation: offline, status read from Acme's published files. */
const verifyArgs = [
  'verify',
  '--presentation',
  file('vp.jwt'),
  '--domain',
  domain,
  '--trust',
  trust,
  '--status-dir',
  published,
]

/** The agent answers a fresh Globex challenge with `credential`; Globex verifies and decides on `request`. */
function presentAndVerify(
  agent,
  credential,
  { request = 'read:tickets/42', expectExit = 0, note = '' } = {},
) {
  const { challenge } = tessera(globex, ['challenge', '--domain', domain], { json: true, quiet: true })
  tessera(
    acme,
    [
      'present',
      '--agent',
      agent,
      '--credential',
      credential,
      '--challenge',
      challenge,
      '--domain',
      domain,
      '--out',
      file('vp.jwt'),
    ],
    { quiet: true },
  )
  console.log(
    `\n  Globex challenged the agent; it answered with a vp+jwt bound to the challenge and domain${note}`,
  )
  const [action, resource] = request.split(':')
  tessera(globex, [...verifyArgs, '--challenge', challenge, '--action', action, '--resource', resource], {
    expectExit,
  })
  return challenge
}

/** Start `tessera serve` for `home`; resolves once it prints its URL. `stop()` sends SIGTERM and waits. */
function serve(home, args) {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--home', home, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.on('close', resolve))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) {
        const { url } = JSON.parse(out.slice(0, out.indexOf('\n')))
        resolve({
          url,
          stop: async () => {
            child.kill('SIGTERM')
            const code = await exited
            if (code !== 0) throw new Error(`tessera serve exited ${code}`)
          },
        })
      }
    })
    exited.then((code) => reject(new Error(`tessera serve exited ${code} before listening`)))
  })
}

/** POST a JSON body to the server; the parsed answer. */
async function post(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.json()
}

const publish = (quiet = true) => tessera(acme, ['status', 'publish', '--out', published], { quiet })

try {
  step('1. Acme sets up its organisation home (did:key, encrypted key store, SQLite)')
  const acmeOrg = tessera(acme, ['init', '--org', 'Acme'], { json: true }).org
  console.log(`  Acme issuer DID: ${acmeOrg.did}`)

  step('2. Acme creates three agents of different types')
  const agent = (name, type, ...more) =>
    tessera(acme, ['agent', 'create', '--name', name, '--type', type, ...more], { json: true }).did
  const support = agent('Helpdesk bot', 'support-agent', '--owner', 'support@acme.example')
  const analyst = agent('Report writer', 'data-analyst', '--meta', '{"team":"finance"}')
  const crawler = agent('Crawler', 'web-crawler')
  console.log(`  support-agent  ${support}\n  data-analyst   ${analyst}\n  web-crawler    ${crawler}`)

  step('3. The crawler misbehaves: Acme suspends it; suspended agents get no roles')
  tessera(acme, ['agent', 'suspend', crawler])
  tessera(acme, ['agent', 'list'])
  tessera(
    acme,
    ['role', 'grant', '--agent', crawler, '--role', 'support-agent', '--permission', 'read:tickets/*'],
    {
      expectExit: 2,
    },
  )

  step('4. Acme grants its helpdesk bot the support-agent role (VC 2.0, vc+jwt, with status list entries)')
  tessera(acme, ['role', 'restrict', '--role', 'support-agent', '--type', 'support-agent'])
  const grant = ['role', 'grant', '--role', 'support-agent', '--permission', 'read:tickets/*']
  tessera(acme, [
    ...grant,
    '--agent',
    support,
    '--permission',
    'delete:tickets/*',
    '--out',
    file('support.jwt'),
  ])
  tessera(acme, [...grant, '--agent', analyst], { expectExit: 2 })
  const credentialId = tessera(acme, ['role', 'list', '--agent', support], { json: true, quiet: true })[0].id

  step(
    '5. Acme publishes its status lists (signed BitstringStatusListCredentials) where verifiers can read them',
  )
  publish(false)

  // Globex trusts Acme to grant support-agent, with a ceiling of read/write on tickets (step 6, and again in 18)
  const trustAcme = (options) =>
    tessera(
      globex,
      [
        ...['trust', 'add', '--file', trust, '--org', 'Acme', '--issuer', acmeOrg.did],
        ...['--role', 'support-agent', '--permission', 'read:tickets/*', '--permission', 'write:tickets/*'],
      ],
      options,
    )
  step(
    '6. Globex, another organisation, trusts Acme to grant support-agent, with a ceiling of read/write on tickets',
  )
  tessera(globex, ['init', '--org', 'Globex'], { quiet: true })
  trustAcme()

  step(
    '7. The agent presents to Globex: read:tickets/42 is allowed (checked offline, status from the published files)',
  )
  const used = presentAndVerify(support, file('support.jwt'))

  step('8. The same presentation replayed: the challenge was single-use')
  tessera(globex, [...verifyArgs, '--challenge', used], { expectExit: 1 })

  step(
    "9. delete:tickets/42 is denied: Acme granted it, but Globex's ceiling for the role does not include it",
  )
  presentAndVerify(support, file('support.jwt'), { request: 'delete:tickets/42', expectExit: 1 })

  step('10. A credential that has expired is denied, even inside a fresh presentation')
  tessera(
    acme,
    [
      ...grant,
      '--agent',
      support,
      '--valid-from',
      '2026-01-01T00:00:00Z',
      '--valid-for',
      '7d',
      '--out',
      file('old.jwt'),
    ],
    { quiet: true },
  )
  publish()
  presentAndVerify(support, file('old.jwt'), {
    expectExit: 1,
    note: ' (credential valid 2026-01-01 .. 2026-01-08)',
  })

  step('11. Acme suspends the credential and publishes: Globex, refreshing from the published files, denies')
  tessera(acme, ['status', 'suspend', '--credential', credentialId], { quiet: true })
  publish(false)
  presentAndVerify(support, file('support.jwt'), { expectExit: 1 })

  step('12. The suspension is lifted: access returns')
  tessera(acme, ['status', 'reinstate', '--credential', credentialId], { quiet: true })
  publish()
  presentAndVerify(support, file('support.jwt'))

  step('13. Acme revokes the credential and publishes: denied; revocation is final')
  tessera(acme, ['status', 'revoke', '--credential', credentialId])
  publish()
  presentAndVerify(support, file('support.jwt'), { expectExit: 1 })
  tessera(acme, ['status', 'reinstate', '--credential', credentialId], { expectExit: 2 })

  step('14. A new credential works, until Globex stops trusting Acme: then everything from Acme is denied')
  tessera(acme, [...grant, '--agent', support, '--out', file('support.jwt')], { quiet: true })
  publish()
  presentAndVerify(support, file('support.jwt'))
  tessera(globex, ['trust', 'remove', '--file', trust, '--org', 'Acme'], { quiet: true })
  tessera(
    globex,
    [
      'trust',
      'add',
      '--file',
      trust,
      '--org',
      'Initech',
      '--issuer',
      'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      '--role',
      'auditor',
      '--permission',
      'read:reports/*',
    ],
    { quiet: true },
  )
  presentAndVerify(support, file('support.jwt'), { expectExit: 1 })

  step('15. Retirement is final, and revokes every credential of the agent')
  tessera(acme, ['agent', 'retire', crawler])
  tessera(acme, ['agent', 'resume', crawler], { expectExit: 2 })

  step("16. Every issuance, status change and decision is in each organisation's tamper-evident audit log")
  tessera(globex, ['audit', 'list', '--type', 'access.denied', '--limit', '3'])
  tessera(globex, ['audit', 'verify'])
  tessera(acme, ['audit', 'verify'])

  step("17. Acme signs a checkpoint and proves a grant is in its log; Globex checks it with only Acme's DID")
  tessera(acme, ['audit', 'checkpoint', '--out', file('acme-checkpoint.jwt')])
  const granted = tessera(acme, ['audit', 'list', '--type', 'role.granted', '--limit', '1'], {
    json: true,
    quiet: true,
  })[0]
  tessera(acme, ['audit', 'prove', '--entry', String(granted.seq), '--out', file('grant-proof.json')])
  tessera(globex, [
    'audit',
    'verify-proof',
    '--proof',
    file('grant-proof.json'),
    '--org',
    acmeOrg.did,
    '--checkpoint',
    file('acme-checkpoint.jwt'),
  ])

  step(
    "18. Globex serves its home (tessera serve, W3C VC-API): a service asks POST /authorize about Acme's agent",
  )
  trustAcme({ quiet: true })
  const served = await serve(globex, [
    '--insecure-http',
    '--port',
    '0',
    '--trust',
    trust,
    '--status-dir',
    published,
    '--domain',
    domain,
  ])
  try {
    console.log(`  Globex's server listens on ${served.url} (plain HTTP on loopback: demo only)`)
    /** A fresh challenge from the server, the agent's presentation for it, and the server's Decision. */
    const authorize = async (action) => {
      const { challenge } = await post(served.url, '/challenges', {})
      tessera(
        acme,
        [
          'present',
          '--agent',
          support,
          '--credential',
          file('support.jwt'),
          '--challenge',
          challenge,
          '--domain',
          domain,
          '--out',
          file('vp.jwt'),
        ],
        { quiet: true },
      )
      const presentation = readFileSync(file('vp.jwt'), 'utf8').trim()
      const decision = await post(served.url, '/authorize', {
        presentation,
        action,
        resource: 'tickets/42',
        challenge,
      })
      console.log(
        `\n$ curl -X POST ${served.url}/authorize -d '{"presentation": "<vp+jwt>", "action": "${action}", "resource": "tickets/42", "challenge": "..."}'`,
      )
      process.stdout.write(
        indent(
          `${decision.allowed ? 'ALLOWED' : 'DENIED '}  ${action}:tickets/42${decision.errors.length ? `  ${decision.errors.map((e) => e.code).join(' ')}` : ''}`,
        ),
      )
      return decision
    }
    if ((await authorize('read')).allowed !== true)
      throw new Error('POST /authorize should allow read:tickets/42')
    if ((await authorize('delete')).allowed !== false)
      throw new Error('POST /authorize should deny delete:tickets/42')
  } finally {
    await served.stop()
  }
  console.log("  both decisions are in Globex's audit log, which still verifies:")
  tessera(globex, ['audit', 'verify'])

  console.log(
    '\nDemo finished: every step above ran the real CLI against real SQLite homes; verification was offline.',
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
