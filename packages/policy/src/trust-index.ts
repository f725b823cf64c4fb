/**
 * Internal: the lookup tables `evaluateTrust` and `isStatusIssuerTrusted` use, built once per validated trust
 * bundle and kept in a WeakMap (bundles are deeply frozen, so a cached index can never go stale).
 * Every table is a `Map` or `Set`: a hostile name (`__proto__`, `toString`) can only miss. Not part of the
 * package's public surface.
 */
import type { Permission } from '@tessera/core'
import { parsePermission } from './permission.js'
import { parseTrustBundle, type TrustBundle } from './trust-bundle.js'

/** What the verifier trusts one organisation for. */
export interface OrganisationIndex {
  /** The organisation's name in the bundle. */
  readonly name: string
  /** Role name to its parsed ceiling. */
  readonly roles: ReadonlyMap<string, readonly Permission[]>
  /** DIDs whose status list credentials are accepted for this organisation's credentials. */
  readonly statusIssuers: ReadonlySet<string>
}

const cache = new WeakMap<TrustBundle, ReadonlyMap<string, OrganisationIndex>>()

/**
 * Issuer DID to its organisation, for a bundle. A bundle that did not come from this package is validated first
 * (and, being possibly mutable, not cached).
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID` if `bundle` is not a valid trust bundle.
 */
export function issuerIndex(bundle: TrustBundle): ReadonlyMap<string, OrganisationIndex> {
  const valid = parseTrustBundle(bundle)
  const cached = cache.get(valid)
  if (cached !== undefined) return cached
  const index = new Map<string, OrganisationIndex>()
  for (const [name, org] of Object.entries(valid.organisations)) {
    const roles = new Map<string, readonly Permission[]>()
    for (const [roleName, role] of Object.entries(org.roles)) {
      roles.set(roleName, Object.freeze(role.ceiling.map((text) => Object.freeze(parsePermission(text)))))
    }
    const entry: OrganisationIndex = {
      name,
      roles,
      statusIssuers: new Set(org.statusIssuers ?? org.issuers),
    }
    for (const issuer of org.issuers) index.set(issuer, entry)
  }
  cache.set(valid, index)
  return index
}
