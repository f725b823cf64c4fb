/**
 * Verifier routes (W3C VC-API verifier.yml): `POST /credentials/verify`, `POST /presentations/verify`,
 * `POST /challenges`, and Tessera's `POST /authorize` (the trust-loop Decision for one action on one resource).
 * All open: verification needs no secret. Each outcome is audited before it is answered.
 */
import { type AuditData, auditDigest, decisionAuditEntry } from '@tessera/audit'
import { type CheckResult, canonicalJson, InputError, type JsonValue } from '@tessera/core'
import {
  type CheckedCredential,
  type CredentialInput,
  createChallenge,
  type Decision,
  homeChallengeStore,
  type PresentationInput,
  toVerifiedCredential,
  verifyCredential,
  verifyPresentation,
  verifyPresentationWithOptionalTrust,
} from '@tessera/credentials'
import { validateRequest } from '@tessera/policy'
import type { FastifyInstance } from 'fastify'
import { authorizeBody, challengeBody, verifyCredentialBody, verifyPresentationBody } from './schemas.js'
import type { ServerContext } from './server.js'
import { type VerificationResponse, warningsFor } from './vc-api.js'

interface VerifyCredentialBody {
  verifiableCredential: unknown
  options?: Record<string, unknown>
}

interface VerifyPresentationBody {
  verifiablePresentation?: unknown
  presentation?: Record<string, unknown>
  options?: { challenge?: string; domain?: string }
}

interface AuthorizeBody {
  presentation: unknown
  action: string
  resource: string
  challenge?: string
  domain?: string
}

/** What goes into the audit log for a credential or presentation: its hash, never the thing itself. */
function digestOf(value: unknown): string {
  return auditDigest(typeof value === 'string' ? value : canonicalJson(value as JsonValue))
}

/** The status list versions a verification consulted, by list id (from the status checks' details). */
function statusListVersions(checks: readonly CheckResult[]): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const check of checks) {
    const listId = check.details?.listId
    const version = check.details?.versionHash
    if (typeof listId === 'string' && typeof version === 'string') versions[listId] = version
  }
  return versions
}

function summary(credential: CheckedCredential): Record<string, unknown> {
  return {
    id: credential.id,
    issuer: credential.issuer,
    type: credential.type,
    credentialSubject: credential.subject,
    validUntil: credential.validUntil,
  }
}

/** Mount the VC-API verifier routes (verifier.yml: `/credentials/verify`, `/presentations/verify`, `/challenges`) and `/authorize`. */
export function registerVerifierRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { home } = ctx
  const challenges = homeChallengeStore(home)

  /** A domain the request may bind to: one of this server's; the first when none is named. */
  const domainOf = (requested: string | undefined, path: string): string => {
    const domains = ctx.domains()
    if (requested === undefined) return domains[0] as string
    if (!domains.includes(requested)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"${path}" must be one of this server's domains (${domains.join(', ')}), got ${JSON.stringify(requested)}`,
        { details: { path } },
      )
    }
    return requested
  }

  // VC-API: 200 { verified: true, ... } or 400 { verified: false, errors }. Proof, VC DM 2.0 claims and
  // validity, and status; the trust bundle is for /authorize (reported in warnings).
  app.post('/credentials/verify', { schema: { body: verifyCredentialBody } }, async (request, reply) => {
    const body = request.body as VerifyCredentialBody
    const result = await verifyCredential({
      credential: body.verifiableCredential as CredentialInput,
      status: ctx.status.checker,
    })
    const credentialIds = new Set<string>()
    if (result.credential?.id !== undefined) credentialIds.add(result.credential.id)
    for (const e of result.errors) if (e.credentialId !== undefined) credentialIds.add(e.credentialId)
    const data: AuditData = {
      outcome: result.verified ? 'verified' : 'rejected',
      credentialIds: [...credentialIds],
      reasons: [...new Set(result.errors.map((e) => e.code))],
      credentialHash: digestOf(body.verifiableCredential),
      statusListVersions: statusListVersions(result.checks),
    }
    await ctx.audit.append({
      actor: home.org.did,
      type: 'credential.verified',
      ...(result.credential?.id === undefined ? {} : { subject: result.credential.id }),
      data,
    })
    const response: VerificationResponse = {
      verified: result.verified,
      checks: result.checks,
      warnings: warningsFor(result.notEvaluated),
      errors: result.errors,
      verifiedAt: result.verifiedAt,
      ...(result.credential === undefined ? {} : { credential: summary(result.credential) }),
    }
    return reply.code(result.verified ? 200 : 400).send(response)
  })

  // VC-API: the presentation's proof (challenge and domain), every credential in it (proof, validity,
  // status) and the holder binding. A challenge must be one this server issued (POST /challenges): single use.
  app.post('/presentations/verify', { schema: { body: verifyPresentationBody } }, async (request, reply) => {
    const body = request.body as VerifyPresentationBody
    const raw = body.verifiablePresentation ?? body.presentation
    const domain = domainOf(body.options?.domain, 'options.domain')
    const challenge = body.options?.challenge
    const result = await verifyPresentationWithOptionalTrust({
      presentation: raw as PresentationInput,
      domain,
      // VC-API ProoflessVerifyPresentationRequest: `presentation` has no proof; its credentials are verified
      allowUnsigned: body.presentation !== undefined,
      ...(challenge === undefined ? {} : { challenge, challenges }),
      status: ctx.status.checker,
    })
    const decision: Decision = {
      verified: result.verified,
      ...(result.holder === undefined ? {} : { holder: result.holder }),
      credentials: result.credentials.map(toVerifiedCredential),
      checks: result.checks,
      errors: result.errors,
      verifiedAt: result.verifiedAt,
    }
    await ctx.audit.append(
      decisionAuditEntry({
        decision,
        actor: home.org.did,
        presentation: typeof raw === 'string' ? raw : canonicalJson(raw as JsonValue),
        statusListVersions: statusListVersions(result.checks),
      }),
    )
    const response: VerificationResponse = {
      verified: result.verified,
      checks: result.checks,
      warnings: warningsFor(result.notEvaluated),
      errors: result.errors,
      verifiedAt: result.verifiedAt,
      ...(result.holder === undefined ? {} : { holder: result.holder }),
      credentials: result.credentials.map(summary),
    }
    return reply.code(result.verified ? 200 : 400).send(response)
  })

  // VC-API: a challenge for `options.challenge`, single use, stored in the home (as `tessera challenge`).
  app.post(
    '/challenges',
    {
      // VC-API: "passing an empty body to this endpoint creates and returns a challenge"
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: { body: challengeBody },
    },
    async (request, reply) => {
      const body = request.body as { domain?: string }
      const domain = domainOf(body.domain, 'domain')
      const challenge = await createChallenge(home, { domain })
      return reply.code(200).send(challenge)
    },
  )

  // The trust-loop Decision under this server's trust bundle: verified, trusted, and allowed for the request.
  app.post('/authorize', { schema: { body: authorizeBody } }, async (request, reply) => {
    const trust = ctx.trust
    if (trust === undefined) {
      throw new InputError('ERR_NOT_FOUND', 'this server has no trust bundle: /authorize is not served')
    }
    const body = request.body as AuthorizeBody
    const permission = validateRequest({ action: body.action, resource: body.resource })
    const domain = domainOf(body.domain, 'domain')
    const decision = await verifyPresentation({
      presentation: body.presentation as PresentationInput,
      domain,
      trust,
      status: ctx.status.checker,
      request: permission,
      ...(body.challenge === undefined ? {} : { challenge: body.challenge, challenges }),
    })
    await ctx.audit.append(
      decisionAuditEntry({
        decision,
        actor: home.org.did,
        presentation:
          typeof body.presentation === 'string'
            ? body.presentation
            : canonicalJson(body.presentation as JsonValue),
        trustBundleHash: ctx.trustBundleHash,
        statusListVersions: statusListVersions(decision.checks),
      }),
    )
    return reply.code(200).send(decision)
  })
}
