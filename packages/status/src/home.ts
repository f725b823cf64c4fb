import {
  allocateStatusEntries,
  changeCredentialStatus,
  type StatusDb,
  validateStatusBaseUrl,
} from './issuer.js'

/**
 * The parts of an organisation home (from @tessera/identity) that status lists plug into. Structural, so this
 * package stays free of the key store: a verifier can use it without Veramo.
 */
export interface StatusHome {
  org: { name: string; did: string }
  dataSource: StatusDb
  config: { settings?: Record<string, unknown> }
  hooks: {
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
      await changeCredentialStatus(home.dataSource, { credentialId: id, action, by: 'agent' })
    }
  })
}
