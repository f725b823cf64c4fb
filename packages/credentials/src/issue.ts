import { randomUUID } from 'node:crypto'
import { IdentityError, type Permission, toNumericDate } from '@tessera/core'
import { type Home, requireActiveAgent } from '@tessera/identity'
import { validatePermission } from '@tessera/policy'
import { signCompactJws } from './jws.js'
import { allowedTypesForRole, type IssuedCredential, recordIssued } from './register.js'
import { buildRoleCredential, type RoleCredential, validateRoleName } from './role-credential.js'
import { type JwsSigner, type SigningAgent, veramoSigner } from './signer.js'

/** Default validity of a role credential: 30 days. */
export const DEFAULT_VALIDITY_SEC = 30 * 86_400

/**
 * Allocates `credentialStatus` entries for a credential about to be issued, inside the issuing transaction
 * (the status-list package provides one); the entries are signed into the credential.
 */
export type StatusAllocator = (request: {
  home: Home
  credentialId: string
}) => Promise<Record<string, unknown>[]>

/** What to grant. */
export interface GrantRequest {
  /** The agent's DID (an active agent of this home). */
  agent: string
  role: string
  permissions: readonly Permission[]
  /** Seconds of validity from `validFrom` (default 30 days). */
  validForSec?: number
  validFrom?: Date
}

/**
 * Secure a credential as VC-JOSE-COSE `vc+jwt` (VC-JOSE-COSE §3.1.1): the JWS payload is the credential itself.
 * The registered JWT claims are added with the same values (RFC 7519 §4.1; VC-JOSE-COSE says that when present
 * they must agree with the credential) so that generic JWT tooling enforces validity too.
 */
export async function signCredentialJwt(options: {
  credential: RoleCredential | Record<string, unknown>
  signer: JwsSigner
  now?: Date
}): Promise<string> {
  const { credential, signer } = options
  const c = credential as Record<string, unknown>
  const claims: Record<string, unknown> = { iat: toNumericDate(options.now ?? new Date()) }
  if (typeof c.issuer === 'string') claims.iss = c.issuer
  if (typeof c.id === 'string') claims.jti = c.id
  const subjectId = (c.credentialSubject as { id?: unknown } | undefined)?.id
  if (typeof subjectId === 'string') claims.sub = subjectId
  if (typeof c.validFrom === 'string') claims.nbf = toNumericDate(new Date(c.validFrom))
  if (typeof c.validUntil === 'string') claims.exp = toNumericDate(new Date(c.validUntil))
  return signCompactJws({
    header: { alg: signer.alg, typ: 'vc+jwt', kid: signer.kid },
    payload: { ...c, ...claims },
    sign: signer.sign,
  })
}

/**
 * Grant roles to agents of this home: each an AgentRoleCredential (VC DM 2.0, vc+jwt, signed by the
 * organisation's did:key through Veramo's key manager), recorded in the register. All of them commit in one
 * transaction, or none (a crash never leaves a credential unrecorded or a status index half allocated).
 *
 * @throws IdentityError `ERR_AGENT_NOT_FOUND`, `ERR_AGENT_INACTIVE` (suspended or retired agent),
 *   `ERR_ROLE_NOT_ALLOWED_FOR_TYPE`; InputError `ERR_INPUT_INVALID`, `ERR_PERMISSION_INVALID`.
 */
export async function issueRoleCredentials(
  home: Home,
  requests: readonly GrantRequest[],
  options: { allocateStatus?: StatusAllocator; now?: Date } = {},
): Promise<IssuedCredential[]> {
  // Sign through the home's key manager plugin directly: the same KMS as `agent.keyManagerSign`, without the
  // agent's per-call dispatch (which builds a logger and serializes the result each time).
  const keyManager = home.keyManager
  const signer = await veramoSigner({
    agent: {
      keyManagerSign: (args: Parameters<typeof keyManager.keyManagerSign>[0]) =>
        keyManager.keyManagerSign(args),
      didManagerGet: (args: { did: string }) => home.agent.didManagerGet(args),
    } as SigningAgent,
    did: home.org.did,
  })
  return home.transaction(async () => {
    const issued: IssuedCredential[] = []
    const allowedTypes = new Map<string, string[]>()
    const agents = new Map<string, Awaited<ReturnType<typeof requireActiveAgent>>>()
    for (const request of requests) {
      const role = validateRoleName(request.role)
      const permissions = request.permissions.map((p) => validatePermission(p))
      let agent = agents.get(request.agent)
      if (agent === undefined) {
        agent = await requireActiveAgent(home, request.agent)
        agents.set(request.agent, agent)
      }
      let allowed = allowedTypes.get(role)
      if (allowed === undefined) {
        allowed = await allowedTypesForRole(home, role)
        allowedTypes.set(role, allowed)
      }
      if (allowed.length > 0 && !allowed.includes(agent.type)) {
        throw new IdentityError(
          'ERR_ROLE_NOT_ALLOWED_FOR_TYPE',
          `role "${role}" may only be held by agent types ${allowed.join(', ')}; ${agent.did} is a ${agent.type}`,
        )
      }
      const now = options.now ?? new Date()
      const validFrom = request.validFrom ?? now
      const validUntil = new Date(validFrom.getTime() + (request.validForSec ?? DEFAULT_VALIDITY_SEC) * 1000)
      const id = `urn:uuid:${randomUUID()}`
      const allocate = options.allocateStatus ?? home.hooks.allocateCredentialStatus
      const credentialStatus = allocate ? await allocate({ home, credentialId: id }) : []
      const credential = buildRoleCredential({
        id,
        issuer: home.org.did,
        subject: agent.did,
        role,
        permissions,
        agentType: agent.type,
        validFrom,
        validUntil,
        credentialStatus,
      })
      const jwt = await signCredentialJwt({ credential, signer, now })
      const record: IssuedCredential = {
        id,
        issuer: home.org.did,
        subject: agent.did,
        role,
        agentType: agent.type,
        permissions,
        validFrom: credential.validFrom,
        validUntil: credential.validUntil,
        issuedAt: now.toISOString(),
        statusEntries: credentialStatus,
        jwt,
      }
      await recordIssued(home, record)
      await home.hooks.record?.([
        {
          actor: home.org.did,
          type: 'role.granted',
          subject: agent.did,
          data: {
            credentialId: id,
            role,
            permissions: permissions.map((p) => `${p.action}:${p.resource}`),
            validFrom: record.validFrom,
            validUntil: record.validUntil,
            statusEntries: credentialStatus.map(
              (e) => `${String(e.statusListCredential)}#${String(e.statusListIndex)}`,
            ),
          },
        },
      ])
      issued.push(record)
    }
    return issued
  })
}

/** Grant one role to one agent (see {@link issueRoleCredentials}). */
export async function issueRoleCredential(
  home: Home,
  request: GrantRequest,
  options: { allocateStatus?: StatusAllocator; now?: Date } = {},
): Promise<IssuedCredential> {
  const [issued] = await issueRoleCredentials(home, [request], options)
  if (!issued) throw new IdentityError('ERR_CREDENTIAL_NOT_FOUND', 'nothing was issued')
  return issued
}
