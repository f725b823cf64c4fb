import type { CheckResult, DecisionError, ErrorCode, Permission, VerificationErrorCode } from '@tessera/core'
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
import {
  checkCredentialClaims,
  checkDataIntegrityPresentationClaims,
  checkPresentationClaims,
  checkUnsignedPresentationClaims,
  extractEnvelopedCredentials,
  extractSecuredCredentials,
  hasType,
  parseDateTimeStamp,
  readEnvelopedCredential,
  readEnvelopedPresentation,
  type SecuredCredential,
} from './claims.js'
import type { DocumentLoader } from './data-integrity/document-loader.js'
import {
  checkProofPurpose,
  type DataIntegrityProofValue,
  dataIntegrityHashData,
  EDDSA_RDFC_2022,
  type ProofPurpose,
  proofVerificationKey,
  readDataIntegrityProof,
  verifyProofSignature,
  withoutProof,
} from './data-integrity/proof.js'
import { decodeCompactJws, type JwsAlg, keyMatchesAlg, verifyJwsSignature } from './jws.js'
import { DEFAULT_LIMITS, getOwn, isJsonObject, type Limits, measureJsonValue } from './limits.js'
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

/**
 * A presentation as the verifiers take it: a `vp+jwt` compact JWS (VC-JOSE-COSE §3.1.2), an
 * `EnvelopedVerifiablePresentation` holding one (VC DM 2.0 §4.13.2), or a presentation secured with a Data
 * Integrity proof (eddsa-rdfc-2022) whose `verifiableCredential` entries are Data Integrity credentials and/or
 * `EnvelopedVerifiableCredential`s.
 */
export type PresentationInput = string | Record<string, unknown>

/**
 * A credential as {@link verifyCredential} takes it: a `vc+jwt` compact JWS, an `EnvelopedVerifiableCredential`
 * holding one (VC DM 2.0 §4.13.1), or a credential secured with a Data Integrity proof (eddsa-rdfc-2022).
 */
export type CredentialInput = string | Record<string, unknown>

/** How a verified credential was secured. */
export type CredentialSecuring = 'vc+jwt' | typeof EDDSA_RDFC_2022

/** Options of {@link verifyPresentation}. */
export interface VerifyPresentationOptions {
  /** The presentation; see {@link PresentationInput}. It is never modified. */
  presentation: PresentationInput
  /**
   * This verifier's identifier: a `vp+jwt`'s `aud` must contain it, a Data Integrity proof's `domain` must be
   * or include it.
   */
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
  /**
   * Serves the JSON-LD contexts of Data Integrity documents. Default: the bundled contexts only (see
   * `BUNDLED_CONTEXTS`); nothing is fetched.
   */
  documentLoader?: DocumentLoader
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

  /** {@link attempt} for an asynchronous step. */
  async attemptAsync<T>(
    check: string,
    step: () => Promise<T>,
    credentialId?: string,
  ): Promise<T | undefined> {
    try {
      const value = await step()
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

/**
 * Bound an untrusted document before anything reads it (depth and JSON length, {@link measureJsonValue}), then
 * take a plain-data copy: every later check, the canonicalization and the claims all read the same bytes, and
 * the caller's object is never modified.
 */
function readDocument(
  rec: Recorder,
  prefix: string,
  value: Record<string, unknown>,
  options: { maxLength: number; limits: Limits; notJson: VerificationErrorCode },
): Record<string, unknown> | undefined {
  const measured = rec.attempt(`${prefix}.document`, () =>
    measureJsonValue(value, {
      maxDepth: options.limits.maxJsonDepth,
      maxLength: options.maxLength,
      notJson: options.notJson,
    }),
  )
  if (measured === undefined) return undefined
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>
}

/**
 * Verify the Data Integrity proof of a document (VC Data Integrity 1.0 §4.4 "Verify Proof"; eddsa-rdfc-2022
 * §3.2.2): the proof's members and the cryptosuite allow-list (`.proof`), its purpose (`.proofPurpose`), the
 * did:key verification method and its relationship (`.verificationMethod`), the RDFC-1.0 hash data of the proof
 * options and the document with the bundled contexts only (`.jsonld`; cached per exact credential), and the
 * Ed25519 signature with the cached KeyObject (`.signature`).
 */
async function verifyDataIntegrity(
  rec: Recorder,
  prefix: string,
  document: Record<string, unknown>,
  options: { purpose: ProofPurpose; documentLoader: DocumentLoader | undefined },
): Promise<{ proof: DataIntegrityProofValue; signer: string } | undefined> {
  const proof = rec.attempt(`${prefix}.proof`, () => readDataIntegrityProof(document))
  if (!proof) return undefined
  const purposeOk = rec.attempt(`${prefix}.proofPurpose`, () => {
    checkProofPurpose(proof, options.purpose)
    return true
  })
  if (!purposeOk) return undefined
  const key = rec.attempt(`${prefix}.verificationMethod`, () => proofVerificationKey(proof, options.purpose))
  if (!key) return undefined
  const hashData = await rec.attemptAsync(`${prefix}.jsonld`, () =>
    dataIntegrityHashData({
      document: withoutProof(document),
      proof: proof.raw,
      ...(options.documentLoader === undefined ? {} : { documentLoader: options.documentLoader }),
      // Credentials recur (the same role credential in every presentation); presentations do not.
      cache: options.purpose === 'assertionMethod',
    }),
  )
  if (!hashData) return undefined
  if (!verifyProofSignature(key, hashData, proof.signature)) {
    rec.fail(`${prefix}.signature`, 'ERR_PROOF_SIGNATURE', `the proof does not verify with ${key.vmId}`)
    return undefined
  }
  rec.pass(`${prefix}.signature`)
  return { proof, signer: key.did }
}

/** `created` not in the future and `expires` not passed, with the clock tolerance (VC Data Integrity 1.0 §2.1). */
function checkProofTimes(
  rec: Recorder,
  prefix: string,
  proof: DataIntegrityProofValue,
  options: { now: Date; clockToleranceSec: number | undefined },
  credentialId: string | undefined,
): void {
  const nowMs = options.now.getTime()
  const toleranceMs = (options.clockToleranceSec ?? DEFAULT_LIMITS.clockToleranceSec) * 1000
  const created = proof.created === undefined ? undefined : parseDateTimeStamp(proof.created)
  if (created !== undefined) {
    if (created - toleranceMs <= nowMs) rec.pass(`${prefix}.proof.created`)
    else
      rec.fail(
        `${prefix}.proof.created`,
        'ERR_VC_NOT_YET_VALID',
        `proof "created" ${proof.created} is in the future`,
        credentialId,
      )
  }
  const expires = proof.expires === undefined ? undefined : parseDateTimeStamp(proof.expires)
  if (expires !== undefined) {
    if (nowMs < expires + toleranceMs) rec.pass(`${prefix}.proof.expires`)
    else
      rec.fail(
        `${prefix}.proof.expires`,
        'ERR_VC_EXPIRED',
        `proof "expires" ${proof.expires} has passed`,
        credentialId,
      )
  }
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

/** The Decision's view of a credential that passed every check (see {@link CheckedCredential}). */
export function toVerifiedCredential(c: CheckedCredential): VerifiedCredential {
  return {
    id: c.id,
    issuer: c.issuer,
    org: c.org,
    role: c.role ?? '',
    validUntil: c.validUntil,
    permissions: c.permissions,
    effective: c.effective,
  }
}

/**
 * Decide one request on a Decision whose credentials were checked: allowed only if it is `verified` and some
 * effective permission covers the request (`authorize`, with its check and, when denied, its error). Sets
 * `request`, `allowed` and `grantedBy` on `decision` and returns it. Used by {@link verifyPresentation} and by
 * callers that re-check a session's credentials per request (agent-to-agent messaging).
 */
export function authorizeDecision(decision: Decision, request: Permission): Decision {
  decision.request = request
  decision.allowed = false
  if (!decision.verified) return decision
  const { credentials } = decision
  const auth = authorize({
    grants: credentials.map((c) => ({
      credentialId: c.id ?? '',
      role: c.role,
      issuer: c.issuer,
      effective: c.effective,
    })),
    action: request.action,
    resource: request.resource,
  })
  if (!auth.allowed) {
    decision.checks.push({ check: 'authorize', ok: false, code: auth.code, message: auth.message })
    decision.errors.push({ code: auth.code, message: auth.message })
    return decision
  }
  decision.allowed = true
  // authorize chose the first grant that covers the request: find that credential, not one that merely shares
  // its id (ids are optional and issuer-chosen, so they may be absent or repeated).
  const granted = credentials.find((c) => c.effective.some((p) => permissionCovers(p, request)))
  decision.grantedBy = {
    credentialId: granted?.id,
    role: auth.role,
    issuer: granted?.issuer ?? '',
    permission: auth.permission,
  }
  decision.checks.push({ check: 'authorize', ok: true })
  return decision
}

/**
 * Verify a presentation and every credential inside it, offline, and decide. Both securing mechanisms get the
 * same checks and the same Decision: `vp+jwt` (VC-JOSE-COSE) and Data Integrity `eddsa-rdfc-2022` (see
 * {@link PresentationInput}); a presentation without a proof is never accepted here (`ERR_VP_UNSIGNED`).
 *
 * Checks for `vp+jwt`, in order (each listed in `checks`, each failure with its code in `errors`): size caps before
 * decoding; the JOSE header (alg allow-list, `typ`, `crit`, `kid` an `authentication` method of the holder's
 * did:key for the presentation, `assertionMethod` of the issuer's for credentials); the presentation's
 * signature; its claims (`aud` = domain, `nonce` = challenge, `iat`/`nbf`/`exp`); then for each enveloped
 * credential: its signature, that its `kid` belongs to its `issuer`, its claims and validity period, that
 * its subject is the presentation's signer, its status entries, and the trust bundle (issuer known, may
 * grant the role, not self-issued; effective permissions = credential ∩ ceiling). The challenge is redeemed
 * last, only for an authentic presentation, so a forged one cannot burn it. With `request`, the Decision
 * is allowed only if some effective permission covers it.
 *
 * For a Data Integrity presentation the securing checks are those of VC Data Integrity 1.0 §4.4: size caps
 * (`vp.document`), the proof (`vp.proof`: `DataIntegrityProof` with cryptosuite `eddsa-rdfc-2022` only, else
 * `ERR_PROOF_CRYPTOSUITE`; malformed `ERR_PROOF_MALFORMED`), `vp.proofPurpose` (`authentication`, else
 * `ERR_PROOF_PURPOSE`), `vp.verificationMethod` (an `authentication` method of the holder's did:key),
 * `vp.jsonld` (RDFC-1.0 with the bundled contexts only: `ERR_CONTEXT_UNKNOWN`, `ERR_JSONLD_INVALID`),
 * `vp.signature` (`ERR_PROOF_SIGNATURE`); then `vp.holder`, `vp.challenge` and `vp.domain` (the proof's
 * `challenge` and `domain`, with the same codes as `nonce` and `aud`: `ERR_CHALLENGE_*`, `ERR_DOMAIN_MISMATCH`),
 * `vp.created`/`vp.expires`/`vp.freshness` (as `iat`/`exp`), and each credential (a Data Integrity credential
 * or an enveloped `vc+jwt`) exactly as above, its proof's controller being its `issuer`.
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
  const run = await runPresentation({ ...options, requireRole: true, allowUnsigned: false })
  const { rec, now } = run
  const credentials = run.credentials.map(toVerifiedCredential)
  const verified = rec.errors.length === 0 && credentials.length > 0
  const result: Decision = {
    verified,
    ...(run.holder === undefined ? {} : { holder: run.holder }),
    credentials,
    checks: rec.checks,
    errors: rec.errors,
    verifiedAt: now.toISOString(),
  }
  if (options.request) authorizeDecision(result, options.request)
  return result
}

/**
 * What a verification did not evaluate, so that a positive result never claims more than was checked:
 * - `trust`: no trust bundle was given, so no issuer, role or ceiling was checked (and nothing is effective);
 * - `challenge.single-use`: the `nonce` was compared with the challenge, but no ChallengeStore redeemed it;
 * - `holder`: a credential verified on its own, not bound to anyone presenting it; or an unsigned presentation
 *   (`securedBy: 'unsigned'`), which binds its credentials to no holder and itself to no verifier (`domain`).
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
  /**
   * The verified credential itself: the `vc+jwt` JWS Payload (VC-JOSE-COSE §3.1.1), or the Data Integrity
   * credential with its `proof` (a copy of what was verified).
   */
  credential: Record<string, unknown>
  /** How it was secured: `vc+jwt` or Data Integrity `eddsa-rdfc-2022`. */
  securedBy: CredentialSecuring
}

/** Options of {@link verifyCredential}. */
export interface VerifyCredentialOptions {
  /** The credential; see {@link CredentialInput}. It is never modified. */
  credential: CredentialInput
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
  /** Serves the JSON-LD contexts of a Data Integrity credential; default the bundled contexts only. */
  documentLoader?: DocumentLoader
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
 * Verify one credential on its own, offline: the same checks {@link verifyPresentation} runs on each
 * credential it carries, named `vc.*`. Securing: for `vc+jwt` (a string, or an `EnvelopedVerifiableCredential`,
 * `vc.envelope`) the JOSE header, the `assertionMethod` key of the issuer's did:key and the signature; for Data
 * Integrity the proof checks of {@link verifyPresentation} with purpose `assertionMethod` (`vc.proof`,
 * `vc.proofPurpose`, `vc.verificationMethod`, `vc.jsonld`, `vc.signature`, and `vc.proof.created` /
 * `vc.proof.expires` when present). Then, for both: VC DM 2.0 claims and validity period, the proof's or key's
 * controller is the `issuer` (`vc.issuerKey`, `ERR_VC_ISSUER_MISMATCH`), status entries, and, with `trust`, the
 * trust bundle. The holder binding runs only with `holder`.
 *
 * Without `trust` the result never claims trust: `notEvaluated` includes `trust`, `org` is undefined and
 * `effective` is empty. Never throws for a bad credential; throws InputError for bad options.
 */
export async function verifyCredential(options: VerifyCredentialOptions): Promise<CredentialVerification> {
  const now = options.now ?? new Date()
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const rec = new Recorder()
  let credential: CheckedCredential | undefined
  const input: unknown = options.credential
  let secured: SecuredCredential | undefined
  if (typeof input === 'string') secured = { format: 'vc+jwt', token: input }
  else if (isJsonObject(input) && hasType(input, 'EnvelopedVerifiableCredential')) {
    const token = rec.attempt('vc.envelope', () =>
      readEnvelopedCredential(input, { maxTokenLength: limits.maxCredentialTokenLength }),
    )
    if (token !== undefined) secured = { format: 'vc+jwt', token }
  } else if (isJsonObject(input)) secured = { format: 'data-integrity', credential: input }
  else {
    rec.fail(
      'vc.jws',
      'ERR_JWS_MALFORMED',
      'credential must be a vc+jwt compact JWS string, an EnvelopedVerifiableCredential or a Data Integrity secured credential',
    )
  }
  if (secured !== undefined) {
    credential = await checkCredential(rec, 'vc', secured, {
      now,
      limits,
      algorithms: options.algorithms ?? DEFAULT_ALGS,
      clockToleranceSec: options.clockToleranceSec,
      status: options.status,
      trust: options.trust,
      holder: options.holder,
      requireRole: false,
      documentLoader: options.documentLoader,
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
  /** The presentation; see {@link PresentationInput}. It is never modified. */
  presentation: PresentationInput
  /** This verifier's identifier: the presentation's `aud` (or its proof's `domain`) must contain it. */
  domain: string
  /** The expected `nonce` (or proof `challenge`). Redeemed for single use only when `challenges` is given. */
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
  documentLoader?: DocumentLoader
  /**
   * Accept a presentation object with no `proof` (VC DM 2.0 §4.13 allows them; VC-API verifies them), only when
   * no `challenge` is asked (a challenge needs a proof to answer it, else `ERR_VP_UNSIGNED`). Its credentials are
   * verified but bound to no holder, and nothing binds it to `domain`: `notEvaluated` lists `holder`
   * and `securedBy` is `unsigned`. Default false: a presentation without a proof fails with `ERR_VP_UNSIGNED`.
   */
  allowUnsigned?: boolean
}

/** The answer of {@link verifyPresentationWithOptionalTrust}. Never thrown. */
export interface PresentationVerification {
  /** Every check that ran passed and the presentation carries at least one credential. Read `notEvaluated`. */
  verified: boolean
  notEvaluated: NotEvaluated[]
  /** The DID whose key signed the presentation (absent for an unsigned one). */
  holder?: string
  /**
   * The verified presentation itself (the `vp+jwt` JWS Payload, or a copy of the Data Integrity presentation),
   * when its signature verified or, with `allowUnsigned`, when it had no proof.
   */
  presentation?: Record<string, unknown>
  /** How the presentation was secured, once known. */
  securedBy?: 'vp+jwt' | typeof EDDSA_RDFC_2022 | 'unsigned'
  credentials: CheckedCredential[]
  checks: CheckResult[]
  errors: DecisionError[]
  verifiedAt: string
}

/**
 * The checks of {@link verifyPresentation} for callers that cannot always name a trust bundle or a challenge
 * store (adapters such as the Veramo credential provider, the VC-API server): every signature (the
 * presentation's and each credential's), times, `aud`/`domain`, `nonce`/`challenge`, holder binding and status
 * are always checked; trust only with `trust`, single use only with `challenges`; an unsigned presentation only
 * with `allowUnsigned`; what did not run is listed in `notEvaluated`. No authorization: use
 * {@link verifyPresentation} to decide on a request.
 *
 * @throws InputError `ERR_INPUT_INVALID` when `allowUnsigned` is not a boolean.
 */
export async function verifyPresentationWithOptionalTrust(
  options: VerifyPresentationWithOptionalTrustOptions,
): Promise<PresentationVerification> {
  if (options.allowUnsigned !== undefined && typeof options.allowUnsigned !== 'boolean') {
    throw new InputError('ERR_INPUT_INVALID', '"allowUnsigned" must be a boolean')
  }
  const run = await runPresentation({
    ...options,
    requireRole: false,
    allowUnsigned: options.allowUnsigned === true,
  })
  const notEvaluated: NotEvaluated[] = []
  if (options.trust === undefined) notEvaluated.push('trust')
  if (options.challenge !== undefined && options.challenges === undefined) {
    notEvaluated.push('challenge.single-use')
  }
  if (run.securedBy === 'unsigned') notEvaluated.push('holder')
  return {
    verified: run.rec.errors.length === 0 && run.credentials.length > 0,
    notEvaluated,
    ...(run.holder === undefined ? {} : { holder: run.holder }),
    ...(run.payload === undefined ? {} : { presentation: run.payload }),
    ...(run.securedBy === undefined ? {} : { securedBy: run.securedBy }),
    credentials: run.credentials,
    checks: run.rec.checks,
    errors: run.rec.errors,
    verifiedAt: run.now.toISOString(),
  }
}

interface PresentationRunOptions {
  presentation: unknown
  domain: string
  challenge?: string | undefined
  challenges?: ChallengeStore | undefined
  trust?: TrustBundle | undefined
  status?: StatusChecker | undefined
  now?: Date | undefined
  clockToleranceSec?: number | undefined
  algorithms?: readonly JwsAlg[] | undefined
  limits?: Partial<Limits> | undefined
  documentLoader?: DocumentLoader | undefined
  requireRole: boolean
  allowUnsigned: boolean
}

interface PresentationRun {
  rec: Recorder
  now: Date
  holder: string | undefined
  payload: Record<string, unknown> | undefined
  credentials: CheckedCredential[]
  securedBy: PresentationVerification['securedBy']
}

/** What the securing step of a presentation established, for the checks all mechanisms share. */
interface SecuredPresentation {
  /** The DID that signed; undefined for an unsigned presentation (no holder binding). */
  holder: string | undefined
  payload: Record<string, unknown>
  /** The claims (`nonce`/`challenge`, `aud`/`domain`, times) passed: the challenge may be redeemed. */
  claimsOk: boolean
  entries: SecuredCredential[] | undefined
}

/** The presentation checks shared by the exported verifiers; the challenge is redeemed only with a store. */
async function runPresentation(options: PresentationRunOptions): Promise<PresentationRun> {
  const now = options.now ?? new Date()
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const algorithms = options.algorithms ?? DEFAULT_ALGS
  const rec = new Recorder()
  const credentials: CheckedCredential[] = []
  const run: PresentationRun = {
    rec,
    now,
    holder: undefined,
    payload: undefined,
    credentials,
    securedBy: undefined,
  }

  const input = options.presentation
  let secured: SecuredPresentation | undefined
  if (typeof input === 'string') {
    run.securedBy = 'vp+jwt'
    secured = jwsPresentation(rec, input, options, { now, limits, algorithms })
  } else if (isJsonObject(input) && hasType(input, 'EnvelopedVerifiablePresentation')) {
    const token = rec.attempt('vp.envelope', () =>
      readEnvelopedPresentation(input, { maxTokenLength: limits.maxPresentationTokenLength }),
    )
    run.securedBy = 'vp+jwt'
    if (token !== undefined) secured = jwsPresentation(rec, token, options, { now, limits, algorithms })
  } else if (isJsonObject(input)) {
    const document = readDocument(rec, 'vp', input, {
      maxLength: limits.maxPresentationTokenLength,
      limits,
      notJson: 'ERR_VP_MALFORMED',
    })
    if (document === undefined) return run
    run.securedBy = Object.hasOwn(document, 'proof') ? EDDSA_RDFC_2022 : 'unsigned'
    secured =
      run.securedBy === 'unsigned'
        ? unsignedPresentation(rec, document, options, limits)
        : await dataIntegrityPresentation(rec, document, options, { now, limits })
  } else {
    rec.fail(
      'vp.jws',
      'ERR_JWS_MALFORMED',
      'presentation must be a vp+jwt compact JWS string, an EnvelopedVerifiablePresentation or a presentation object',
    )
  }
  if (secured === undefined) return run
  run.holder = secured.holder
  run.payload = secured.payload
  if (secured.entries && secured.entries.length === 0) {
    rec.fail('vp.verifiableCredential', 'ERR_POLICY_NO_CREDENTIALS', 'the presentation carries no credential')
  }

  for (const [index, entry] of (secured.entries ?? []).entries()) {
    const verified = await checkCredential(rec, `vc[${index}]`, entry, {
      now,
      limits,
      algorithms,
      clockToleranceSec: options.clockToleranceSec,
      status: options.status,
      trust: options.trust,
      holder: secured.holder,
      requireRole: options.requireRole,
      documentLoader: options.documentLoader,
    })
    if (verified) credentials.push(verified)
  }

  // Redeem the challenge last: only an authentic presentation for this domain and nonce may use it up.
  if (options.challenge !== undefined && options.challenges && secured.claimsOk) {
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

interface RunContext {
  now: Date
  limits: Limits
  algorithms: readonly JwsAlg[]
}

/** A `vp+jwt`: the JWS, then its claims (VC-JOSE-COSE §3.1.2), then its enveloped credentials. */
function jwsPresentation(
  rec: Recorder,
  token: string,
  options: PresentationRunOptions,
  { now, limits, algorithms }: RunContext,
): SecuredPresentation | undefined {
  const vp = verifyToken(rec, 'vp', token, {
    typ: 'vp+jwt',
    maxLength: limits.maxPresentationTokenLength,
    limits,
    algorithms,
    relationship: 'authentication',
  })
  if (!vp) return undefined
  const claimsOk = rec.absorb(
    checkPresentationClaims(vp.payload, {
      now,
      clockToleranceSec: options.clockToleranceSec,
      challenge: options.challenge,
      domain: options.domain,
      signerDid: vp.signer,
      maxAgeSec: limits.maxPresentationAgeSec,
    }),
  )
  const tokens = rec.attempt('vp.verifiableCredential', () =>
    extractEnvelopedCredentials(vp.payload, {
      maxCredentials: limits.maxCredentialsPerPresentation,
      maxTokenLength: limits.maxCredentialTokenLength,
    }),
  )
  return {
    holder: vp.signer,
    payload: vp.payload,
    claimsOk,
    entries: tokens?.map((t): SecuredCredential => ({ format: 'vc+jwt', token: t })),
  }
}

/**
 * A presentation with a Data Integrity proof: the proof (purpose `authentication`, an authentication method of
 * the holder's did:key), then its claims and the proof's binding (`challenge`, `domain`, `created`, `expires`),
 * then the credentials it carries.
 */
async function dataIntegrityPresentation(
  rec: Recorder,
  document: Record<string, unknown>,
  options: PresentationRunOptions,
  { now, limits }: Omit<RunContext, 'algorithms'>,
): Promise<SecuredPresentation | undefined> {
  const verified = await verifyDataIntegrity(rec, 'vp', document, {
    purpose: 'authentication',
    documentLoader: options.documentLoader,
  })
  if (!verified) return undefined
  const { proof, signer } = verified
  const claimsOk = rec.absorb(
    checkDataIntegrityPresentationClaims(document, {
      now,
      clockToleranceSec: options.clockToleranceSec,
      challenge: options.challenge,
      domain: options.domain,
      signerDid: signer,
      maxAgeSec: limits.maxPresentationAgeSec,
      proof: {
        created: proof.created,
        expires: proof.expires,
        challenge: proof.challenge,
        domain: proof.domain,
      },
    }),
  )
  return { holder: signer, payload: document, claimsOk, entries: presentationEntries(rec, document, limits) }
}

/**
 * A presentation with no proof: refused (`ERR_VP_UNSIGNED`) unless the caller allows unsigned presentations and
 * asked no challenge; then only its data model is checked and its credentials are verified with no holder.
 */
function unsignedPresentation(
  rec: Recorder,
  document: Record<string, unknown>,
  options: PresentationRunOptions,
  limits: Limits,
): SecuredPresentation | undefined {
  if (!options.allowUnsigned || options.challenge !== undefined) {
    const why = options.allowUnsigned
      ? 'a challenge was asked, and only a proof can answer it'
      : 'a proof is required to bind it to its holder and to this verifier'
    rec.fail('vp.proof', 'ERR_VP_UNSIGNED', `the presentation has no proof: ${why}`)
    return undefined
  }
  rec.absorb(checkUnsignedPresentationClaims(document))
  return {
    holder: undefined,
    payload: document,
    claimsOk: false,
    entries: presentationEntries(rec, document, limits),
  }
}

function presentationEntries(
  rec: Recorder,
  document: Record<string, unknown>,
  limits: Limits,
): SecuredCredential[] | undefined {
  return rec.attempt('vp.verifiableCredential', () =>
    extractSecuredCredentials(document, {
      maxCredentials: limits.maxCredentialsPerPresentation,
      maxTokenLength: limits.maxCredentialTokenLength,
    }),
  )
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
  documentLoader: DocumentLoader | undefined
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

/**
 * Verify one credential: its securing (the `vc+jwt` JWS with the issuer's `assertionMethod` key, or the Data
 * Integrity proof with purpose `assertionMethod`), then everything both mechanisms share
 * ({@link checkSecuredCredential}).
 */
async function checkCredential(
  rec: Recorder,
  prefix: string,
  input: SecuredCredential,
  ctx: CredentialContext,
): Promise<CheckedCredential | undefined> {
  const before = rec.errors.length
  if (input.format === 'vc+jwt') {
    const vc = verifyToken(rec, prefix, input.token, {
      typ: 'vc+jwt',
      maxLength: ctx.limits.maxCredentialTokenLength,
      limits: ctx.limits,
      algorithms: ctx.algorithms,
      relationship: 'assertionMethod',
    })
    if (!vc) return undefined
    return checkSecuredCredential(rec, prefix, { ...vc, securedBy: 'vc+jwt' }, ctx, before)
  }
  const document = readDocument(rec, prefix, input.credential, {
    maxLength: ctx.limits.maxCredentialTokenLength,
    limits: ctx.limits,
    notJson: 'ERR_VC_MALFORMED',
  })
  if (!document) return undefined
  const verified = await verifyDataIntegrity(rec, prefix, document, {
    purpose: 'assertionMethod',
    documentLoader: ctx.documentLoader,
  })
  if (!verified) return undefined
  const idValue = getOwn(document, 'id')
  checkProofTimes(rec, prefix, verified.proof, ctx, typeof idValue === 'string' ? idValue : undefined)
  return checkSecuredCredential(
    rec,
    prefix,
    { payload: document, signer: verified.signer, securedBy: EDDSA_RDFC_2022 },
    ctx,
    before,
  )
}

/**
 * The checks after a credential's signature verified, the same for both securing mechanisms: VC DM 2.0 claims
 * and validity period, the signer is the `issuer`, role claims, holder binding, status entries, trust.
 */
async function checkSecuredCredential(
  rec: Recorder,
  prefix: string,
  vc: { payload: Record<string, unknown>; signer: string; securedBy: CredentialSecuring },
  ctx: CredentialContext,
  before: number,
): Promise<CheckedCredential | undefined> {
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
  // VC-JOSE-COSE §3.1.1 / VC Data Integrity 1.0 §4.4: the key that secured the credential must be its issuer's.
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
    securedBy: vc.securedBy,
  }
}
