// `pnpm demo`: the Tessera story end to end, on temporary homes (embedded SQLite), through the real CLI.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { step, tessera } from './lib.mjs'

const root = mkdtempSync(join(tmpdir(), 'tessera-demo-'))
const acme = join(root, 'acme')
try {
  step('Acme sets up its organisation home (did:key, encrypted key store, SQLite)')
  tessera(acme, ['init', '--org', 'Acme'])

  step('Acme creates three agents of different types')
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

  step('The crawler misbehaves: Acme suspends it')
  tessera(acme, ['agent', 'suspend', crawler.did])
  tessera(acme, ['agent', 'list'])
  tessera(acme, ['agent', 'list', '--status', 'active'])

  step('Anyone can resolve an agent DID offline')
  const doc = tessera(acme, ['did', 'resolve', support.did], { json: true })
  console.log(`  verificationMethod: ${doc.verificationMethod[0].id}`)

  step('Retirement is final: resuming a retired agent is refused')
  tessera(acme, ['agent', 'retire', crawler.did])
  tessera(acme, ['agent', 'resume', crawler.did], { expectExit: 2 })

  console.log('\nDemo finished: every step above ran the real CLI against a real SQLite home.')
} finally {
  rmSync(root, { recursive: true, force: true })
}
