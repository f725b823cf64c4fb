import type { CheckResult, DecisionError, ErrorCode, Permission } from '@tessera/core'
import { InputError, TesseraError, VerificationError } from '@tessera/core'
import { verificationKey } from '@tessera/identity/did-key'
import {
  authorize,
  evaluateTrust,
  permissionCovers,
  type TrustBundle,
  validatePermission,
} from '@tessera/policy'
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

  pass(check: string, details?: Record<string, unknown>): void {
    this.checks.push(details === undefined ? { check, ok: true } : { check, ok: true, details })
  }

  fail(
    check: string,
    code: ErrorCode,
    message: string,
    credentialId?: string,
    details?: Record<string, unknown>,
  ): void {
    this.checks.push(
      details === undefined
        ? { check, ok: false, code, message }
        : { check, ok: false, code, message, details },
    )
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

  /** Run `step`; a TesseraError it throws becomes a failed check, except InputError (bad options). */
  attempt<T>(check: string, step: () => T, credentialId?: string): T | undefined {
    try {
      const value = step()
      this.pass(check)
      return value
    } catch (err) {
      if (!(err instanceof TesseraError) || err instanceof InputError) throw err
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
  let key: ReturnType<typeof verificationKey>
  try {
    key = verificationKey(decoded.header.kid)
  } catch (err) {
    if (!(err instanceof TesseraError) || err instanceof InputError) throw err
    rec.fail(`${prefix}.kid`, err.code, err.message, credentialId)
    return undefined
  }
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
  rec.pass(`${prefix}.kid`)
  rec.pass(`${prefix}.alg`)
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
  if (options.challenge !== undefined && options.challenges === undefined) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"challenges" (a ChallengeStore) is required with "challenge" to enforce single use',
    )
  }
  // Without a bundle runPresentation skips trust; a Decision must never be verified without it.
  if (options.trust === undefined) {
    throw new InputError('ERR_INPUT_INVALID', '"trust" (a TrustBundle) is required to decide')
  }
  const run = await runPresentation({ ...options, requireRole: true })
  const { rec, now } = run
  const credentials: VerifiedCredential[] = run.credentials.map((c) => ({
    id: c.id,
    issuer: c.issuer,
    org: c.org,
    role: c.role ?? '',
    validUntil: c.validUntil,
    permissions: c.permissions,
    effective: c.effective,
  }))
  const verified = rec.errors.length === 0 && credentials.length > 0
  const result: Decision = {
    verified,
    ...(run.holder === undefined ? {} : { holder: run.holder }),
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
        // authorize chose the first grant that covers the request: find that credential, not one that merely
        // shares its id (ids are optional and issuer-chosen, so they may be absent or repeated).
        const request = options.request
        const granted = credentials.find((c) => c.effective.some((p) => permissionCovers(p, request)))
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

/**
 * What a verification did not evaluate, so that a positive result never claims more than was checked:
 * - `trust`: no trust bundle was given, so no issuer, role or ceiling was checked (and nothing is effective);
 * - `challenge.single-use`: the `nonce` was compared with the challenge, but no ChallengeStore redeemed it;
 * - `holder`: a credential verified on its own, not bound to anyone presenting it.
 */
export type NotEvaluated = 'trust' | 'challenge.single-use' | 'holder'

/** A credential that passed every check run on it, read from its verified payload. */
export interface CheckedCredential {
  id: string | undefined
  issuer: string
  /** `credentialSubject.id` (the first subject's, when there are several). */
  subject: string | undefined
  type: string[]
  /** The role of an AgentRoleCredential; undefined for other credentials. */
  role: string | undefined
  /** What an AgentRoleCredential grants; empty for other credentials. */
  permissions: Permission[]
  validUntil: string | undefined
  /** The organisation of the trust bundle that vouches for the issuer; undefined when trust was not evaluated. */
  org: string | undefined
  /** Permissions within this verifier's ceiling (credential ∩ ceiling); empty when trust was not evaluated. */
  effective: Permission[]
  /** The verified credential itself: the `vc+jwt` JWS Payload (VC-JOSE-COSE §3.1.1). */
  credential: Record<string, unknown>
}

/** Options of {@link verifyCredential}. */
export interface VerifyCredentialOptions {
  /** The `vc+jwt` compact JWS. */
  credential: string
  /**
   * Which issuers this verifier trusts, for which roles. With a bundle, the credential must be a trusted
   * AgentRoleCredential; without one, trust is NOT evaluated (`notEvaluated` lists `trust`, nothing is
   * effective) and any VC DM 2.0 credential can verify.
   */
  trust?: TrustBundle
  /** When given, the credential's subject must be this DID (the holder binding of a presentation). */
  holder?: string
  /** Checks `credentialStatus` entries; without one, a credential with a status entry fails closed. */
  status?: StatusChecker
  now?: Date
  clockToleranceSec?: number
  /** JOSE algorithms accepted; default `['EdDSA']`. */
  algorithms?: readonly JwsAlg[]
  limits?: Partial<Limits>
}

/** The answer of {@link verifyCredential}. Never thrown. */
export interface CredentialVerification {
  /** Every check that ran passed. Read `notEvaluated` for what did not run. */
  verified: boolean
  notEvaluated: NotEvaluated[]
  /** Present when verified. */
  credential?: CheckedCredential
  checks: CheckResult[]
  errors: DecisionError[]
  verifiedAt: string
}

/**
 * Verify one `vc+jwt` credential on its own, offline: the same checks {@link verifyPresentation} runs on each
 * credential it carries (JOSE header, `assertionMethod` key of the issuer's did:key, signature, VC DM 2.0 and
 * VC-JOSE-COSE claims and validity period, status entries, and, with `trust`, the trust bundle), named
 * `vc.*`. The holder binding runs only with `holder`.
 *
 * Without `trust` the result never claims trust: `notEvaluated` includes `trust`, `org` is undefined and
 * `effective` is empty. Never throws for a bad credential; throws InputError for bad options.
 */
export async function verifyCredential(options: VerifyCredentialOptions): Promise<CredentialVerification> {
  const now = options.now ?? new Date()
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const rec = new Recorder()
  let credential: CheckedCredential | undefined
  if (typeof options.credential !== 'string') {
    rec.fail('vc.jws', 'ERR_JWS_MALFORMED', 'credential must be a vc+jwt compact JWS string')
  } else {
    credential = await checkCredentialToken(rec, 'vc', options.credential, {
      now,
      limits,
      algorithms: options.algorithms ?? DEFAULT_ALGS,
      clockToleranceSec: options.clockToleranceSec,
      status: options.status,
      trust: options.trust,
      holder: options.holder,
      requireRole: false,
    })
  }
  const notEvaluated: NotEvaluated[] = []
  if (options.trust === undefined) notEvaluated.push('trust')
  if (options.holder === undefined) notEvaluated.push('holder')
  const verified = rec.errors.length === 0 && credential !== undefined
  return {
    verified,
    notEvaluated,
    ...(verified && credential ? { credential } : {}),
    checks: rec.checks,
    errors: rec.errors,
    verifiedAt: now.toISOString(),
  }
}

/** Options of {@link verifyPresentationWithOptionalTrust}. */
export interface VerifyPresentationWithOptionalTrustOptions {
  /** The `vp+jwt` compact JWS. */
  presentation: string
  /** This verifier's identifier; the presentation's `aud` must contain it. */
  domain: string
  /** The expected `nonce`. Redeemed for single use only when `challenges` is given. */
  challenge?: string
  challenges?: ChallengeStore
  /**
   * With a bundle, every credential must be a trusted AgentRoleCredential, as in {@link verifyPresentation};
   * without one, trust is NOT evaluated (`notEvaluated` lists `trust`) and any VC DM 2.0 credential can verify.
   */
  trust?: TrustBundle
  status?: StatusChecker
  now?: Date
  clockToleranceSec?: number
  algorithms?: readonly JwsAlg[]
  limits?: Partial<Limits>
}

/** The answer of {@link verifyPresentationWithOptionalTrust}. Never thrown. */
export interface PresentationVerification {
  /** Every check that ran passed and the presentation carries at least one credential. Read `notEvaluated`. */
  verified: boolean
  notEvaluated: NotEvaluated[]
  /** The DID whose key signed the presentation. */
  holder?: string
  /** The verified presentation itself (the `vp+jwt` JWS Payload), when its signature verified. */
  presentation?: Record<string, unknown>
  credentials: CheckedCredential[]
  checks: CheckResult[]
  errors: DecisionError[]
  verifiedAt: string
}

/**
 * The checks of {@link verifyPresentation} for callers that cannot always name a trust bundle or a challenge
 * store (adapters such as the Veramo credential provider): every signature (the presentation's and each
 * enveloped credential's), times, `aud`, `nonce`, holder binding and status are always checked; trust only
 * with `trust`, single use only with `challenges`; what did not run is listed in `notEvaluated`. No
 * authorization: use {@link verifyPresentation} to decide on a request.
 */
export async function verifyPresentationWithOptionalTrust(
  options: VerifyPresentationWithOptionalTrustOptions,
): Promise<PresentationVerification> {
  const run = await runPresentation({ ...options, requireRole: false })
  const notEvaluated: NotEvaluated[] = []
  if (options.trust === undefined) notEvaluated.push('trust')
  if (options.challenge !== undefined && options.challenges === undefined) {
    notEvaluated.push('challenge.single-use')
  }
  return {
    verified: run.rec.errors.length === 0 && run.credentials.length > 0,
    notEvaluated,
    ...(run.holder === undefined ? {} : { holder: run.holder }),
    ...(run.payload === undefined ? {} : { presentation: run.payload }),
    credentials: run.credentials,
    checks: run.rec.checks,
    errors: run.rec.errors,
    verifiedAt: run.now.toISOString(),
  }
}

interface PresentationRunOptions {
  presentation: string
  domain: string
  challenge?: string | undefined
  challenges?: ChallengeStore | undefined
  trust?: TrustBundle | undefined
  status?: StatusChecker | undefined
  now?: Date | undefined
  clockToleranceSec?: number | undefined
  algorithms?: readonly JwsAlg[] | undefined
  limits?: Partial<Limits> | undefined
  requireRole: boolean
}

interface PresentationRun {
  rec: Recorder
  now: Date
  holder: string | undefined
  payload: Record<string, unknown> | undefined
  credentials: CheckedCredential[]
}

/** The presentation checks shared by the exported verifiers; the challenge is redeemed only with a store. */
async function runPresentation(options: PresentationRunOptions): Promise<PresentationRun> {
  const now = options.now ?? new Date()
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const algorithms = options.algorithms ?? DEFAULT_ALGS
  const rec = new Recorder()
  const credentials: CheckedCredential[] = []
  const run: PresentationRun = { rec, now, holder: undefined, payload: undefined, credentials }

  if (typeof options.presentation !== 'string') {
    rec.fail('vp.jws', 'ERR_JWS_MALFORMED', 'presentation must be a vp+jwt compact JWS string')
    return run
  }
  const vp = verifyToken(rec, 'vp', options.presentation, {
    typ: 'vp+jwt',
    maxLength: limits.maxPresentationTokenLength,
    limits,
    algorithms,
    relationship: 'authentication',
  })
  if (!vp) return run
  const holder = vp.signer
  run.holder = holder
  run.payload = vp.payload
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
    const verified = await checkCredentialToken(rec, `vc[${index}]`, token, {
      now,
      limits,
      algorithms,
      clockToleranceSec: options.clockToleranceSec,
      status: options.status,
      trust: options.trust,
      holder,
      requireRole: options.requireRole,
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
  return run
}

interface CredentialContext {
  now: Date
  limits: Limits
  algorithms: readonly JwsAlg[]
  clockToleranceSec: number | undefined
  status: StatusChecker | undefined
  /** With a bundle the credential must be a trusted AgentRoleCredential; without one trust is not evaluated. */
  trust: TrustBundle | undefined
  /** The DID the credential's subject must be; undefined: no holder binding. */
  holder: string | undefined
  /** Refuse anything but an AgentRoleCredential, even without a trust bundle. */
  requireRole: boolean
}

function subjectIds(payload: Record<string, unknown>): string[] {
  const subject = getOwn(payload, 'credentialSubject')
  const ids: string[] = []
  for (const s of Array.isArray(subject) ? subject : [subject]) {
    const id = isJsonObject(s) ? getOwn(s, 'id') : undefined
    if (typeof id === 'string') ids.push(id)
  }
  return ids
}

async function checkCredentialToken(
  rec: Recorder,
  prefix: string,
  token: string,
  ctx: CredentialContext,
): Promise<CheckedCredential | undefined> {
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
  const typeValue = getOwn(payload, 'type')
  const types = (Array.isArray(typeValue) ? typeValue : [typeValue]).filter(
    (t): t is string => typeof t === 'string',
  )
  // Trust is granted per role, so a trust bundle (or the caller) requires a role credential.
  let claims: RoleClaimsRead | undefined
  if (ctx.requireRole || ctx.trust !== undefined || types.includes(ROLE_CREDENTIAL_TYPE)) {
    claims = rec.attempt(`${prefix}.role`, () => readRoleClaims(payload), credentialId)
    if (!claims) return undefined
  }
  const subjects = claims ? [claims.subject] : subjectIds(payload)
  if (ctx.holder !== undefined) {
    if (!subjects.includes(ctx.holder)) {
      rec.fail(
        `${prefix}.holder`,
        'ERR_HOLDER_MISMATCH',
        `credential subject ${subjects.join(', ') || '(none)'} is not the presentation's signer ${ctx.holder}`,
        credentialId,
      )
    } else {
      rec.pass(`${prefix}.holder`)
    }
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
    if (result.ok) rec.pass(check, result.details)
    else rec.fail(check, result.code, result.message, credentialId, result.details)
  }

  // Trust: nothing is accepted because nothing said no. Without a bundle, nothing is trusted or effective.
  let org: string | undefined
  let effective: Permission[] = []
  if (ctx.trust !== undefined && claims !== undefined) {
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
    org = trust.org
    effective = trust.effective
  }
  if (rec.errors.length !== before) return undefined
  const validUntil = getOwn(payload, 'validUntil')
  return {
    id: credentialId,
    issuer,
    subject: subjects[0],
    type: types,
    role: claims?.role,
    permissions: claims?.permissions ?? [],
    validUntil: typeof validUntil === 'string' ? validUntil : undefined,
    org,
    effective,
    credential: payload,
  }
}
