import { InputError, type Permission, toDateTimeStamp } from '@tessera/core'

/** The VC Data Model 2.0 base context; it MUST come first (VC DM 2.0 §4.3). */
export const CREDENTIALS_V2 = 'https://www.w3.org/ns/credentials/v2'
/** Tessera's credential type. */
export const ROLE_CREDENTIAL_TYPE = 'AgentRoleCredential'
/**
 * Contexts of a role credential. Tessera's own terms (`role`, `permissions`, `agentType`) fall under the v2
 * context's `@vocab` (issuer-dependent terms, VC DM 2.0 §5.2), which is enough for vc+jwt; a published
 * Tessera context comes with Data Integrity support.
 */
export const TESSERA_CONTEXTS = [CREDENTIALS_V2] as const

/** An AgentRoleCredential (unsecured form). */
export interface RoleCredential {
  '@context': string[]
  id: string
  type: ['VerifiableCredential', typeof ROLE_CREDENTIAL_TYPE]
  issuer: string
  validFrom: string
  validUntil: string
  credentialSubject: {
    id: string
    role: string
    permissions: Permission[]
    agentType?: string
  }
  credentialStatus?: Record<string, unknown>[]
}

const ROLE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/

/** Validate a role name: lower-case letter first, then letters, digits, `.`, `_`, `-` (at most 64). */
export function validateRoleName(role: unknown): string {
  if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"role" must match ${ROLE_PATTERN.source}, got ${JSON.stringify(role)}`,
    )
  }
  return role
}

/** Build an unsecured AgentRoleCredential (VC Data Model 2.0). */
export function buildRoleCredential(options: {
  id: string
  issuer: string
  subject: string
  role: string
  permissions: readonly Permission[]
  agentType?: string | undefined
  validFrom: Date
  validUntil: Date
  credentialStatus?: Record<string, unknown>[] | undefined
}): RoleCredential {
  if (options.validUntil.getTime() <= options.validFrom.getTime()) {
    throw new InputError('ERR_INPUT_INVALID', '"validUntil" must be after "validFrom"')
  }
  if (options.permissions.length === 0) {
    throw new InputError('ERR_PERMISSION_INVALID', 'a role credential must carry at least one permission')
  }
  const credential: RoleCredential = {
    '@context': [...TESSERA_CONTEXTS],
    id: options.id,
    type: ['VerifiableCredential', ROLE_CREDENTIAL_TYPE],
    issuer: options.issuer,
    validFrom: toDateTimeStamp(options.validFrom),
    validUntil: toDateTimeStamp(options.validUntil),
    credentialSubject: {
      id: options.subject,
      role: validateRoleName(options.role),
      permissions: options.permissions.map((p) => ({ action: p.action, resource: p.resource })),
      ...(options.agentType === undefined ? {} : { agentType: options.agentType }),
    },
  }
  if (options.credentialStatus && options.credentialStatus.length > 0) {
    credential.credentialStatus = options.credentialStatus
  }
  return credential
}
