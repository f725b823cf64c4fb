// Agent creation per second, including the encrypted key and the database write, vs raw node:crypto
// Ed25519 key generation measured in the same run.
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgentIdentity, initHome, openHome } from '../packages/identity/dist/index.js'
import { measure, report } from './lib.mjs'

const root = mkdtempSync(join(tmpdir(), 'tessera-bench-'))
try {
  await initHome({ dir: join(root, 'home'), org: 'Bench', env: {} })
  const home = await openHome({ dir: join(root, 'home'), env: {} })
  let i = 0
  const create = await measure(() => createAgentIdentity(home, { name: `bench-${i++}`, type: 'worker' }), {
    runMs: 1000,
  })
  await home.close()
  const keygen = await measure(() => generateKeyPairSync('ed25519'))
  report({
    name: 'agent create (did:key + encrypted key + profile, one transaction each)',
    value: create.opsPerSec,
    reference: { label: 'node:crypto Ed25519 keygen', value: keygen.opsPerSec },
  })
} finally {
  rmSync(root, { recursive: true, force: true })
}
