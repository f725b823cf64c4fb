import {
  allocateStatusEntries,
  type CredentialStatusState,
  changeCredentialStatus,
  type StatusAction,
  type StatusDb,
  validateStatusBaseUrl,
} from './issuer.js'
import type { BitstringStatusListCredential } from './list-credential.js'
import { type PublishedList, publishStatusLists } from './publish.js'

/**
 * The parts of an organisation home (from @tessera/identity) that status lists plug into. Structural, so this
 * package stays free of the key store: a verifier can use it without Veramo.
 */
export interface StatusHome {
  org: { name: string; did: string }
  dataSource: StatusDb
  config: { settings?: Record<string, unknown> }
  transaction<T>(work: () => Promise<T>): Promise<T>
  hooks: {
    record?: (
      events: { actor: string; type: string; subject?: string; data?: Record<string, unknown> }[],
    ) => Promise<void>
    agentTransition: {
      push(
        listener: (event: {
          agent: { did: string }
          transition: 'suspend' | 'resume' | 'retire'
        }) => Promise<void>,
      ): unknown
    }
    allocateCredentialStatus?: (request: { credentialId: string }) => Promise<Record<string, unknown>[]>
  }
}

/**
 * The home's status base URL: `settings.statusBaseUrl` from its config, else `https://<org>.tessera.invalid/status`
 * (`.invalid` never resolves, RFC 6761 §6.4: set a real URL before publishing where verifiers fetch over HTTPS;
 * verifiers that read published files from a folder find them by name either way).
 */
export function statusBaseUrl(home: Pick<StatusHome, 'org' | 'config'>): string {
  const configured = home.config.settings?.statusBaseUrl
  if (configured !== undefined) return validateStatusBaseUrl(configured)
  const slug =
    home.org.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'org'
  return `https://${slug}.tessera.invalid/status`
}

/**
 * Give a home Bitstring Status Lists: every role credential issued from now on carries revocation and suspension
 * entries (allocated in the issuing transaction), suspending an agent suspends its credentials (resuming lifts
 * that suspension, not ones made for a credential itself), and retiring it revokes them all, in the transition's
 * transaction.
 */
export function enableStatusLists(home: StatusHome): void {
  const baseUrl = statusBaseUrl(home)
  home.hooks.allocateCredentialStatus = async ({ credentialId }) =>
    (await allocateStatusEntries(home.dataSource, { credentialId, baseUrl })).map((entry) => ({ ...entry }))
  home.hooks.agentTransition.push(async ({ agent, transition }) => {
    const ids = (await home.dataSource.query(
      `SELECT e."credential_id" AS id FROM "tessera_status_entry" e
       JOIN "tessera_credential" c ON c."id" = e."credential_id" WHERE c."subject" = ? ORDER BY e."credential_id"`,
      [agent.did],
    )) as { id: string }[]
    const action = transition === 'retire' ? 'revoke' : transition === 'suspend' ? 'suspend' : 'reinstate'
    for (const { id } of ids) {
      const state = await changeCredentialStatus(home.dataSource, { credentialId: id, action, by: 'agent' })
      if (state.changed) await recordChange(home, state, action, 'agent')
    }
  })
}

async function recordChange(
  home: StatusHome,
  state: CredentialStatusState,
  action: StatusAction,
  by: 'credential' | 'agent',
): Promise<void> {
  await home.hooks.record?.([
    {
      actor: home.org.did,
      type: 'status.changed',
      subject: state.credentialId,
      data: {
        action,
        by,
        revoked: state.revoked,
        suspended: state.suspended,
        list: state.listNumber,
        index: state.index,
      },
    },
  ])
}

/**
 * Revoke, suspend or reinstate one credential of this home (see `changeCredentialStatus`), recording the change
 * in the audit log in the same transaction.
 */
export function setCredentialStatus(
  home: StatusHome,
  options: { credentialId: string; action: StatusAction },
): Promise<CredentialStatusState & { changed: boolean }> {
  return home.transaction(async () => {
    const state = await changeCredentialStatus(home.dataSource, { ...options, by: 'credential' })
    if (state.changed) await recordChange(home, state, options.action, 'credential')
    return state
  })
}

/** Publish this home's status lists (see `publishStatusLists`), recording what was re-signed in the audit log. */
export function publishHomeStatusLists(
  home: StatusHome,
  options: {
    signCredential: (credential: BitstringStatusListCredential) => Promise<string>
    outDir?: string
    validForSec?: number
    ttlMs?: number
    force?: boolean
    now?: Date
  },
): Promise<PublishedList[]> {
  return home.transaction(async () => {
    const lists = await publishStatusLists(home.dataSource, {
      ...options,
      issuer: home.org.did,
      baseUrl: statusBaseUrl(home),
    })
    const signed = lists.filter((l) => l.resigned)
    if (signed.length > 0) {
      await home.hooks.record?.([
        {
          actor: home.org.did,
          type: 'status.published',
          data: { lists: signed.map((l) => ({ id: l.id, version: l.version, validUntil: l.validUntil })) },
        },
      ])
    }
    return lists
  })
}
