// `pnpm demo`: the Tessera story end to end, on temporary homes (embedded SQLite), through the real CLI.
// Acme (issuer) gives its agents identities and roles; Globex (another organisation, verifier) decides offline.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { step, tessera } from './lib.mjs'

const root = mkdtempSync(join(tmpdir(), 'tessera-demo-'))
const acme = join(root, 'acme')
const globex = join(root, 'globex')
const trust = join(root, 'globex-trust.json')
const file = (name) => join(root, name)
const domain = 'api.globex.example'

try {
  step('1. Acme sets up its organisation home (did:key, encrypted key store, SQLite)')
  const acmeOrg = tessera(acme, ['init', '--org', 'Acme'], { json: true }).org
  console.log(`  Acme issuer DID: ${acmeOrg.did}`)

  step('2. Acme creates three agents of different types')
  const support = tessera(
    acme,
    [
      'agent',
      'create',
      '--name',
      'Helpdesk bot',
      '--type',
      'support-agent',
      '--owner',
      'support@acme.example',
    ],
    { json: true },
  )
  console.log(`  support-agent  ${support.did}`)
  const analyst = tessera(
    acme,
    ['agent', 'create', '--name', 'Report writer', '--type', 'data-analyst', '--meta', '{"team":"finance"}'],
    { json: true },
  )
  console.log(`  data-analyst   ${analyst.did}`)
  const crawler = tessera(acme, ['agent', 'create', '--name', 'Crawler', '--type', 'web-crawler'], {
    json: true,
  })
  console.log(`  web-crawler    ${crawler.did}`)

  step('3. The crawler misbehaves: Acme suspends it; suspended agents get no roles')
  tessera(acme, ['agent', 'suspend', crawler.did])
  tessera(acme, ['agent', 'list'])
  tessera(
    acme,
    ['role', 'grant', '--agent', crawler.did, '--role', 'support-agent', '--permission', 'read:tickets/*'],
    { expectExit: 2 },
  )

  step('4. Acme grants its helpdesk bot the support-agent role (a VC 2.0 credential, vc+jwt)')
  tessera(acme, ['role', 'restrict', '--role', 'support-agent', '--type', 'support-agent'])
  tessera(acme, [
    'role',
    'grant',
    '--agent',
    support.did,
    '--role',
    'support-agent',
    '--permission',
    'read:tickets/*',
    '--permission',
    'delete:tickets/*',
    '--valid-for',
    '30d',
    '--out',
    file('support.jwt'),
  ])
  tessera(
    acme,
    ['role', 'grant', '--agent', analyst.did, '--role', 'support-agent', '--permission', 'read:tickets/*'],
    { expectExit: 2 },
  )

  step(
    '5. Globex, another organisation, trusts Acme to grant support-agent, with a ceiling of read/write on tickets',
  )
  tessera(globex, ['init', '--org', 'Globex'], { quiet: true })
  tessera(globex, [
    'trust',
    'add',
    '--file',
    trust,
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

  const presentToGlobex = (credential, label) => {
    const challenge = tessera(globex, ['challenge', '--domain', domain], {
      json: true,
      quiet: true,
    }).challenge
    console.log(`\n  Globex challenges the agent (${label}): ${challenge}`)
    tessera(
      acme,
      [
        'present',
        '--agent',
        support.did,
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
      "  The agent answers with a vp+jwt presentation bound to the challenge and to Globex's domain",
    )
    return challenge
  }

  step('6. The agent presents to Globex: read:tickets/42 is allowed')
  let challenge = presentToGlobex(file('support.jwt'), 'fresh challenge')
  tessera(globex, [
    'verify',
    '--presentation',
    file('vp.jwt'),
    '--domain',
    domain,
    '--trust',
    trust,
    '--challenge',
    challenge,
    '--action',
    'read',
    '--resource',
    'tickets/42',
  ])

  step('7. The same presentation replayed: the challenge was single-use')
  tessera(
    globex,
    [
      'verify',
      '--presentation',
      file('vp.jwt'),
      '--domain',
      domain,
      '--trust',
      trust,
      '--challenge',
      challenge,
      '--action',
      'read',
      '--resource',
      'tickets/42',
    ],
    { expectExit: 1 },
  )

  step(
    "8. delete:tickets/42 is denied: Acme granted it, but Globex's ceiling for the role does not include it",
  )
  challenge = presentToGlobex(file('support.jwt'), 'fresh challenge')
  tessera(
    globex,
    [
      'verify',
      '--presentation',
      file('vp.jwt'),
      '--domain',
      domain,
      '--trust',
      trust,
      '--challenge',
      challenge,
      '--action',
      'delete',
      '--resource',
      'tickets/42',
    ],
    { expectExit: 1 },
  )

  step('9. A credential that has expired is denied, even inside a fresh presentation')
  tessera(
    acme,
    [
      'role',
      'grant',
      '--agent',
      support.did,
      '--role',
      'support-agent',
      '--permission',
      'read:tickets/*',
      '--valid-from',
      '2026-01-01T00:00:00Z',
      '--valid-for',
      '7d',
      '--out',
      file('old.jwt'),
    ],
    { quiet: true },
  )
  challenge = presentToGlobex(file('old.jwt'), 'credential valid 2026-01-01 .. 2026-01-08')
  tessera(
    globex,
    [
      'verify',
      '--presentation',
      file('vp.jwt'),
      '--domain',
      domain,
      '--trust',
      trust,
      '--challenge',
      challenge,
      '--action',
      'read',
      '--resource',
      'tickets/42',
    ],
    { expectExit: 1 },
  )

  step('10. Globex stops trusting Acme: everything from Acme is denied')
  tessera(globex, ['trust', 'remove', '--file', trust, '--org', 'Acme'], { quiet: true })
  tessera(globex, [
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
  ])
  challenge = presentToGlobex(file('support.jwt'), 'fresh challenge')
  tessera(
    globex,
    [
      'verify',
      '--presentation',
      file('vp.jwt'),
      '--domain',
      domain,
      '--trust',
      trust,
      '--challenge',
      challenge,
      '--action',
      'read',
      '--resource',
      'tickets/42',
    ],
    { expectExit: 1 },
  )

  step('11. Retirement is final')
  tessera(acme, ['agent', 'retire', crawler.did])
  tessera(acme, ['agent', 'resume', crawler.did], { expectExit: 2 })

  console.log(
    '\nDemo finished: every step above ran the real CLI against real SQLite homes, verification fully offline.',
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
