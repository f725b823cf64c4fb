import type { CheckResult, DecisionError, ErrorCode, Permission } from '@tessera/core'
import { InputError, TesseraError, VerificationError } from '@tessera/core'
import { verificationKey } from '@tessera/identity/did-key'
import { authorize, evaluateTrust, type TrustBundle, validatePermission } from '@tessera/policy'
import type { ChallengeOutcome, ChallengeStore } from './challenge.js'
import { checkCredentialClaims, checkPresentationClaims, extractEnvelopedCredentials } from './claims.js'
import { decodeCompactJws, type JwsAlg, keyMatchesAlg, verifyJwsSignature } from './jws.js'
import { DEFAULT_LIMITS, getOwn, isJsonObject, type Limits } from './limits.js'
import { ROLE_CREDENTIAL_TYPE } from './role-credential.js'
import type { StatusChecker, StatusResult } from './status-check.js'

/** A credential the verifier accepted (signature, time, holder, status and trust all passed). */
export interface VerifiedCredential {
  id: string | undefined
  issuer: string
  /** The organisation of the trust bundle that vouches for the issuer. */
  org: string | undefined
  role: string
  validUntil: string | undefined
  /** What the credential grants. */
  permissions: Permission[]
  /** What it grants within this verifier's ceiling for the role (credential ∩ ceiling). */
  effective: Permission[]
}

/** The verifier's answer. Never thrown: every check it ran is listed, with its code when it failed. */
export interface Decision {
  /** The presentation and every credential in it verified and are trusted. */
  verified: boolean
  /** Present when an action was asked: allowed only if verified and an effective permission covers it. */
  allowed?: boolean
  holder?: string
  request?: Permission
  /** The credential and permission that allowed the request. */
  grantedBy?: { credentialId: string | undefined; role: string; issuer: string; permission: Permission }
  credentials: VerifiedCredential[]
  checks: CheckResult[]
  errors: DecisionError[]
  verifiedAt: string
}

/** Options of {@link verifyPresentation}. */
export interface VerifyPresentationOptions {
  /** The `vp+jwt` compact JWS. */
  presentation: string
  /** This verifier's identifier; the presentation's `aud` must contain it. */
  domain: string
  /** The challenge this verifier issued; requires `challenges` to enforce single use. */
  challenge?: string
  challenges?: ChallengeStore
  /** Which issuers this verifier trusts, for which roles, with which ceilings. */
  trust: TrustBundle
  /**
   * Checks `credentialStatus` entries. Without a checker, a credential that carries a status entry fails
   * closed (`ERR_STATUS_UNCHECKABLE`).
   */
  status?: StatusChecker
  /** Ask for one action on one resource. */
  request?: Permission
  now?: Date
  clockToleranceSec?: number
  /** JOSE algorithms accepted; default `['EdDSA']`. */
  algorithms?: readonly JwsAlg[]
  limits?: Partial<Limits>
}

const DEFAULT_ALGS: readonly JwsAlg[] = ['EdDSA']

const CHALLENGE_CODES: Record<Exclude<ChallengeOutcome, 'ok'>, ErrorCode> = {
  unknown: 'ERR_CHALLENGE_UNKNOWN',
  used: 'ERR_CHALLENGE_USED',
  expired: 'ERR_CHALLENGE_EXPIRED',
  'domain-mismatch': 'ERR_DOMAIN_MISMATCH',
}

class Recorder {
  readonly checks: CheckResult[] = []
  readonly errors: DecisionError[] = []

  pass(check: string): void {
    this.checks.push({ check, ok: true })
  }

  fail(check: string, code: ErrorCode, message: string, credentialId?: string): void {
    this.checks.push({ check, ok: false, code, message })
    this.errors.push(credentialId === undefined ? { code, message } : { code, message, credentialId })
  }

  /** Record checks from a sub-checker; true when all passed. */
  absorb(checks: readonly CheckResult[], credentialId?: string): boolean {
    let ok = true
    for (const c of checks) {
      this.checks.push(c)
      if (!c.ok) {
        ok = false
        const error = { code: c.code ?? 'ERR_INTERNAL', message: c.message ?? c.check }
        this.errors.push(credentialId === undefined ? error : { ...error, credentialId })
      }
    }
    return ok
  }

  /** Run `step`; a TesseraError it throws becomes a failed check. */
  attempt<T>(check: string, step: () => T, credentialId?: string): T | undefined {
    try {
      const value = step()
      this.pass(check)
      return value
    } catch (err) {
      if (!(err instanceof TesseraError)) throw err
      this.fail(check, err.code, err.message, credentialId)
      return undefined
    }
  }
}

type Relationship = 'authentication' | 'assertionMethod'

/** Decode a token, find its key from `kid`, check the relationship and verify the signature. */
function verifyToken(
  rec: Recorder,
  prefix: string,
  token: string,
  options: {
    typ: 'vc+jwt' | 'vp+jwt'
    maxLength: number
    limits: Limits
    algorithms: readonly JwsAlg[]
    relationship: Relationship
  },
  credentialId?: string,
): { payload: Record<string, unknown>; signer: string } | undefined {
  const decoded = rec.attempt(
    `${prefix}.jws`,
    () =>
      decodeCompactJws(token, {
        maxLength: options.maxLength,
        maxDepth: options.limits.maxJsonDepth,
        expectedTyp: options.typ,
        allowedAlgs: options.algorithms,
      }),
    credentialId,
  )
  if (!decoded) return undefined
  const key = rec.attempt(`${prefix}.kid`, () => verificationKey(decoded.header.kid), credentialId)
  if (!key) return undefined
  if (!key.relationships.has(options.relationship)) {
    rec.fail(
      `${prefix}.kid`,
      'ERR_JWS_KID',
      `${decoded.header.kid} is not an ${options.relationship} method of ${key.did}`,
      credentialId,
    )
    return undefined
  }
  if (!keyMatchesAlg(key.keyObject, decoded.header.alg)) {
    rec.fail(
      `${prefix}.alg`,
      'ERR_JWS_ALG',
      `alg ${decoded.header.alg} does not match the ${key.keyType} key`,
      credentialId,
    )
    return undefined
  }
  const valid = verifyJwsSignature({
    alg: decoded.header.alg,
    keyObject: key.keyObject,
    signingInput: decoded.signingInput,
    signature: decoded.signature,
  })
  if (!valid) {
    rec.fail(
      `${prefix}.signature`,
      'ERR_JWS_SIGNATURE',
      `signature does not verify with ${key.vmId}`,
      credentialId,
    )
    return undefined
  }
  rec.pass(`${prefix}.signature`)
  return { payload: decoded.payload, signer: key.did }
}

function issuerId(payload: Record<string, unknown>): string | undefined {
  const issuer = getOwn(payload, 'issuer')
  if (typeof issuer === 'string') return issuer
  if (isJsonObject(issuer)) {
    const id = getOwn(issuer, 'id')
    return typeof id === 'string' ? id : undefined
  }
  return undefined
}

interface RoleClaimsRead {
  subject: string
  role: string
  permissions: Permission[]
}

/** Read the role claims of a verified payload; anything malformed is the credential's fault: ERR_VC_MALFORMED. */
function readRoleClaims(payload: Record<string, unknown>): RoleClaimsRead {
  const malformed = (message: string) => new VerificationError('ERR_VC_MALFORMED', message)
  const type = getOwn(payload, 'type')
  if (!Array.isArray(type) || !type.includes(ROLE_CREDENTIAL_TYPE)) {
    throw malformed(`credential type must include ${ROLE_CREDENTIAL_TYPE}`)
  }
  const subject = getOwn(payload, 'credentialSubject')
  if (!isJsonObject(subject)) throw malformed('credentialSubject must be a single object')
  const id = getOwn(subject, 'id')
  const role = getOwn(subject, 'role')
  const permissions = getOwn(subject, 'permissions')
  if (typeof id !== 'string') throw malformed('credentialSubject.id must be a DID')
  if (typeof role !== 'string' || role.length === 0 || role.length > 64) {
    throw malformed('credentialSubject.role must be a role name')
  }
  if (!Array.isArray(permissions) || permissions.length === 0 || permissions.length > 256) {
    throw malformed('credentialSubject.permissions must be a list of 1 to 256 permissions')
  }
  const parsed = permissions.map((p, i) => {
    try {
      return validatePermission(p)
    } catch (err) {
      throw malformed(`credentialSubject.permissions[${i}]: ${(err as Error).message}`)
    }
  })
  return { subject: id, role, permissions: parsed }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Verify a `vp+jwt` presentation and every credential inside it, offline, and decide.
 *
 * Checks, in order (each listed in `checks`, each failure with its code in `errors`): size caps before
 * decoding; the JOSE header (alg allow-list, `typ`, `crit`, `kid` an `authentication` method of the holder's
 * did:key for the presentation, `assertionMethod` of the issuer's for credentials); the presentation's
 * signature; its claims (`aud` = domain, `nonce` = challenge, `iat`/`nbf`/`exp`); then for each enveloped
 * credential: its signature, that its `kid` belongs to its `issuer`, its claims and validity period, that
 * its subject is the presentation's signer, its status entries, and the trust bundle (issuer known, may
 * grant the role, not self-issued; effective permissions = credential ∩ ceiling). The challenge is redeemed
 * last, only for an authentic presentation, so a forged one cannot burn it. With `request`, the Decision
 * is allowed only if some effective permission covers it.
 *
 * Claims are only read from verified payloads. Never throws for a bad presentation; throws InputError for
 * bad options (a programmer error).
 */
export async function verifyPresentation(options: VerifyPresentationOptions): Promise<Decision> {
  const now = options.now ?? new Date()
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const algorithms = options.algorithms ?? DEFAULT_ALGS
  if (options.challenge !== undefined && options.challenges === undefined) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"challenges" (a ChallengeStore) is required with "challenge" to enforce single use',
    )
  }
  const rec = new Recorder()
  const credentials: VerifiedCredential[] = []
  const decision = (holder?: string): Decision => {
    const verified = rec.errors.length === 0 && credentials.length > 0
    const result: Decision = {
      verified,
      ...(holder === undefined ? {} : { holder }),
      credentials,
      checks: rec.checks,
      errors: rec.errors,
      verifiedAt: now.toISOString(),
    }
    if (options.request) {
      result.request = options.request
      result.allowed = false
      if (verified) {
        const auth = authorize({
          grants: credentials.map((c) => ({
            credentialId: c.id ?? '',
            role: c.role,
            issuer: c.issuer,
            effective: c.effective,
          })),
          action: options.request.action,
          resource: options.request.resource,
        })
        if (auth.allowed) {
          result.allowed = true
          const granted = credentials.find((c) => (c.id ?? '') === auth.credentialId)
          result.grantedBy = {
            credentialId: granted?.id,
            role: auth.role,
            issuer: granted?.issuer ?? '',
            permission: auth.permission,
          }
          rec.pass('authorize')
        } else {
          rec.fail('authorize', auth.code, auth.message)
        }
      }
    }
    return result
  }

  if (typeof options.presentation !== 'string') {
    rec.fail('vp.jws', 'ERR_JWS_MALFORMED', 'presentation must be a vp+jwt compact JWS string')
    return decision()
  }
  const vp = verifyToken(rec, 'vp', options.presentation, {
    typ: 'vp+jwt',
    maxLength: limits.maxPresentationTokenLength,
    limits,
    algorithms,
    relationship: 'authentication',
  })
  if (!vp) return decision()
  const holder = vp.signer
  const claimsOk = rec.absorb(
    checkPresentationClaims(vp.payload, {
      now,
      clockToleranceSec: options.clockToleranceSec,
      challenge: options.challenge,
      domain: options.domain,
      signerDid: holder,
      maxAgeSec: limits.maxPresentationAgeSec,
    }),
  )
  const tokens = rec.attempt('vp.verifiableCredential', () =>
    extractEnvelopedCredentials(vp.payload, {
      maxCredentials: limits.maxCredentialsPerPresentation,
      maxTokenLength: limits.maxCredentialTokenLength,
    }),
  )
  if (tokens && tokens.length === 0) {
    rec.fail('vp.verifiableCredential', 'ERR_POLICY_NO_CREDENTIALS', 'the presentation carries no credential')
  }

  for (const [index, token] of (tokens ?? []).entries()) {
    const verified = await verifyCredentialInPresentation(rec, `vc[${index}]`, token, {
      ...options,
      now,
      limits,
      algorithms,
      holder,
    })
    if (verified) credentials.push(verified)
  }

  // Redeem the challenge last: only an authentic presentation for this domain and nonce may use it up.
  if (options.challenge !== undefined && options.challenges && claimsOk) {
    const outcome = await options.challenges.consume({
      challenge: options.challenge,
      domain: options.domain,
      now,
    })
    if (outcome === 'ok') rec.pass('challenge.single-use')
    else rec.fail('challenge.single-use', CHALLENGE_CODES[outcome], `challenge ${outcome}`)
  }
  return decision(holder)
}

async function verifyCredentialInPresentation(
  rec: Recorder,
  prefix: string,
  token: string,
  ctx: VerifyPresentationOptions & {
    now: Date
    limits: Limits
    algorithms: readonly JwsAlg[]
    holder: string
  },
): Promise<VerifiedCredential | undefined> {
  const before = rec.errors.length
  const vc = verifyToken(rec, prefix, token, {
    typ: 'vc+jwt',
    maxLength: ctx.limits.maxCredentialTokenLength,
    limits: ctx.limits,
    algorithms: ctx.algorithms,
    relationship: 'assertionMethod',
  })
  if (!vc) return undefined
  const { payload } = vc
  const idValue = getOwn(payload, 'id')
  const credentialId = typeof idValue === 'string' ? idValue : undefined
  rec.absorb(
    checkCredentialClaims(payload, {
      now: ctx.now,
      clockToleranceSec: ctx.clockToleranceSec,
      checkPrefix: prefix,
    }),
    credentialId,
  )
  // VC-JOSE-COSE: the key that secured the credential must belong to its issuer.
  const issuer = issuerId(payload)
  if (issuer !== vc.signer) {
    rec.fail(
      `${prefix}.issuerKey`,
      'ERR_VC_ISSUER_MISMATCH',
      `signed by ${vc.signer} but issued by ${issuer}`,
      credentialId,
    )
    return undefined
  }
  rec.pass(`${prefix}.issuerKey`)
  const claims = rec.attempt(`${prefix}.role`, () => readRoleClaims(payload), credentialId)
  if (!claims) return undefined
  if (claims.subject !== ctx.holder) {
    rec.fail(
      `${prefix}.holder`,
      'ERR_HOLDER_MISMATCH',
      `credential subject ${claims.subject} is not the presentation's signer ${ctx.holder}`,
      credentialId,
    )
  } else {
    rec.pass(`${prefix}.holder`)
  }

  // Status: every entry must be checked; an entry nobody can check fails closed.
  const status = getOwn(payload, 'credentialStatus')
  const entries = status === undefined ? [] : Array.isArray(status) ? status : [status]
  for (const [i, entry] of entries.entries()) {
    const check = `${prefix}.credentialStatus[${i}]`
    if (!ctx.status) {
      rec.fail(
        check,
        'ERR_STATUS_UNCHECKABLE',
        'the credential has a status entry and no status checker is configured',
        credentialId,
      )
      continue
    }
    let result: StatusResult
    try {
      const pending = ctx.status.check({ entry, credentialId, issuer })
      result = isPromise(pending) ? await pending : pending
    } catch (err) {
      result = {
        ok: false,
        code: err instanceof TesseraError ? err.code : 'ERR_STATUS_UNCHECKABLE',
        message: err instanceof Error ? err.message : String(err),
      }
    }
    if (result.ok) rec.pass(check)
    else rec.fail(check, result.code, result.message, credentialId)
  }

  // Trust: nothing is accepted because nothing said no.
  const trust = evaluateTrust({
    bundle: ctx.trust,
    issuer,
    subject: claims.subject,
    role: claims.role,
    permissions: claims.permissions,
  })
  if (!trust.trusted) {
    rec.fail(`${prefix}.trust`, trust.code, trust.message, credentialId)
    return undefined
  }
  rec.pass(`${prefix}.trust`)
  if (rec.errors.length !== before) return undefined
  const validUntil = getOwn(payload, 'validUntil')
  return {
    id: credentialId,
    issuer,
    org: trust.org,
    role: claims.role,
    validUntil: typeof validUntil === 'string' ? validUntil : undefined,
    permissions: claims.permissions,
    effective: trust.effective,
  }
}
