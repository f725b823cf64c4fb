// Publishing after 10,000 revocations spread over 10 status lists: seconds, next to the physical floor measured in
// the same run (encoding the same 10 lists, GZIP + base64url, and 10 raw node:crypto Ed25519 signatures).
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { credentialsMigrations, signCredentialJwt, veramoSigner } from '../packages/credentials/dist/index.js'
import { initHome, openHome } from '../packages/identity/dist/index.js'
import {
  allocateStatusEntries,
  Bitstring,
  changeCredentialStatus,
  encodeList,
  publishStatusLists,
  statusMigrations,
} from '../packages/status/dist/index.js'
import { report } from './lib.mjs'

const LISTS = 10
const PER_LIST = 1_000
const BASE_URL = 'https://bench.tessera.invalid/status'
const root = mkdtempSync(join(tmpdir(), 'tessera-bench-publish-'))
const migrations = [...credentialsMigrations, ...statusMigrations]
try {
  await initHome({ dir: join(root, 'home'), org: 'Bench', env: {}, migrations })
  const home = await openHome({ dir: join(root, 'home'), env: {}, migrations })
  const ids = []
  await home.transaction(async () => {
    for (let list = 0; list < LISTS; list++) {
      for (let i = 0; i < PER_LIST; i++) {
        const credentialId = `urn:uuid:bench-${list}-${i}`
        await allocateStatusEntries(home.dataSource, { credentialId, baseUrl: BASE_URL })
        ids.push(credentialId)
      }
      // mark the list full so the next credentials start a new one: 10 lists, 1,000 credentials each
      await home.dataSource.query(
        `UPDATE "tessera_status_list" SET "allocated" = "length" WHERE "list_number" = ?`,
        [list + 1],
      )
    }
  })
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  const publish = () =>
    home.transaction(() =>
      publishStatusLists(home.dataSource, {
        issuer: home.org.did,
        baseUrl: BASE_URL,
        outDir: join(root, 'out'),
        signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
      }),
    )
  await publish() // everything published once

  let start = performance.now()
  await home.transaction(async () => {
    for (const credentialId of ids)
      await changeCredentialStatus(home.dataSource, { credentialId, action: 'revoke' })
  })
  const revokeSeconds = (performance.now() - start) / 1000
  start = performance.now()
  const lists = await publish()
  const publishSeconds = (performance.now() - start) / 1000
  const resigned = lists.filter((l) => l.resigned).length
  await home.close()

  // the floor: encode 10 lists with 1,000 bits set each and sign 10 payloads of the same size, raw
  const { privateKey } = generateKeyPairSync('ed25519')
  start = performance.now()
  for (let list = 0; list < LISTS; list++) {
    const bits = new Bitstring()
    for (let i = 0; i < PER_LIST; i++) bits.set((i * 131) % bits.length, 1)
    sign(null, Buffer.from(encodeList(bits)), privateKey)
  }
  const floorSeconds = (performance.now() - start) / 1000

  report({
    name: `status publish after ${LISTS * PER_LIST} revocations over ${LISTS} lists (${resigned} lists re-signed)`,
    value: publishSeconds,
    unit: 's',
    higherIsBetter: false,
    reference: { label: 'encode + sign the same 10 lists, raw', value: floorSeconds, unit: 's' },
  })
  report({
    name: `revoke ${LISTS * PER_LIST} credentials (one transaction, bit writes in SQLite)`,
    value: (LISTS * PER_LIST) / revokeSeconds,
    unit: 'revocations/s',
  })
} finally {
  rmSync(root, { recursive: true, force: true })
}
