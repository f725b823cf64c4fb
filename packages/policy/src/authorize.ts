/**
 * The verifier's two policy questions, as pure functions over plain data:
 * is this credential's issuer trusted to grant this role (and what does it then allow here), and
 * does any trusted grant cover this one action on this one resource.
 *
 * Trust is explicit: nothing is accepted because nothing said no. An issuer in no organisation, a role no
 * organisation may grant, a request no permission covers: all are refusals.
 */
import { InputError, type Permission, type PolicyErrorCode } from '@tessera/core'
import {
  checkGranted,
  coversValidated,
  formatPermission,
  intersectPermissions,
  validateRequest,
} from './permission.js'
import { show } from './show.js'
import type { TrustBundle } from './trust-bundle.js'
import { issuerIndex } from './trust-index.js'

/** Codes an untrusted {@link TrustResult} can carry. */
export type TrustFailureCode = Extract<
  PolicyErrorCode,
  'ERR_TRUST_ISSUER_UNKNOWN' | 'ERR_TRUST_ROLE_NOT_ALLOWED' | 'ERR_TRUST_SELF_ISSUED'
>

/** Outcome of {@link evaluateTrust}. */
export type TrustResult =
  | {
      trusted: true
      /** The organisation the issuer belongs to in the trust bundle. */
      org: string
      /** The credential's permissions intersected with the role's ceiling (may be empty). */
      effective: Permission[]
    }
  | { trusted: false; code: TrustFailureCode; message: string }

/** Options of {@link evaluateTrust}: the trust-relevant claims of one verified role credential. */
export interface EvaluateTrustOptions {
  /** The verifier's trust bundle. */
  bundle: TrustBundle
  /** The credential's `issuer` DID (VC Data Model 2.0 §4.7). */
  issuer: string
  /** The credential's `credentialSubject.id`: the agent's DID. */
  subject: string
  /** The role the credential grants. */
  role: string
  /** The permissions the credential grants. */
  permissions: readonly Permission[]
}

function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', `"${name}" must be a non-empty string, got ${show(value)}`)
  }
  return value
}

/**
 * Decide whether a (signature-verified) role credential is trusted under `bundle`, and compute its effective
 * permissions at this verifier: the credential's permissions intersected with the role's ceiling
 * (see `intersectPermissions`).
 *
 * Checks, in order: the issuer is not the subject (`ERR_TRUST_SELF_ISSUED`); the issuer belongs to an
 * organisation (`ERR_TRUST_ISSUER_UNKNOWN`); that organisation may grant the role (`ERR_TRUST_ROLE_NOT_ALLOWED`).
 * A trusted result may have no effective permissions; `authorize` then denies.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a missing argument, `ERR_PERMISSION_INVALID` for an invalid
 *   permission, `ERR_TRUST_BUNDLE_INVALID` for an invalid bundle. Untrusted credentials are results, not throws.
 */
export function evaluateTrust(options: EvaluateTrustOptions): TrustResult {
  const { bundle, permissions } = options
  const issuer = requireString('issuer', options.issuer)
  const subject = requireString('subject', options.subject)
  const role = requireString('role', options.role)
  if (!Array.isArray(permissions)) {
    throw new InputError('ERR_INPUT_INVALID', `"permissions" must be an array, got ${show(permissions)}`)
  }
  const index = issuerIndex(bundle)
  if (issuer === subject) {
    return {
      trusted: false,
      code: 'ERR_TRUST_SELF_ISSUED',
      message: `credential issuer ${show(issuer)} is its own subject; a self-issued role credential is never trusted`,
    }
  }
  const org = index.get(issuer)
  if (org === undefined) {
    return {
      trusted: false,
      code: 'ERR_TRUST_ISSUER_UNKNOWN',
      message: `credential issuer ${show(issuer)} is not an issuer of any organisation in the trust bundle`,
    }
  }
  const ceiling = org.roles.get(role)
  if (ceiling === undefined) {
    return {
      trusted: false,
      code: 'ERR_TRUST_ROLE_NOT_ALLOWED',
      message: `organisation ${show(org.name)} is not trusted to grant role ${show(role)}`,
    }
  }
  return { trusted: true, org: org.name, effective: intersectPermissions(permissions, ceiling) }
}

/** Options of {@link isStatusIssuerTrusted}. */
export interface StatusIssuerOptions {
  /** The verifier's trust bundle. */
  bundle: TrustBundle
  /** The `issuer` of the credential whose status is being checked. */
  credentialIssuer: string
  /** The `issuer` of the status list credential (Bitstring Status List v1.0 §2.2) that holds its status. */
  statusIssuer: string
}

/**
 * True only when `credentialIssuer` belongs to an organisation of the bundle and `statusIssuer` is one of that
 * organisation's `statusIssuers` (by default, its `issuers`). Anything unknown is false.
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID` for an invalid bundle.
 */
export function isStatusIssuerTrusted(options: StatusIssuerOptions): boolean {
  const { credentialIssuer, statusIssuer } = options
  const index = issuerIndex(options.bundle)
  if (typeof credentialIssuer !== 'string' || typeof statusIssuer !== 'string') return false
  return index.get(credentialIssuer)?.statusIssuers.has(statusIssuer) ?? false
}

/** One trusted credential's contribution to an authorization: typically built from a trusted {@link TrustResult}. */
export interface Grant {
  /** The credential's `id`, reported back when it allows the request. */
  credentialId: string
  /** The role the credential grants. */
  role: string
  /** The credential's issuer DID. */
  issuer: string
  /** Its effective permissions at this verifier (`TrustResult.effective`). */
  effective: readonly Permission[]
}

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
  /** The agent's trusted grants, in presentation order. */
  grants: readonly Grant[]
  /** The concrete action requested (no `*`). */
  action: string
  /** The concrete resource requested (no `*`). */
  resource: string
}

/** Codes a denied {@link Authorization} can carry. */
export type AuthorizationFailureCode = Extract<
  PolicyErrorCode,
  'ERR_POLICY_DENIED' | 'ERR_POLICY_NO_CREDENTIALS'
>

/** Outcome of {@link authorize}. */
export type Authorization =
  | {
      allowed: true
      /** The first grant whose effective permissions cover the request. */
      credentialId: string
      role: string
      /** The first of its effective permissions that covers the request. */
      permission: Permission
    }
  | { allowed: false; code: AuthorizationFailureCode; message: string }

/** Most grants and permissions a denial message lists before summarizing the rest. */
const LISTED = 10

function describeGrants(grants: readonly { grant: Grant; effective: Permission[] }[]): string {
  const parts = grants.slice(0, LISTED).map(({ grant, effective }) => {
    const listed = effective.slice(0, LISTED).map(formatPermission).join(', ')
    const more = effective.length > LISTED ? `, and ${effective.length - LISTED} more` : ''
    return `${show(grant.credentialId)} (role ${show(grant.role)}, issuer ${show(grant.issuer)}): ${
      effective.length === 0 ? 'no effective permissions' : `${listed}${more}`
    }`
  })
  const more = grants.length > LISTED ? `; and ${grants.length - LISTED} more credentials` : ''
  return `${parts.join('; ')}${more}`
}

/**
 * Decide whether the agent may perform `action` on `resource`, given its trusted grants. Allowed by the first
 * grant, and its first effective permission, that covers the request (see `permissionCovers`); otherwise denied
 * with a message naming what was asked and what the agent had.
 *
 * @throws InputError `ERR_PERMISSION_INVALID` when `action` or `resource` is not concrete and well-formed, or a
 *   grant holds an invalid permission; `ERR_INPUT_INVALID` when `grants` is not an array. These are caller bugs;
 *   a refusal is a result.
 */
export function authorize(options: AuthorizeOptions): Authorization {
  const request = validateRequest({ action: options.action, resource: options.resource })
  const { grants } = options
  if (!Array.isArray(grants)) {
    throw new InputError('ERR_INPUT_INVALID', `"grants" must be an array, got ${show(grants)}`)
  }
  const asked = show(`${request.action}:${request.resource}`)
  if (grants.length === 0) {
    return {
      allowed: false,
      code: 'ERR_POLICY_NO_CREDENTIALS',
      message: `denied ${asked}: the agent presented no trusted credentials`,
    }
  }
  const checked: { grant: Grant; effective: Permission[] }[] = []
  for (let g = 0; g < grants.length; g++) {
    const grant = grants[g] as Grant
    if (!Array.isArray(grant?.effective)) {
      throw new InputError('ERR_INPUT_INVALID', `"grants[${g}].effective" must be an array`)
    }
    const effective = grant.effective.map((p, i) => checkGranted(`grants[${g}].effective[${i}]`, p))
    for (const permission of effective) {
      if (coversValidated(permission, request)) {
        return { allowed: true, credentialId: grant.credentialId, role: grant.role, permission }
      }
    }
    checked.push({ grant, effective })
  }
  return {
    allowed: false,
    code: 'ERR_POLICY_DENIED',
    message: `denied ${asked}: no effective permission covers it; the agent had ${describeGrants(checked)}`,
  }
}
