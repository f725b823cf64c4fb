/**
 * A Veramo 7 credential provider for VC Data Model 2.0 secured with VC-JOSE-COSE: `vc+jwt` credentials and
 * `vp+jwt` presentations enveloping them, verified by Tessera's verifier (`verify.ts`).
 *
 * ```ts
 * const agent = createAgent({ plugins: [..., new CredentialPlugin([new VcJoseCredentialProvider({ trust })])] })
 * const vc = await agent.createVerifiableCredential({ credential, proofFormat: 'vc+jwt' })
 * const vp = await agent.createVerifiablePresentation({
 *   presentation: { holder, verifiableCredential: [vc] }, proofFormat: 'vp+jwt', challenge, domain })
 * const result = await agent.verifyPresentation({ presentation: vp, challenge, domain })
 * ```
 *
 * Why not `@veramo/credential-jwt`: it secures the VC 1.1 data model (`vc`/`vp` JWT claims, the 2018 context,
 * `issuanceDate`), ignores `validUntil`, and its `verifyPresentation` checks the presentation's signature but
 * not the credentials inside. Here every verification runs the full Tessera path: the signatures of the
 * presentation AND of every enveloped credential, validity periods, `aud`/`nonce`, holder binding, and
 * `credentialStatus` through the provider's {@link StatusChecker} (fail closed without one).
 *
 * Trust: with a `trust` bundle, each credential must be an AgentRoleCredential its issuer's organisation may
 * grant. Without one, trust is NOT evaluated: a result with `verified: true` then only means authentic and
 * valid, and says so with `trust: 'not-evaluated'` and `notEvaluated: ['trust', ...]`. Likewise a `challenge`
 * is only redeemed for single use when the provider has a {@link ChallengeStore}.
 *
 * Shapes returned to Veramo: a credential is the EnvelopedVerifiableCredential (VC DM 2.0 §4.13.1) plus
 * `proof: { jwt }`, a presentation the EnvelopedVerifiablePresentation (§4.13.2) plus `proof: { jwt }`. The
 * `proof` member is not a securing mechanism (the envelope's data URL is what is verified; `proof.jwt` must
 * equal it) and has no `type` (`JwtProof2020` would announce a VC 1.1 JWT). It is there because Veramo needs
 * it: `CredentialPlugin.createVerifiablePresentation` reads `cred.proof.jwt` of every non-string credential, so
 * a bare envelope makes it throw a TypeError before any provider runs; pass such credentials as their compact
 * JWS instead.
 *
 * Registration order: put this provider BEFORE `CredentialProviderJWT`, whose `canVerifyDocumentType` claims
 * every string and every object with `proof.jwt`. This one only claims tokens typed `vc+jwt` / `vp+jwt`, so VC
 * 1.1 JWTs still reach the JWT provider.
 *
 * Not supported: `save: true` (the envelope has no VC 1.1 `issuer`/`issuanceDate` for Veramo's data store),
 * `keyRef` (the did:key's Ed25519 key signs), `presentation.verifier` (use `domain`), VC 1.1 inputs
 * (`expirationDate`, the 2018 context). Issuing here signs with the home's keys but is not Tessera's grant:
 * it neither records the register nor checks agent status or role rules; use `issueRoleCredentials` for that.
 */
import {
  type CheckResult,
  type Clock,
  type DecisionError,
  IdentityError,
  InputError,
  type Permission,
  systemClock,
  toDateTimeStamp,
  toNumericDate,
} from '@tessera/core'
import { parseTrustBundle, type TrustBundle } from '@tessera/policy'
import type {
  ICreateVerifiableCredentialArgs,
  ICreateVerifiablePresentationArgs,
  IKey,
  IssuerAgentContext,
  IVerifyCredentialArgs,
  IVerifyPresentationArgs,
  IVerifyResult,
  ProofFormat,
  VerifiableCredential,
  VerifiablePresentation,
} from '@veramo/core'
import type {
  ICredentialProvider,
  ProofFormatQuery,
  TentativeVerificationQuery,
} from '@veramo/credential-w3c'
import { type ChallengeStore, validateDomain } from './challenge.js'
import { CREDENTIALS_V2_CONTEXT, checkCredentialClaims, parseDateTimeStamp } from './claims.js'
import { signCredentialJwt } from './issue.js'
import { signCompactJws } from './jws.js'
import { describeValue, getOwn, isJsonObject, type Limits } from './limits.js'
import { DEFAULT_PRESENTATION_TTL_SEC, envelopeCredential, VC_JWT_DATA_URL_PREFIX } from './present.js'
import { veramoSigner } from './signer.js'
import type { StatusChecker } from './status-check.js'
import {
  type CheckedCredential,
  type NotEvaluated,
  verifyCredential,
  verifyPresentationWithOptionalTrust,
} from './verify.js'

/** The proof formats of this provider: `vc+jwt` for credentials; `vp+jwt` (or `vc+jwt`) for presentations. */
export const VC_JOSE_PROOF_FORMATS: readonly ProofFormat[] = Object.freeze(['vc+jwt', 'vp+jwt'])
/** Media type of an enveloped vp+jwt presentation (VC-JOSE-COSE §3.1.2, VC DM 2.0 §4.13.2). */
export const VP_JWT_DATA_URL_PREFIX = 'data:application/vp+jwt,'

const CREDENTIALS_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1'
const ENVELOPED_CREDENTIAL = 'EnvelopedVerifiableCredential'
const ENVELOPED_PRESENTATION = 'EnvelopedVerifiablePresentation'
/** Registered JWT claims (RFC 7519 §4.1) derived when signing, never taken from the caller's object. */
const DERIVED_JWT_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'nonce',
  'iat',
  'nbf',
  'exp',
  'jti',
])
/** Longest token `canVerifyDocumentType` looks into (the verifier's own caps apply when verifying). */
const PEEK_MAX_LENGTH = 64 * 1024

/** Options of {@link VcJoseCredentialProvider}. */
export interface VcJoseCredentialProviderOptions {
  /**
   * Issuers, roles and ceilings this verifier trusts. Without a bundle, verification results carry
   * `trust: 'not-evaluated'`: authentic and valid, but nobody vouched for the issuer.
   */
  trust?: TrustBundle
  /** Checks `credentialStatus` entries; without one, a credential carrying a status entry fails closed. */
  status?: StatusChecker
  /** Redeems challenges for single use; without one, `challenge` is only compared with the `nonce`. */
  challenges?: ChallengeStore
  /** This verifier's identifier, used when `verifyPresentation` is called without `domain`. */
  domain?: string
  /** Lifetime of created presentations, in seconds (default 300). */
  presentationTtlSec?: number
  clockToleranceSec?: number
  limits?: Partial<Limits>
  /** Source of "now" when the call gives no `now` / `policies.now`. */
  clock?: Clock
}

/** What a verification through this provider returns to Veramo (an `IVerifyResult` with Tessera's detail). */
export interface VcJoseVerifyResult extends IVerifyResult {
  /** `not-evaluated` when the provider has no trust bundle: never read `verified` as "trusted" then. */
  trust: 'evaluated' | 'not-evaluated'
  notEvaluated: NotEvaluated[]
  checks: CheckResult[]
  errors: DecisionError[]
  verifiedAt: string
}

type TokenRead = { token: string } | { problem: string }

/**
 * Veramo `ICredentialProvider` for the proof formats `vc+jwt` and `vp+jwt` (VC-JOSE-COSE §3.1.1, §3.1.2),
 * signing through `context.agent.keyManagerSign` and verifying with Tessera's offline verifier. See the
 * module documentation for trust, returned shapes and provider order.
 */
export class VcJoseCredentialProvider implements ICredentialProvider {
  readonly #options: VcJoseCredentialProviderOptions
  readonly #clock: Clock

  /** @throws InputError `ERR_TRUST_BUNDLE_INVALID` for an invalid `trust`, `ERR_INPUT_INVALID` for other options. */
  constructor(options: VcJoseCredentialProviderOptions = {}) {
    if (options.domain !== undefined) validateDomain(options.domain)
    const ttl = options.presentationTtlSec
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"presentationTtlSec" must be an integer from 1 to 86400, got ${describeValue(ttl)}`,
      )
    }
    // Validated once here (a bundle from parseTrustBundle/loadTrustBundle is returned as it is).
    this.#options =
      options.trust === undefined ? { ...options } : { ...options, trust: parseTrustBundle(options.trust) }
    this.#clock = options.clock ?? systemClock
  }

  /** Ed25519 keys (did:key) can sign both formats. */
  getProofFormatsSupportedForKey(key: IKey): ProofFormat[] {
    return key.type === 'Ed25519' ? [...VC_JOSE_PROOF_FORMATS] : []
  }

  canIssueProofFormat(query: ProofFormatQuery): boolean {
    return VC_JOSE_PROOF_FORMATS.includes(query.proofFormat)
  }

  /**
   * True for a compact JWS whose JOSE Header `typ` is `vc+jwt` or `vp+jwt`, an object whose `id` is a
   * `data:application/vc+jwt,` / `data:application/vp+jwt,` URL (an Enveloped Verifiable Credential /
   * Presentation), or an object whose `proof.jwt` is such a JWS. Only the header is read here; a document
   * claimed here whose parts disagree fails verification rather than falling through to another provider.
   */
  canVerifyDocumentType(query: TentativeVerificationQuery): boolean {
    const { document } = query
    if (typeof document === 'string') return isVcJoseTyp(peekTyp(document))
    if (!isJsonObject(document)) return false
    const id = getOwn(document, 'id')
    if (
      typeof id === 'string' &&
      [VC_JWT_DATA_URL_PREFIX, VP_JWT_DATA_URL_PREFIX].some((p) => id.slice(0, p.length).toLowerCase() === p)
    ) {
      return true
    }
    const proof = getOwn(document, 'proof')
    const jwt = isJsonObject(proof) ? getOwn(proof, 'jwt') : undefined
    return typeof jwt === 'string' && isVcJoseTyp(peekTyp(jwt))
  }

  /**
   * Secure `args.credential` as a VC DM 2.0 `vc+jwt`. Veramo's CredentialPlugin mutates the caller's object
   * before calling this (it adds a VC 1.1 `issuanceDate` and unshifts the VC 1.1 context into an `@context`
   * array): both are undone here. The v2 context is put first (a VC 1.1 context elsewhere is refused),
   * `VerifiableCredential` first in `type`, and `validFrom` defaults to now (`args.now`, else the clock).
   * The issuer must be a did:key this agent manages.
   *
   * @throws InputError `ERR_INPUT_INVALID` for another proof format, VC 1.1 members, bad dates, or a credential
   *   the verifier would reject as malformed; IdentityError `ERR_DID_METHOD_NOT_SUPPORTED` (issuer not a
   *   did:key), `ERR_DID_NOT_MANAGED`.
   */
  async createVerifiableCredential(
    args: ICreateVerifiableCredentialArgs,
    context: IssuerAgentContext,
  ): Promise<VerifiableCredential> {
    if (args.proofFormat !== 'vc+jwt') {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"proofFormat" must be "vc+jwt" for a credential, got ${describeValue(args.proofFormat)}`,
      )
    }
    const input: unknown = args.credential
    if (!isJsonObject(input)) throw new InputError('ERR_INPUT_INVALID', '"credential" must be an object')
    const now = readNow(args.now) ?? this.#clock()
    const {
      '@context': contextValue,
      id,
      type,
      issuer,
      validFrom,
      validUntil,
      issuanceDate: _addedByVeramo,
      expirationDate,
      proof,
      ...rest
    } = input
    if (expirationDate !== undefined) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        '"credential.expirationDate" is VC 1.1; use "validUntil" (VC DM 2.0 §4.9)',
      )
    }
    if (proof !== undefined) {
      throw new InputError('ERR_INPUT_INVALID', '"credential.proof": pass the unsecured credential')
    }
    const issuerDid =
      typeof issuer === 'string' ? issuer : isJsonObject(issuer) ? getOwn(issuer, 'id') : undefined
    if (typeof issuerDid !== 'string') {
      throw new InputError(
        'ERR_INPUT_INVALID',
        '"credential.issuer" must be a DID or an object with a DID "id"',
      )
    }
    requireDidKey(issuerDid, 'credential.issuer')
    const until = readDate(validUntil, 'credential.validUntil')
    const credential: Record<string, unknown> = {
      '@context': normalizeContext(contextValue, 'credential'),
      ...(id === undefined ? {} : { id }),
      type: normalizeType(type, 'VerifiableCredential', 'credential'),
      issuer,
      validFrom: readDate(validFrom, 'credential.validFrom') ?? toDateTimeStamp(now),
      ...(until === undefined ? {} : { validUntil: until }),
      ...withoutJwtClaims(rest, 'credential'),
    }
    // Never sign what the verifier would call malformed; times are checked when it is verified.
    const TIME_CODES = new Set(['ERR_VC_NOT_YET_VALID', 'ERR_VC_EXPIRED'])
    const problems = checkCredentialClaims(credential, { now }).filter(
      (c) => !c.ok && !TIME_CODES.has(c.code ?? ''),
    )
    if (problems.length > 0) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"credential" is not a valid VC DM 2.0 credential: ${problems.map((p) => p.message).join('; ')}`,
      )
    }
    const signer = await veramoSigner({ agent: context.agent, did: issuerDid })
    const jwt = await signCredentialJwt({ credential, signer, now })
    return { ...envelopeCredential(jwt), proof: { jwt } } as unknown as VerifiableCredential
  }

  /**
   * A `vp+jwt` (VC-JOSE-COSE §3.1.2) signed by `presentation.holder` (a did:key this agent manages),
   * enveloping each credential (given as a compact `vc+jwt`, an EnvelopedVerifiableCredential, or an object
   * with `proof.jwt`), with `aud` = `domain` (required), `nonce` = `challenge` (when given), `iat`/`exp`.
   * `proofFormat` may be `vp+jwt` or `vc+jwt` (the family name Veramo callers use).
   *
   * @throws InputError `ERR_INPUT_INVALID`; IdentityError `ERR_DID_METHOD_NOT_SUPPORTED`, `ERR_DID_NOT_MANAGED`.
   */
  async createVerifiablePresentation(
    args: ICreateVerifiablePresentationArgs,
    context: IssuerAgentContext,
  ): Promise<VerifiablePresentation> {
    if (!VC_JOSE_PROOF_FORMATS.includes(args.proofFormat)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"proofFormat" must be "vp+jwt" or "vc+jwt", got ${describeValue(args.proofFormat)}`,
      )
    }
    const input: unknown = args.presentation
    if (!isJsonObject(input)) throw new InputError('ERR_INPUT_INVALID', '"presentation" must be an object')
    const {
      '@context': contextValue,
      id,
      type,
      holder,
      verifiableCredential,
      verifier,
      issuanceDate: _issuanceDate,
      expirationDate: _expirationDate,
      proof: _proof,
      ...rest
    } = input
    if (verifier !== undefined) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        '"presentation.verifier" is not supported: pass "domain", the verifier bound as "aud"',
      )
    }
    if (typeof holder !== 'string') {
      throw new InputError('ERR_INPUT_INVALID', '"presentation.holder" must be a DID')
    }
    requireDidKey(holder, 'presentation.holder')
    const entries =
      verifiableCredential === undefined
        ? []
        : Array.isArray(verifiableCredential)
          ? verifiableCredential
          : [verifiableCredential]
    if (entries.length === 0) {
      throw new InputError('ERR_INPUT_INVALID', 'a presentation needs at least one credential')
    }
    const envelopes = entries.map((entry, i) => {
      const read = readToken(entry, 'credential')
      if ('problem' in read) {
        throw new InputError('ERR_INPUT_INVALID', `"presentation.verifiableCredential[${i}]" ${read.problem}`)
      }
      if (peekTyp(read.token) !== 'vc+jwt') {
        throw new InputError(
          'ERR_INPUT_INVALID',
          `"presentation.verifiableCredential[${i}]" is not a vc+jwt (its JOSE header "typ" must be vc+jwt)`,
        )
      }
      return envelopeCredential(read.token)
    })
    if (typeof args.domain !== 'string') {
      throw new InputError('ERR_INPUT_INVALID', '"domain" is required: the verifier the presentation is for')
    }
    const domain = validateDomain(args.domain)
    const challenge: unknown = args.challenge
    if (
      challenge !== undefined &&
      (typeof challenge !== 'string' || challenge.length < 16 || challenge.length > 256)
    ) {
      throw new InputError('ERR_INPUT_INVALID', '"challenge" must be the verifier\'s challenge string')
    }
    const iat = toNumericDate(readNow(args.now) ?? this.#clock())
    const signer = await veramoSigner({ agent: context.agent, did: holder })
    const payload: Record<string, unknown> = {
      ...withoutJwtClaims(rest, 'presentation'),
      '@context': normalizeContext(contextValue, 'presentation'),
      ...(id === undefined ? {} : { id }),
      type: normalizeType(type, 'VerifiablePresentation', 'presentation'),
      holder,
      verifiableCredential: envelopes,
      iss: holder,
      aud: domain,
      ...(challenge === undefined ? {} : { nonce: challenge }),
      iat,
      exp: iat + (this.#options.presentationTtlSec ?? DEFAULT_PRESENTATION_TTL_SEC),
    }
    const jwt = await signCompactJws({
      header: { alg: signer.alg, typ: 'vp+jwt', kid: signer.kid },
      payload,
      sign: signer.sign,
    })
    return {
      '@context': CREDENTIALS_V2_CONTEXT,
      type: ENVELOPED_PRESENTATION,
      id: `${VP_JWT_DATA_URL_PREFIX}${jwt}`,
      proof: { jwt },
    } as unknown as VerifiablePresentation
  }

  /**
   * Verify a `vc+jwt` credential on its own with Tessera's verifier (`verifyCredential` in verify.ts): header,
   * the issuer's `assertionMethod` key, signature, claims and validity period, status, and trust when the
   * provider has a bundle. Not bound to a holder (`notEvaluated` lists `holder`). `policies.now` (seconds)
   * pins the time; policies that would switch a check off are ignored.
   */
  async verifyCredential(args: IVerifyCredentialArgs): Promise<VcJoseVerifyResult> {
    const now = readPolicyNow(args.policies?.now) ?? this.#clock()
    const read = readToken(args.credential, 'credential')
    if ('problem' in read) return malformed('vc.jws', `"credential" ${read.problem}`, now, this.#trustState())
    const result = await verifyCredential({
      credential: read.token,
      ...this.#verifierOptions(now),
    })
    return toVeramoResult(result, {
      trust: this.#trustState(),
      ...(result.credential ? { verifiableCredential: result.credential.credential } : {}),
      ...(result.credential ? { credential: summary(result.credential) } : {}),
    })
  }

  /**
   * Verify a `vp+jwt` presentation AND every credential it envelops with Tessera's verifier: signatures,
   * times, `aud` = `domain` (or the provider's `domain`), `nonce` = `challenge`, holder binding, status, and
   * trust when the provider has a bundle; the challenge is redeemed when it has a challenge store.
   *
   * @throws InputError `ERR_INPUT_INVALID` when neither the call nor the provider gives a `domain`.
   */
  async verifyPresentation(args: IVerifyPresentationArgs): Promise<VcJoseVerifyResult> {
    const now = readPolicyNow(args.policies?.now) ?? this.#clock()
    const domainValue: unknown = args.domain ?? this.#options.domain
    if (typeof domainValue !== 'string') {
      throw new InputError(
        'ERR_INPUT_INVALID',
        '"domain" is required (in the call or the provider options): presentations are bound to a verifier',
      )
    }
    const domain = validateDomain(domainValue)
    const read = readToken(args.presentation, 'presentation')
    if ('problem' in read) {
      return malformed('vp.jws', `"presentation" ${read.problem}`, now, this.#trustState())
    }
    const challenge: unknown = args.challenge
    if (challenge !== undefined && (typeof challenge !== 'string' || challenge.length === 0)) {
      throw new InputError('ERR_INPUT_INVALID', '"challenge" must be a non-empty string')
    }
    const result = await verifyPresentationWithOptionalTrust({
      presentation: read.token,
      domain,
      ...(challenge === undefined ? {} : { challenge }),
      ...(this.#options.challenges ? { challenges: this.#options.challenges } : {}),
      ...this.#verifierOptions(now),
    })
    return toVeramoResult(result, {
      trust: this.#trustState(),
      ...(result.holder === undefined ? {} : { holder: result.holder }),
      credentials: result.credentials.map(summary),
      ...(result.verified && result.presentation ? { verifiablePresentation: result.presentation } : {}),
    })
  }

  #trustState(): 'evaluated' | 'not-evaluated' {
    return this.#options.trust === undefined ? 'not-evaluated' : 'evaluated'
  }

  #verifierOptions(now: Date) {
    const o = this.#options
    return {
      now,
      ...(o.trust === undefined ? {} : { trust: o.trust }),
      ...(o.status === undefined ? {} : { status: o.status }),
      ...(o.clockToleranceSec === undefined ? {} : { clockToleranceSec: o.clockToleranceSec }),
      ...(o.limits === undefined ? {} : { limits: o.limits }),
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

/** A credential as reported to Veramo callers (the verified payload is in `verifiableCredential`). */
function summary(c: CheckedCredential): {
  id: string | undefined
  issuer: string
  subject: string | undefined
  role: string | undefined
  permissions: Permission[]
  org: string | undefined
  effective: Permission[]
} {
  return {
    id: c.id,
    issuer: c.issuer,
    subject: c.subject,
    role: c.role,
    permissions: c.permissions,
    org: c.org,
    effective: c.effective,
  }
}

function toVeramoResult(
  result: {
    verified: boolean
    notEvaluated: NotEvaluated[]
    checks: VcJoseVerifyResult['checks']
    errors: VcJoseVerifyResult['errors']
    verifiedAt: string
  },
  extra: { trust: 'evaluated' | 'not-evaluated' } & Record<string, unknown>,
): VcJoseVerifyResult {
  const first = result.errors[0]
  return {
    ...extra,
    verified: result.verified,
    ...(result.verified
      ? {}
      : {
          error: {
            errorCode: first?.code ?? 'ERR_POLICY_NO_CREDENTIALS',
            message: result.errors.map((e) => `${e.code}: ${e.message}`).join('; ') || 'nothing verified',
          },
        }),
    notEvaluated: result.notEvaluated,
    checks: result.checks,
    errors: result.errors,
    verifiedAt: result.verifiedAt,
  }
}

function malformed(
  check: string,
  message: string,
  now: Date,
  trust: 'evaluated' | 'not-evaluated',
): VcJoseVerifyResult {
  return toVeramoResult(
    {
      verified: false,
      notEvaluated: trust === 'evaluated' ? [] : ['trust'],
      checks: [{ check, ok: false, code: 'ERR_JWS_MALFORMED', message }],
      errors: [{ code: 'ERR_JWS_MALFORMED', message }],
      verifiedAt: now.toISOString(),
    },
    { trust },
  )
}

/**
 * The compact JWS a Veramo document carries: the string itself, an Enveloped Verifiable Credential /
 * Presentation's data URL, or `proof.jwt`. When an envelope also has `proof.jwt`, both must be the same token.
 */
function readToken(document: unknown, kind: 'credential' | 'presentation'): TokenRead {
  if (typeof document === 'string') return { token: document }
  if (!isJsonObject(document))
    return { problem: `must be a compact JWS or an object, got ${describeValue(document)}` }
  const prefix = kind === 'credential' ? VC_JWT_DATA_URL_PREFIX : VP_JWT_DATA_URL_PREFIX
  const envelopeType = kind === 'credential' ? ENVELOPED_CREDENTIAL : ENVELOPED_PRESENTATION
  const type = getOwn(document, 'type')
  const isEnvelope = type === envelopeType || (Array.isArray(type) && type.includes(envelopeType))
  const id = getOwn(document, 'id')
  let fromEnvelope: string | undefined
  if (isEnvelope) {
    if (typeof id !== 'string' || id.slice(0, prefix.length).toLowerCase() !== prefix) {
      return { problem: `is an ${envelopeType} whose "id" is not a "${prefix}<compact JWS>" data URL` }
    }
    fromEnvelope = id.slice(prefix.length)
  }
  const proof = getOwn(document, 'proof')
  const jwt = isJsonObject(proof) ? getOwn(proof, 'jwt') : undefined
  const fromProof = typeof jwt === 'string' ? jwt : undefined
  if (fromEnvelope !== undefined && fromProof !== undefined && fromEnvelope !== fromProof) {
    return { problem: 'has a "proof.jwt" that is not the token of its envelope' }
  }
  const token = fromEnvelope ?? fromProof
  return token === undefined ? { problem: `is neither an ${envelopeType} nor has "proof.jwt"` } : { token }
}

/** The JOSE Header `typ` of a compact JWS, lower-cased without `application/`; undefined when unreadable. */
function peekTyp(token: string): string | undefined {
  if (token.length > PEEK_MAX_LENGTH) return undefined
  const dot = token.indexOf('.')
  if (dot <= 0) return undefined
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'))
    const typ = isJsonObject(header) ? getOwn(header, 'typ') : undefined
    return typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined
  } catch {
    return undefined
  }
}

function isVcJoseTyp(typ: string | undefined): boolean {
  return typ === 'vc+jwt' || typ === 'vp+jwt'
}

function requireDidKey(did: string, name: string): void {
  if (!did.startsWith('did:key:') || /[?#/]/.test(did)) {
    throw new IdentityError(
      'ERR_DID_METHOD_NOT_SUPPORTED',
      `"${name}" must be a did:key (without path, query or fragment), got ${describeValue(did)}`,
    )
  }
}

/**
 * VC DM 2.0 §4.3: the v2 context first. Veramo's CredentialPlugin unshifts the VC 1.1 context into the
 * caller's `@context` array in place before any provider runs, so a leading VC 1.1 context is dropped
 * (it cannot be told apart from the caller's); a VC 1.1 context anywhere else is refused.
 */
function normalizeContext(value: unknown, what: string): unknown[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value.slice() : [value]
  if (list[0] === CREDENTIALS_V1_CONTEXT) list.shift()
  if (list.includes(CREDENTIALS_V1_CONTEXT)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${what}.@context" has the VC 1.1 context ${CREDENTIALS_V1_CONTEXT}; vc+jwt secures VC DM 2.0 (${CREDENTIALS_V2_CONTEXT})`,
    )
  }
  return [CREDENTIALS_V2_CONTEXT, ...list.filter((c) => c !== CREDENTIALS_V2_CONTEXT)]
}

function normalizeType(value: unknown, base: string, what: string): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  if (!list.every((t): t is string => typeof t === 'string' && t.length > 0)) {
    throw new InputError('ERR_INPUT_INVALID', `"${what}.type" must be a string or an array of strings`)
  }
  return [base, ...list.filter((t) => t !== base)]
}

/** A dateTimeStamp string (kept as given) or a Date (written without milliseconds); undefined when absent. */
function readDate(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (value instanceof Date && Number.isFinite(value.getTime())) return toDateTimeStamp(value)
  if (typeof value === 'string' && parseDateTimeStamp(value) !== undefined) return value
  throw new InputError(
    'ERR_INPUT_INVALID',
    `"${name}" must be an XML Schema dateTimeStamp with a time zone (e.g. 2026-01-01T00:00:00Z), got ${describeValue(value)}`,
  )
}

/** Veramo's `now` argument: a Date, or seconds since the epoch. */
function readNow(value: unknown): Date | undefined {
  if (value === undefined) return undefined
  if (value instanceof Date && Number.isFinite(value.getTime())) return value
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000)
  throw new InputError(
    'ERR_INPUT_INVALID',
    `"now" must be a Date or seconds since the epoch, got ${describeValue(value)}`,
  )
}

/** `policies.now`, seconds since the epoch (as did-jwt reads it). */
function readPolicyNow(value: unknown): Date | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000)
  throw new InputError(
    'ERR_INPUT_INVALID',
    `"policies.now" must be seconds since the epoch, got ${describeValue(value)}`,
  )
}

/**
 * Drop the registered JWT claims this provider derives itself (from the data model, or for the presentation
 * from `holder`, `domain` and `challenge`), and refuse the VC 1.1 `vc`/`vp` claims (VC-JOSE-COSE §3.1.3).
 */
function withoutJwtClaims(rest: Record<string, unknown>, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'vc' || k === 'vp') {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"${what}.${k}" is the VC 1.1 JWT claim; give the ${what} itself`,
      )
    }
    if (!DERIVED_JWT_CLAIMS.has(k)) out[k] = v
  }
  return out
}
