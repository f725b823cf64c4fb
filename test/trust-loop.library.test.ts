import { existsSync } from 'node:fs'
import { parseDuration, TesseraError } from '@tessera/core'
import {
  allowRoleForType,
  createChallenge,
  createPresentation,
  credentialsMigrations,
  homeChallengeStore,
  issueRoleCredential,
  signCredentialJwt,
  veramoSigner,
} from '@tessera/credentials'
import { verifyPresentation } from '@tessera/credentials/offline'
import { createAgentIdentity, type Home, initHome, openHome, transitionAgent } from '@tessera/identity'
import {
  addTrust,
  emptyTrustBundle,
  loadTrustBundle,
  parsePermission,
  removeTrust,
  saveTrustBundle,
} from '@tessera/policy'
import {
  changeCredentialStatus,
  createStatusCache,
  directorySource,
  enableStatusLists,
  publishStatusLists,
  statusBaseUrl,
  statusChecker,
  statusMigrations,
} from '@tessera/status'
import { afterAll } from 'vitest'
import { defineTrustLoopSuite } from './scenarios/trust-loop.js'

const homes = new Map<string, Home>()
const migrations = [...credentialsMigrations, ...statusMigrations]
async function open(dir: string): Promise<Home> {
  let home = homes.get(dir)
  if (!home) {
    home = await openHome({ dir, env: {}, migrations })
    enableStatusLists(home)
    homes.set(dir, home)
  }
  return home
}
afterAll(async () => {
  for (const home of homes.values()) await home.close()
})

defineTrustLoopSuite('library, in-process', () => ({
  init: async (dir, org) => (await initHome({ dir, org, env: {}, migrations })).did,
  createAgent: async (dir, name, type) => (await createAgentIdentity(await open(dir), { name, type })).did,
  suspend: async (dir, did) => {
    await transitionAgent(await open(dir), did, 'suspend')
  },
  grant: async (dir, agent, role, permissions, options = {}) =>
    (
      await issueRoleCredential(await open(dir), {
        agent,
        role,
        permissions: permissions.map(parsePermission),
        ...(options.validFor ? { validForSec: parseDuration(options.validFor) } : {}),
        ...(options.validFrom ? { validFrom: new Date(options.validFrom) } : {}),
      })
    ).jwt,
  grantFails: async (dir, agent, role, permissions) => {
    try {
      await issueRoleCredential(await open(dir), {
        agent,
        role,
        permissions: permissions.map(parsePermission),
      })
    } catch (err) {
      if (err instanceof TesseraError) return err.code
      throw err
    }
    throw new Error('grant unexpectedly succeeded')
  },
  restrictRole: async (dir, role, types) => {
    const home = await open(dir)
    for (const agentType of types) await allowRoleForType(home, { role, agentType })
  },
  trustAdd: async (file, org, issuer, role, permissions) => {
    const bundle = existsSync(file) ? await loadTrustBundle(file) : emptyTrustBundle()
    await saveTrustBundle(file, addTrust(bundle, { org, issuer, role, permissions }))
  },
  trustRemove: async (file, org) => {
    await saveTrustBundle(file, removeTrust(await loadTrustBundle(file), { org }))
  },
  publish: async (dir, out) => {
    const home = await open(dir)
    const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
    await home.transaction(() =>
      publishStatusLists(home.dataSource, {
        issuer: home.org.did,
        baseUrl: statusBaseUrl(home),
        outDir: out,
        signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
      }),
    )
  },
  changeStatus: async (dir, credentialId, action) => {
    const home = await open(dir)
    try {
      await home.transaction(() => changeCredentialStatus(home.dataSource, { credentialId, action }))
      return undefined
    } catch (err) {
      if (err instanceof TesseraError) return err.code
      throw err
    }
  },
  challenge: async (dir, domain) => (await createChallenge(await open(dir), { domain })).challenge,
  present: async (dir, holder, credentials, challenge, domain) =>
    createPresentation(await open(dir), { holder, credentials, challenge, domain }),
  verify: async (dir, o) => {
    const home = await open(dir)
    const bundle = await loadTrustBundle(o.trust)
    const decision = await verifyPresentation({
      presentation: o.presentation,
      domain: o.domain,
      trust: bundle,
      status: statusChecker(
        createStatusCache({ sources: [directorySource(o.statusDir)], trust: bundle, maxStalenessMs: 60_000 }),
      ),
      ...(o.challenge ? { challenge: o.challenge, challenges: homeChallengeStore(home) } : {}),
      ...(o.action ? { request: { action: o.action, resource: o.resource ?? '' } } : {}),
    })
    return { decision }
  },
}))
