/**
 * Issuer routes (W3C VC-API issuer.yml): `POST /credentials/issue`, `POST /credentials/status` (admin token
 * required), and the status list credentials they point to, `GET /status/{id}` (open).
 */
import { IdentityError, InputError } from '@tessera/core'
import { type CredentialFormat, DEFAULT_CREDENTIAL_FORMAT, issueCredential } from '@tessera/credentials'
import {
  getCredentialStatus,
  type StatusAction,
  setCredentialStatus,
  statusBaseUrl,
  statusListId,
} from '@tessera/status'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errorBody } from './errors.js'
import { issueBody, statusBody, statusParams } from './schemas.js'
import type { ServerContext } from './server.js'

interface IssueBody {
  credential: Record<string, unknown>
  options?: { format?: CredentialFormat; credentialStatus?: boolean }
}

interface StatusBody {
  credentialId: string
  credentialStatus: {
    id?: string
    type: string
    statusPurpose: 'revocation' | 'suspension'
    statusListIndex?: string
    statusListCredential?: string
  }
  status: boolean
}

/** Media type of a `vc+jwt` status list credential (VC-JOSE-COSE §6.1.1). */
const VC_JWT_MEDIA_TYPE = 'application/vc+jwt'

/** Mount the VC-API issuer routes (issuer.yml: `/credentials/issue`, `/credentials/status`) and `GET /status/{id}`. */
export function registerIssuerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { home } = ctx

  // VC-API: 201 { verifiableCredential }. Validated as a VC DM 2.0 credential first (400 with details.rule).
  // The admin token is checked on request, before the body is even read.
  const admin = { onRequest: async (request: FastifyRequest) => ctx.requireAdmin(request) }

  app.post('/credentials/issue', { ...admin, schema: { body: issueBody } }, async (request, reply) => {
    const body = request.body as IssueBody
    const issued = await issueCredential(home, {
      credential: body.credential,
      format: body.options?.format ?? DEFAULT_CREDENTIAL_FORMAT,
      status: body.options?.credentialStatus ?? true,
    })
    ctx.status.invalidate()
    return reply.code(201).send({ verifiableCredential: issued.verifiableCredential })
  })

  // VC-API UpdateCredentialStatusRequest: `status: true` sets the bit (revoke, suspend), false clears it
  // (reinstate a suspension; a revocation is final: 409 ERR_STATUS_REVOKED_FINAL). The lists are re-published
  // before the answer, so GET /status/{id} and this server's verifier see the change at once.
  app.post('/credentials/status', { ...admin, schema: { body: statusBody } }, async (request, reply) => {
    const { credentialId, credentialStatus, status } = request.body as StatusBody
    const purpose = credentialStatus.statusPurpose
    const before = await getCredentialStatus(home.dataSource, credentialId)
    const listId = statusListId(statusBaseUrl(home), before.listNumber, purpose)
    if (
      credentialStatus.statusListCredential !== undefined &&
      credentialStatus.statusListCredential !== listId
    ) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"credentialStatus.statusListCredential" is not the ${purpose} list of ${credentialId} (${listId})`,
        { details: { path: 'credentialStatus.statusListCredential' } },
      )
    }
    if (
      credentialStatus.statusListIndex !== undefined &&
      credentialStatus.statusListIndex !== String(before.index)
    ) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"credentialStatus.statusListIndex" is not the index of ${credentialId} (${before.index})`,
        { details: { path: 'credentialStatus.statusListIndex' } },
      )
    }
    let action: StatusAction | undefined
    if (purpose === 'revocation') {
      if (status) action = 'revoke'
      else if (before.revoked) {
        throw new IdentityError(
          'ERR_STATUS_REVOKED_FINAL',
          `credential ${credentialId} was revoked at ${before.revokedAt}; revocation is final`,
        )
      }
    } else action = status ? 'suspend' : 'reinstate'
    const after =
      action === undefined
        ? { ...before, changed: false }
        : await setCredentialStatus(home, { credentialId, action })
    await ctx.status.publish()
    return reply.code(200).send({
      credentialId,
      credentialStatus: {
        type: 'BitstringStatusListEntry',
        statusPurpose: purpose,
        statusListCredential: listId,
        statusListIndex: String(after.index),
      },
      status: purpose === 'revocation' ? after.revoked : after.suspended,
      revoked: after.revoked,
      suspended: after.suspended,
      suspendedBy: after.suspendedBy,
      changed: after.changed,
    })
  })

  // The signed BitstringStatusListCredential (vc+jwt) at the URL the entries point to.
  app.get('/status/:id', { schema: { params: statusParams } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const token = await ctx.status.read(id)
    if (token === undefined) {
      const { body } = errorBody(new InputError('ERR_NOT_FOUND', `no status list ${JSON.stringify(id)} here`))
      return reply.code(404).send(body)
    }
    return reply.code(200).type(VC_JWT_MEDIA_TYPE).header('cache-control', 'public, max-age=60').send(token)
  })
}
