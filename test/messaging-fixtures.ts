/**
 * Two organisations for the messaging tests: Acme and Globex, each with its own home (SQLite in a temp dir,
 * audit log, status lists), one agent with a role credential, a trust bundle, and a status cache over the
 * other organisation's published lists. Real keys, real database, no mocks.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { auditMigrations, enableAudit } from '@tessera/audit'
import {
  credentialsMigrations,
  issueRoleCredential,
  type StatusChecker,
  signCredentialJwt,
  veramoSigner,
} from '@tessera/credentials'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { addTrust, emptyTrustBundle, parsePermission, type TrustBundle } from '@tessera/policy'
import {
  createStatusCache,
  directorySource,
  enableStatusLists,
  publishHomeStatusLists,
  type StatusCache,
  setCredentialStatus,
  statusChecker,
  statusMigrations,
} from '@tessera/status'
import { messagingMigrations } from '../packages/messaging/src/index.js'

export const MIGRATIONS = [
  ...credentialsMigrations,
  ...statusMigrations,
  ...auditMigrations,
  ...messagingMigrations,
]

/** One organisation: its home, one agent and the agent's credential, where it publishes its status lists. */
export interface TestOrg {
  name: string
  dir: string
  home: Home
  agent: string
  credential: string
  credentialId: string
  published: string
  /** Re-sign and write this organisation's status lists to `published`. */
  publish(): Promise<void>
  revoke(credentialId?: string): Promise<void>
  suspend(credentialId?: string): Promise<void>
  reinstate(credentialId?: string): Promise<void>
}

/** An organisation's view of its peer: whom it trusts and the status cache over the peer's lists. */
export interface TestView {
  trust: TrustBundle
  cache: StatusCache
  status: StatusChecker
}

export interface TestPair {
  root: string
  acme: TestOrg
  globex: TestOrg
  /** Acme's trust bundle and status cache (over Globex's lists). */
  acmeView: TestView
  globexView: TestView
  close(): Promise<void>
}

async function createOrg(root: string, name: string, role: string, permissions: string[]): Promise<TestOrg> {
  const dir = join(root, name.toLowerCase())
  await initHome({ dir, org: name, env: {}, migrations: MIGRATIONS })
  const home = await openHome({ dir, env: {}, migrations: MIGRATIONS })
  enableStatusLists(home)
  enableAudit(home)
  const agent = (await createAgentIdentity(home, { name: `${name} bot`, type: role })).did
  const issued = await issueRoleCredential(home, {
    agent,
    role,
    permissions: permissions.map(parsePermission),
  })
  const published = join(root, `${name.toLowerCase()}-status`)
  mkdirSync(published, { recursive: true })
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  const publish = async () => {
    await publishHomeStatusLists(home, {
      outDir: published,
      ttlMs: 1_000,
      signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
    })
  }
  const change = (action: 'revoke' | 'suspend' | 'reinstate') => async (credentialId?: string) => {
    await setCredentialStatus(home, { credentialId: credentialId ?? issued.id, action })
  }
  await publish()
  return {
    name,
    dir,
    home,
    agent,
    credential: issued.jwt,
    credentialId: issued.id,
    published,
    publish,
    revoke: change('revoke'),
    suspend: change('suspend'),
    reinstate: change('reinstate'),
  }
}

function view(trust: TrustBundle, peer: TestOrg): TestView {
  const cache = createStatusCache({
    sources: [directorySource(peer.published)],
    trust,
    maxStalenessMs: 60_000,
    minTtlMs: 1_000,
  })
  return { trust, cache, status: statusChecker(cache) }
}

/**
 * Acme's agent (role `support-agent`, `read:tickets/*` and `delete:tickets/*`) and Globex's agent (role
 * `partner-desk`, `read:orders/*`). Globex trusts Acme for support-agent with a ceiling of read and write on
 * tickets (unless `globexTrustsAcme` is false); Acme trusts Globex for partner-desk (unless `acmeTrustsGlobex` is
 * false). An organisation that trusts the other trusts only Initech instead (an unrelated issuer).
 */
export async function createPair(
  options: { acmeTrustsGlobex?: boolean; globexTrustsAcme?: boolean } = {},
): Promise<TestPair> {
  const root = mkdtempSync(join(tmpdir(), 'tessera-messaging-'))
  const acme = await createOrg(root, 'Acme', 'support-agent', ['read:tickets/*', 'delete:tickets/*'])
  const globex = await createOrg(root, 'Globex', 'partner-desk', ['read:orders/*'])
  const stranger = addTrust(emptyTrustBundle(), {
    org: 'Initech',
    issuer: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    role: 'auditor',
    permissions: ['read:reports/*'],
  })
  const globexTrust =
    options.globexTrustsAcme === false
      ? stranger
      : addTrust(emptyTrustBundle(), {
          org: 'Acme',
          issuer: acme.home.org.did,
          role: 'support-agent',
          permissions: ['read:tickets/*', 'write:tickets/*'],
        })
  const acmeTrust =
    options.acmeTrustsGlobex === false
      ? stranger
      : addTrust(emptyTrustBundle(), {
          org: 'Globex',
          issuer: globex.home.org.did,
          role: 'partner-desk',
          permissions: ['read:orders/*'],
        })
  return {
    root,
    acme,
    globex,
    acmeView: view(acmeTrust, globex),
    globexView: view(globexTrust, acme),
    close: async () => {
      await acme.home.close()
      await globex.home.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
}
