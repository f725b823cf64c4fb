/**
 * Claim checks on the payload of a verified `vc+jwt` / `vp+jwt` token.
 *
 * In VC-JOSE-COSE the JWS Payload IS the credential or presentation (§3.1.1, §3.1.2: "the unsecured
 * verifiable credential is the unencoded JWS payload"); there is no `vc`/`vp` claim as in VC-JWT 1.1, and
 * those claim names MUST NOT be present (§3.1.3). Registered JWT claims (`iss`, `sub`, `jti`, `iat`, `nbf`,
 * `exp`, `aud`, `nonce`) may sit next to the data model properties; when present they are enforced too,
 * and must not contradict the data model (§3.1.3: `iss`/`issuer`, `jti`/`id`, `sub`/`credentialSubject.id`).
 *
 * Credential and presentation checks return every check run as a `CheckResult` (a failing credential is a
 * result, not an exception). Bad options are programmer errors and throw `InputError`.
 */
import { type CheckResult, InputError, VerificationError, type VerificationErrorCode } from '@tessera/core'
import { DEFAULT_LIMITS, describeValue, getOwn, isJsonObject } from './limits.js'

/** The base context every VC DM 2.0 credential and presentation starts with (VC DM 2.0 §4.3). */
export const CREDENTIALS_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2'

/** Options of {@link checkCredentialClaims}. */
export interface CredentialClaimsOptions {
  /** The verification time. */
  now: Date
  /** Allowance for clock skew, in seconds: default 60, at most 300. */
  clockToleranceSec?: number
  /** Prefix of the check names, e.g. `vc[0]`; default `vc`. */
  checkPrefix?: string
}

/**
 * Check the claims of a `vc+jwt` payload against VC DM 2.0 and VC-JOSE-COSE. Checks, by name (prefix `vc`):
 * - `vc.@context`, `vc.type`, `vc.claims` (no `vc`/`vp` claim), `vc.id` (when present), `vc.issuer`,
 *   `vc.credentialSubject`: `ERR_VC_MALFORMED`;
 * - `vc.validFrom`, `vc.validUntil` (when present): an XML Schema dateTimeStamp WITH a time zone offset,
 *   enforced with the clock tolerance: `ERR_VC_NOT_YET_VALID` / `ERR_VC_EXPIRED` (`ERR_VC_MALFORMED` when
 *   unparsable); `vc.validityPeriod` when both are present (validFrom <= validUntil, VC DM 2.0 §4.9);
 * - `vc.iat`, `vc.nbf`, `vc.exp` (when present): NumericDates (RFC 7519 §2), enforced with the tolerance;
 * - `vc.iss` (when present): equals the issuer id, `ERR_VC_ISSUER_MISMATCH`;
 * - `vc.sub`, `vc.jti` (when present): equal a `credentialSubject.id` / the `id`, `ERR_VC_MALFORMED`.
 *
 * Checks for optional members are listed only when the member is present.
 *
 * @throws InputError `ERR_INPUT_INVALID` for an invalid `now` or `clockToleranceSec`.
 */
export function checkCredentialClaims(payload: unknown, options: CredentialClaimsOptions): CheckResult[] {
  const nowMs = readNow(options.now)
  const toleranceMs = readTolerance(options.clockToleranceSec)
  const p = readPrefix(options.checkPrefix, 'vc')
  const checks = new Checks()
  const MALFORMED = 'ERR_VC_MALFORMED'

  if (!isJsonObject(payload)) {
    checks.fail(`${p}.payload`, MALFORMED, `credential must be a JSON object, got ${describeValue(payload)}`)
    return checks.list
  }
  checkBaseContext(checks, `${p}.@context`, payload, MALFORMED)
  checkTypeIncludes(checks, `${p}.type`, payload, 'VerifiableCredential', MALFORMED)
  checkNoLegacyClaims(checks, `${p}.claims`, payload, MALFORMED)

  // VC DM 2.0 §4.4: `id`, when present, is a single URL.
  const id = getOwn(payload, 'id')
  if (id !== undefined) {
    if (isUrl(id)) checks.pass(`${p}.id`)
    else checks.fail(`${p}.id`, MALFORMED, `"id" must be a URL, got ${describeValue(id)}`)
  }

  // VC DM 2.0 §4.7: `issuer` is a URL, or an object whose `id` is a URL.
  const issuer = getOwn(payload, 'issuer')
  const issuerId = readIdentifier(issuer)
  if (issuerId !== undefined) checks.pass(`${p}.issuer`)
  else
    checks.fail(
      `${p}.issuer`,
      MALFORMED,
      `"issuer" must be a URL or an object with a URL "id", got ${describeValue(issuer)}`,
    )

  // VC DM 2.0 §4.8: `credentialSubject` is required: an object, or a non-empty array of objects.
  const subject = getOwn(payload, 'credentialSubject')
  const subjects = Array.isArray(subject) ? subject : [subject]
  const subjectIds: string[] = []
  if (subjects.length > 0 && subjects.every(isJsonObject)) {
    checks.pass(`${p}.credentialSubject`)
    for (const s of subjects as Record<string, unknown>[]) {
      const sid = getOwn(s, 'id')
      if (typeof sid === 'string') subjectIds.push(sid)
    }
  } else {
    checks.fail(
      `${p}.credentialSubject`,
      MALFORMED,
      `"credentialSubject" must be an object or a non-empty array of objects, got ${describeValue(subject)}`,
    )
  }

  // VC DM 2.0 §4.9 Validity Period.
  const validFrom = checkDateTimeStamp(checks, `${p}.validFrom`, payload, 'validFrom', MALFORMED)
  const validUntil = checkDateTimeStamp(checks, `${p}.validUntil`, payload, 'validUntil', MALFORMED)
  if (validFrom !== undefined) {
    checkNotBefore(
      checks,
      `${p}.validFrom`,
      validFrom,
      nowMs,
      toleranceMs,
      'ERR_VC_NOT_YET_VALID',
      '"validFrom"',
    )
  }
  if (validUntil !== undefined) {
    checkNotAfter(checks, `${p}.validUntil`, validUntil, nowMs, toleranceMs, 'ERR_VC_EXPIRED', '"validUntil"')
  }
  if (validFrom !== undefined && validUntil !== undefined) {
    if (validFrom <= validUntil) checks.pass(`${p}.validityPeriod`)
    else checks.fail(`${p}.validityPeriod`, MALFORMED, '"validFrom" must not be later than "validUntil"')
  }

  // VC-JOSE-COSE §3.1.3: `iat`/`exp` are the issuance and expiry of the signature; `nbf` is NOT
  // RECOMMENDED but, when present, still means "not before" (RFC 7519 §4.1.5).
  checkJwtTimes(checks, p, payload, nowMs, toleranceMs, {
    malformed: MALFORMED,
    notYetValid: 'ERR_VC_NOT_YET_VALID',
    expired: 'ERR_VC_EXPIRED',
  })

  // VC-JOSE-COSE §3.1.3: JWT claims must not conflict with the credential properties they shadow.
  if (Object.hasOwn(payload, 'iss')) {
    const iss = payload.iss
    if (typeof iss === 'string' && issuerId !== undefined && iss === issuerId) checks.pass(`${p}.iss`)
    else
      checks.fail(
        `${p}.iss`,
        'ERR_VC_ISSUER_MISMATCH',
        `"iss" ${describeValue(iss)} is not the issuer ${describeValue(issuerId)}`,
      )
  }
  if (Object.hasOwn(payload, 'sub')) {
    const sub = payload.sub
    if (typeof sub === 'string' && subjectIds.includes(sub)) checks.pass(`${p}.sub`)
    else checks.fail(`${p}.sub`, MALFORMED, `"sub" ${describeValue(sub)} is not a credentialSubject.id`)
  }
  if (Object.hasOwn(payload, 'jti')) {
    const jti = payload.jti
    if (typeof jti === 'string' && jti === id) checks.pass(`${p}.jti`)
    else
      checks.fail(
        `${p}.jti`,
        MALFORMED,
        `"jti" ${describeValue(jti)} is not the credential "id" ${describeValue(id)}`,
      )
  }
  return checks.list
}

/** Options of {@link checkPresentationClaims}. */
export interface PresentationClaimsOptions {
  /** The verification time. */
  now: Date
  /** Allowance for clock skew, in seconds: default 60, at most 300. */
  clockToleranceSec?: number
  /** The challenge the verifier issued; when given, the `nonce` claim must equal it. */
  challenge?: string
  /** The verifier's own identifier; the `aud` claim must contain it. */
  domain: string
  /** The DID whose key signed the presentation; `holder` and `iss`, when present, must equal it. */
  signerDid: string
  /** Oldest accepted presentation when it carries no `exp`, in seconds; default 600. */
  maxAgeSec?: number
  /** Prefix of the check names; default `vp`. */
  checkPrefix?: string
}

/**
 * Check the claims of a `vp+jwt` payload. Checks, by name (prefix `vp`):
 * - `vp.@context`, `vp.type` (`VerifiablePresentation`, VC DM 2.0 §4.13), `vp.claims`: `ERR_VP_MALFORMED`;
 * - `vp.holder`, `vp.iss` (when present): equal `signerDid`, `ERR_HOLDER_MISMATCH`;
 * - `vp.nonce` (when `challenge` is given): `ERR_CHALLENGE_MISSING` / `ERR_CHALLENGE_MISMATCH`;
 * - `vp.aud`: a string or array of strings containing `domain` (RFC 7519 §4.1.3), else `ERR_DOMAIN_MISMATCH`;
 * - `vp.iat`, `vp.nbf`, `vp.exp` (when present): `ERR_VP_NOT_YET_VALID` / `ERR_VP_EXPIRED`;
 * - `vp.freshness`: a presentation is a short-lived proof of possession, so its `exp` may be at most `maxAgeSec`
 *   in the future (`ERR_VP_LIFETIME`), and it must either carry `exp`, or
 *   carry `iat` and be at most `maxAgeSec` old (treated as an implicit `exp` of `iat + maxAgeSec`); with
 *   neither it fails with `ERR_VP_EXPIRED`. This bounds replay even when no challenge is used.
 *
 * The credentials inside are read by {@link extractEnvelopedCredentials}.
 *
 * @throws InputError `ERR_INPUT_INVALID` for invalid options.
 */
export function checkPresentationClaims(payload: unknown, options: PresentationClaimsOptions): CheckResult[] {
  const nowMs = readNow(options.now)
  const toleranceMs = readTolerance(options.clockToleranceSec)
  const p = readPrefix(options.checkPrefix, 'vp')
  const { challenge, domain, signerDid } = options
  requireNonEmptyString(domain, 'domain')
  requireNonEmptyString(signerDid, 'signerDid')
  if (challenge !== undefined) requireNonEmptyString(challenge, 'challenge')
  const maxAgeSec = readMaxAge(options.maxAgeSec)
  const checks = new Checks()
  const MALFORMED = 'ERR_VP_MALFORMED'

  // VC DM 2.0 §4.13: `holder` is a URL or an object with an `id`; it must be who signed.
  if (
    !checkPresentationDataModel(checks, p, payload, signerDid, (payload) => {
      checkNoLegacyClaims(checks, `${p}.claims`, payload, MALFORMED)
    })
  ) {
    return checks.list
  }
  if (Object.hasOwn(payload, 'iss')) {
    const iss = payload.iss
    if (iss === signerDid) checks.pass(`${p}.iss`)
    else
      checks.fail(
        `${p}.iss`,
        'ERR_HOLDER_MISMATCH',
        `"iss" ${describeValue(iss)} did not sign the presentation`,
      )
  }

  if (challenge !== undefined) {
    const nonce = getOwn(payload, 'nonce')
    if (nonce === undefined) checks.fail(`${p}.nonce`, 'ERR_CHALLENGE_MISSING', 'presentation has no "nonce"')
    else if (nonce !== challenge) {
      checks.fail(
        `${p}.nonce`,
        'ERR_CHALLENGE_MISMATCH',
        `"nonce" ${describeValue(nonce)} is not the expected challenge`,
      )
    } else checks.pass(`${p}.nonce`)
  }

  // RFC 7519 §4.1.3: a recipient that does not find itself in `aud` MUST reject the JWT. Tessera
  // requires `aud` on presentations so one cannot be replayed to another verifier.
  const aud = getOwn(payload, 'aud')
  if (aud === undefined)
    checks.fail(`${p}.aud`, 'ERR_DOMAIN_MISMATCH', `presentation has no "aud"; expected "${domain}"`)
  else if (typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    checks.fail(
      `${p}.aud`,
      MALFORMED,
      `"aud" must be a string or an array of strings, got ${describeValue(aud)}`,
    )
  } else if (typeof aud === 'string' ? aud === domain : aud.includes(domain)) checks.pass(`${p}.aud`)
  else checks.fail(`${p}.aud`, 'ERR_DOMAIN_MISMATCH', `"aud" does not include "${domain}"`)

  const times = checkJwtTimes(checks, p, payload, nowMs, toleranceMs, {
    malformed: MALFORMED,
    notYetValid: 'ERR_VP_NOT_YET_VALID',
    expired: 'ERR_VP_EXPIRED',
  })
  checkFreshness(checks, p, times, nowMs, toleranceMs, maxAgeSec, { exp: '"exp"', iat: '"iat"' })
  return checks.list
}

/** Options of {@link extractEnvelopedCredentials}. */
export interface ExtractEnvelopedCredentialsOptions {
  /** Most credentials accepted. */
  maxCredentials: number
  /** Longest accepted `vc+jwt` token, in characters. */
  maxTokenLength: number
}

const ENVELOPED_TYPE = 'EnvelopedVerifiableCredential'
const VC_JWT_DATA_URL_PREFIX = 'data:application/vc+jwt,'
const ENVELOPED_PRESENTATION_TYPE = 'EnvelopedVerifiablePresentation'
const VP_JWT_DATA_URL_PREFIX = 'data:application/vp+jwt,'
const COMPACT_JWS_CHARS = /^[A-Za-z0-9_.-]+$/

/**
 * Return the `vc+jwt` compact tokens enveloped in a presentation's `verifiableCredential` (an array, or a
 * single object), in order; none when the member is absent.
 *
 * VC-JOSE-COSE §3.1.2: credentials in a presentation MUST be secured and MUST use the
 * EnvelopedVerifiableCredential type (VC DM 2.0 §4.13.1). Each entry must be
 * `{ "@context": <starts with the v2 context>, "type": "EnvelopedVerifiableCredential",
 *    "id": "data:application/vc+jwt,<token>" }`. A plain embedded credential, another media type
 * (`vc+sd-jwt`, `vc+cose`), a `;base64` or percent-encoded data URL is refused. The tokens are not decoded
 * here; pass each to `decodeCompactJws` with `expectedTyp: 'vc+jwt'`.
 *
 * @throws VerificationError `ERR_VP_TOO_MANY_CREDENTIALS` over `maxCredentials`, `ERR_SIZE_LIMIT` for a token
 *   over `maxTokenLength`, `ERR_VP_MALFORMED` for anything else; InputError `ERR_INPUT_INVALID` for bad options.
 */
export function extractEnvelopedCredentials(
  vpPayload: unknown,
  options: ExtractEnvelopedCredentialsOptions,
): string[] {
  return credentialEntries(vpPayload, options).map((entry, i) =>
    readEnvelopedToken(entry, `verifiableCredential[${i}]`, options.maxTokenLength, VC_ENVELOPE),
  )
}

/** The entries of `verifiableCredential`, after the option, shape and count checks. */
function credentialEntries(vpPayload: unknown, options: ExtractEnvelopedCredentialsOptions): unknown[] {
  const { maxCredentials, maxTokenLength } = options
  for (const [name, value] of [
    ['maxCredentials', maxCredentials],
    ['maxTokenLength', maxTokenLength],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"${name}" must be a non-negative integer, got ${describeValue(value)}`,
      )
    }
  }
  if (!isJsonObject(vpPayload)) {
    throw new VerificationError(
      'ERR_VP_MALFORMED',
      `presentation must be a JSON object, got ${describeValue(vpPayload)}`,
    )
  }
  const member = getOwn(vpPayload, 'verifiableCredential')
  if (member === undefined) return []
  let entries: unknown[]
  if (Array.isArray(member)) entries = member
  else if (isJsonObject(member)) entries = [member]
  else {
    throw new VerificationError(
      'ERR_VP_MALFORMED',
      `"verifiableCredential" must be an object or an array of objects, got ${describeValue(member)}`,
    )
  }
  if (entries.length > maxCredentials) {
    throw new VerificationError(
      'ERR_VP_TOO_MANY_CREDENTIALS',
      `presentation carries ${entries.length} credentials, over the limit of ${maxCredentials}`,
    )
  }
  return entries
}

/** A secured credential carried by a presentation, in the order it appears (see {@link extractSecuredCredentials}). */
export type SecuredCredential =
  | { format: 'vc+jwt'; token: string }
  | { format: 'data-integrity'; credential: Record<string, unknown> }

/**
 * Return the secured credentials in a presentation's `verifiableCredential` (an array, or a single object), in
 * order; none when the member is absent. For a Data Integrity presentation: VC DM 2.0 §4.13 lets a presentation
 * carry credentials secured either way, so each entry is an `EnvelopedVerifiableCredential` holding a `vc+jwt`
 * (read as by {@link extractEnvelopedCredentials}) or a credential with a `proof` (a Data Integrity credential,
 * verified on its own). An unsecured credential is refused.
 *
 * @throws VerificationError as {@link extractEnvelopedCredentials}; InputError for bad options.
 */
export function extractSecuredCredentials(
  vpPayload: unknown,
  options: ExtractEnvelopedCredentialsOptions,
): SecuredCredential[] {
  return credentialEntries(vpPayload, options).map((entry, i): SecuredCredential => {
    const where = `verifiableCredential[${i}]`
    if (isJsonObject(entry) && !hasType(entry, ENVELOPED_TYPE) && Object.hasOwn(entry, 'proof')) {
      return { format: 'data-integrity', credential: entry }
    }
    if (isJsonObject(entry) && !hasType(entry, ENVELOPED_TYPE)) {
      throw new VerificationError(
        'ERR_VP_MALFORMED',
        `${where} must be secured: an ${ENVELOPED_TYPE} or a credential with a Data Integrity "proof" (VC DM 2.0 §4.13)`,
      )
    }
    return { format: 'vc+jwt', token: readEnvelopedToken(entry, where, options.maxTokenLength, VC_ENVELOPE) }
  })
}

/** True when `value` is an object whose `type` is, or includes, `type`. */
export function hasType(value: Record<string, unknown>, type: string): boolean {
  const t = getOwn(value, 'type')
  return t === type || (Array.isArray(t) && t.includes(type))
}

/**
 * The `vc+jwt` token of one `EnvelopedVerifiableCredential` given on its own (VC DM 2.0 §4.13.1:
 * `id` is `data:application/vc+jwt,<compact JWS>`), checked as inside a presentation.
 *
 * @throws VerificationError `ERR_VC_MALFORMED`, `ERR_SIZE_LIMIT` for a token over `maxTokenLength`.
 */
export function readEnvelopedCredential(entry: unknown, options: { maxTokenLength: number }): string {
  return readEnvelopedToken(entry, 'credential', options.maxTokenLength, {
    ...VC_ENVELOPE,
    code: 'ERR_VC_MALFORMED',
  })
}

/**
 * The `vp+jwt` token of an `EnvelopedVerifiablePresentation` (VC DM 2.0 §4.13.2: `id` is
 * `data:application/vp+jwt,<compact JWS>`).
 *
 * @throws VerificationError `ERR_VP_MALFORMED`, `ERR_SIZE_LIMIT` for a token over `maxTokenLength`.
 */
export function readEnvelopedPresentation(entry: unknown, options: { maxTokenLength: number }): string {
  return readEnvelopedToken(entry, 'presentation', options.maxTokenLength, VP_ENVELOPE)
}

interface Envelope {
  type: string
  prefix: string
  code: VerificationErrorCode
  /** Why the type is required, for the error message. */
  why: string
}

const VC_ENVELOPE: Envelope = {
  type: ENVELOPED_TYPE,
  prefix: VC_JWT_DATA_URL_PREFIX,
  code: 'ERR_VP_MALFORMED',
  why: 'credentials in a presentation must be secured (VC-JOSE-COSE §3.1.2)',
}
const VP_ENVELOPE: Envelope = {
  type: ENVELOPED_PRESENTATION_TYPE,
  prefix: VP_JWT_DATA_URL_PREFIX,
  code: 'ERR_VP_MALFORMED',
  why: 'an enveloped presentation (VC DM 2.0 §4.13.2)',
}

function readEnvelopedToken(
  entry: unknown,
  where: string,
  maxTokenLength: number,
  envelope: Envelope,
): string {
  const { type: envelopeType, prefix } = envelope
  const malformed = (message: string) => new VerificationError(envelope.code, `${where} ${message}`)
  if (!isJsonObject(entry)) throw malformed(`must be an ${envelopeType} object, got ${describeValue(entry)}`)
  const context = getOwn(entry, '@context')
  const contextOk = context === CREDENTIALS_V2_CONTEXT || (Array.isArray(context) && isContextList(context))
  if (!contextOk) throw malformed(`"@context" must be or start with "${CREDENTIALS_V2_CONTEXT}"`)
  const type = getOwn(entry, 'type')
  const typeOk =
    type === envelopeType ||
    (Array.isArray(type) && type.every((t) => typeof t === 'string') && type.includes(envelopeType))
  if (!typeOk) throw malformed(`"type" must be "${envelopeType}": ${envelope.why}`)
  const id = getOwn(entry, 'id')
  // RFC 2397 data URL; the scheme and media type are case-insensitive (RFC 3986 §3.1, RFC 6838 §4.2).
  if (typeof id !== 'string' || id.slice(0, prefix.length).toLowerCase() !== prefix) {
    throw malformed(`"id" must be a "${prefix}<compact JWS>" data URL, got ${describeValue(id)}`)
  }
  const token = id.slice(prefix.length)
  if (token.length > maxTokenLength) {
    throw new VerificationError(
      'ERR_SIZE_LIMIT',
      `${where} token is ${token.length} characters, over the limit of ${maxTokenLength}`,
    )
  }
  if (!COMPACT_JWS_CHARS.test(token))
    throw malformed('"id" does not hold a compact JWS (base64url segments and dots)')
  return token
}

/** What the Data Integrity proof of a presentation states about its binding (VC Data Integrity 1.0 §2.1). */
export interface PresentationProofClaims {
  created: string | undefined
  expires: string | undefined
  challenge: string | undefined
  domain: string | readonly string[] | undefined
}

/** Options of {@link checkDataIntegrityPresentationClaims}. */
export interface DataIntegrityPresentationClaimsOptions extends Omit<PresentationClaimsOptions, 'signerDid'> {
  /** The DID whose key made the presentation's proof; `holder`, when present, must equal it. */
  signerDid: string
  /** The proof's binding members, read from a verified proof. */
  proof: PresentationProofClaims
}

/**
 * Check a presentation secured with a Data Integrity proof, the counterpart of {@link checkPresentationClaims}
 * for `vp+jwt`, with the same codes. Checks, by name (prefix `vp`):
 * - `vp.@context`, `vp.type` (`VerifiablePresentation`): `ERR_VP_MALFORMED`;
 * - `vp.holder` (when present): equals `signerDid`, `ERR_HOLDER_MISMATCH`;
 * - `vp.challenge` (when `challenge` is given): the proof's `challenge` (VC Data Integrity 1.0 §2.1; VC-API
 *   "challenge"), `ERR_CHALLENGE_MISSING` / `ERR_CHALLENGE_MISMATCH`;
 * - `vp.domain`: the proof's `domain` is, or includes, `domain`, else `ERR_DOMAIN_MISMATCH` (as `aud`);
 * - `vp.created`, `vp.expires` (when present): `ERR_VP_NOT_YET_VALID` / `ERR_VP_EXPIRED` with the tolerance;
 * - `vp.freshness`: as for `vp+jwt`, with `expires` for `exp` and `created` for `iat` (`ERR_VP_LIFETIME`,
 *   `ERR_VP_EXPIRED`).
 *
 * @throws InputError `ERR_INPUT_INVALID` for invalid options.
 */
export function checkDataIntegrityPresentationClaims(
  presentation: unknown,
  options: DataIntegrityPresentationClaimsOptions,
): CheckResult[] {
  const nowMs = readNow(options.now)
  const toleranceMs = readTolerance(options.clockToleranceSec)
  const p = readPrefix(options.checkPrefix, 'vp')
  const { challenge, domain, signerDid, proof } = options
  requireNonEmptyString(domain, 'domain')
  requireNonEmptyString(signerDid, 'signerDid')
  if (challenge !== undefined) requireNonEmptyString(challenge, 'challenge')
  const maxAgeSec = readMaxAge(options.maxAgeSec)
  const checks = new Checks()
  if (!checkPresentationDataModel(checks, p, presentation, signerDid)) return checks.list

  if (challenge !== undefined) {
    if (proof.challenge === undefined) {
      checks.fail(`${p}.challenge`, 'ERR_CHALLENGE_MISSING', 'the proof has no "challenge"')
    } else if (proof.challenge !== challenge) {
      checks.fail(
        `${p}.challenge`,
        'ERR_CHALLENGE_MISMATCH',
        `proof "challenge" ${describeValue(proof.challenge)} is not the expected challenge`,
      )
    } else checks.pass(`${p}.challenge`)
  }
  // Like `aud` for vp+jwt: a presentation must name the verifier it is for, so it cannot be replayed to another.
  if (proof.domain === undefined) {
    checks.fail(`${p}.domain`, 'ERR_DOMAIN_MISMATCH', `the proof has no "domain"; expected "${domain}"`)
  } else if (typeof proof.domain === 'string' ? proof.domain === domain : proof.domain.includes(domain)) {
    checks.pass(`${p}.domain`)
  } else checks.fail(`${p}.domain`, 'ERR_DOMAIN_MISMATCH', `proof "domain" does not include "${domain}"`)

  const createdMs = proof.created === undefined ? undefined : parseDateTimeStamp(proof.created)
  const expiresMs = proof.expires === undefined ? undefined : parseDateTimeStamp(proof.expires)
  if (createdMs !== undefined) {
    checkNotBefore(
      checks,
      `${p}.created`,
      createdMs,
      nowMs,
      toleranceMs,
      'ERR_VP_NOT_YET_VALID',
      'proof "created"',
    )
  }
  if (expiresMs !== undefined) {
    checkNotAfter(checks, `${p}.expires`, expiresMs, nowMs, toleranceMs, 'ERR_VP_EXPIRED', 'proof "expires"')
  }
  checkFreshness(checks, p, { exp: expiresMs, iat: createdMs }, nowMs, toleranceMs, maxAgeSec, {
    exp: '"expires"',
    iat: '"created"',
  })
  return checks.list
}

/**
 * Check the data model of a presentation with no proof (VC DM 2.0 §4.13: `@context`, `type`, `holder` a URL or
 * an object with one). Nothing binds it to a holder, a challenge or a domain: only a caller that explicitly
 * allows unsigned presentations uses this. Checks `vp.@context`, `vp.type`, `vp.holder` (when present).
 */
export function checkUnsignedPresentationClaims(
  presentation: unknown,
  options: { checkPrefix?: string } = {},
): CheckResult[] {
  const checks = new Checks()
  checkPresentationDataModel(checks, readPrefix(options.checkPrefix, 'vp'), presentation, undefined)
  return checks.list
}

/** `@context`, `type`, `holder` of a presentation; true when it is an object (so that later checks can run). */
function checkPresentationDataModel(
  checks: Checks,
  p: string,
  presentation: unknown,
  signerDid: string | undefined,
  afterType?: (presentation: Record<string, unknown>) => void,
): presentation is Record<string, unknown> {
  const MALFORMED = 'ERR_VP_MALFORMED'
  if (!isJsonObject(presentation)) {
    checks.fail(
      `${p}.payload`,
      MALFORMED,
      `presentation must be a JSON object, got ${describeValue(presentation)}`,
    )
    return false
  }
  checkBaseContext(checks, `${p}.@context`, presentation, MALFORMED)
  checkTypeIncludes(checks, `${p}.type`, presentation, 'VerifiablePresentation', MALFORMED)
  afterType?.(presentation)
  if (Object.hasOwn(presentation, 'holder')) {
    const holderId = readIdentifier(presentation.holder)
    if (holderId === undefined) {
      checks.fail(`${p}.holder`, MALFORMED, `"holder" must be a URL or an object with a URL "id"`)
    } else if (signerDid !== undefined && holderId !== signerDid) {
      checks.fail(
        `${p}.holder`,
        'ERR_HOLDER_MISMATCH',
        `"holder" ${describeValue(holderId)} did not sign the presentation`,
      )
    } else checks.pass(`${p}.holder`)
  }
  return true
}

// ---------------------------------------------------------------------------------------------------------

/** Accumulates CheckResults in order. */
class Checks {
  readonly list: CheckResult[] = []
  pass(check: string): void {
    this.list.push({ check, ok: true })
  }
  fail(check: string, code: VerificationErrorCode, message: string): void {
    this.list.push({ check, ok: false, code, message })
  }
}

/** VC DM 2.0 §4.3: `@context` is an ordered set whose first item is the v2 context; others are URLs or objects. */
function isContextList(context: unknown[]): boolean {
  return (
    context[0] === CREDENTIALS_V2_CONTEXT &&
    context.every((c, i) => i === 0 || (typeof c === 'string' && c.length > 0) || isJsonObject(c))
  )
}

function checkBaseContext(
  checks: Checks,
  check: string,
  payload: Record<string, unknown>,
  code: VerificationErrorCode,
): void {
  const context = getOwn(payload, '@context')
  if (Array.isArray(context) && isContextList(context)) checks.pass(check)
  else checks.fail(check, code, `"@context" must be an array starting with "${CREDENTIALS_V2_CONTEXT}"`)
}

/** VC DM 2.0 §4.5: `type` is a string or an array of strings, and includes the base type. */
function checkTypeIncludes(
  checks: Checks,
  check: string,
  payload: Record<string, unknown>,
  required: string,
  code: VerificationErrorCode,
): void {
  const type = getOwn(payload, 'type')
  const ok =
    type === required ||
    (Array.isArray(type) && type.every((t) => typeof t === 'string') && type.includes(required))
  if (ok) checks.pass(check)
  else checks.fail(check, code, `"type" must include "${required}", got ${describeValue(type)}`)
}

/** VC-JOSE-COSE §3.1.3: "The JWT Claim Names vc and vp MUST NOT be present" (they belong to VC-JWT 1.1). */
function checkNoLegacyClaims(
  checks: Checks,
  check: string,
  payload: Record<string, unknown>,
  code: VerificationErrorCode,
): void {
  const present = ['vc', 'vp'].filter((name) => Object.hasOwn(payload, name))
  if (present.length === 0) checks.pass(check)
  else checks.fail(check, code, `JWT claim(s) ${present.join(', ')} must not be present (VC-JOSE-COSE)`)
}

/** A URL string, or an object whose own `id` is one (VC DM 2.0 §4.7 issuer, §4.13 holder). */
function readIdentifier(value: unknown): string | undefined {
  const id = isJsonObject(value) ? getOwn(value, 'id') : value
  return isUrl(id) ? id : undefined
}

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value)
}

/**
 * XML Schema 1.1 Part 2 §3.3.8 dateTimeStamp (dateTime with a REQUIRED time zone offset), restricted to
 * four-digit years so every accepted value is also an ECMAScript date-time string (Date.parse keeps
 * milliseconds and truncates longer fractions).
 */
const DATE_TIME_STAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/

/**
 * Parse a dateTimeStamp to epoch milliseconds, or undefined when it is not one. VC DM 2.0 §4.9 requires
 * `validFrom`/`validUntil` to be dateTimeStamps; a value without an offset (`2026-01-01T00:00:00`) or a bare
 * date (`2026-01-01`) is refused. Deliberate: VC DM 2.0 "Representing Time" also says values "incorrectly
 * serialized without an offset MUST be interpreted as UTC", a leniency for consumers of malformed data; a
 * verifier that grants authorization refuses the malformed credential instead of reinterpreting it.
 */
export function parseDateTimeStamp(value: string): number | undefined {
  const m = DATE_TIME_STAMP.exec(value)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const fraction = m[7]
  const [offsetHour, offsetMinute] = [Number(m[9] ?? 0), Number(m[10] ?? 0)]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  // XSD allows 24:00:00 (with a zero fraction) as the end of the day; no leap seconds.
  const endOfDay =
    hour === 24 && minute === 0 && second === 0 && (fraction === undefined || /^0+$/.test(fraction))
  if (!endOfDay && (hour > 23 || minute > 59 || second > 59)) return undefined
  // XSD timezoneFrag: -14:00 to +14:00.
  if (offsetMinute > 59 || offsetHour > 14 || (offsetHour === 14 && offsetMinute !== 0)) return undefined
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

function checkDateTimeStamp(
  checks: Checks,
  check: string,
  payload: Record<string, unknown>,
  name: string,
  code: VerificationErrorCode,
): number | undefined {
  if (!Object.hasOwn(payload, name)) return undefined
  const value = payload[name]
  const ms = typeof value === 'string' ? parseDateTimeStamp(value) : undefined
  if (ms === undefined) {
    checks.fail(
      check,
      code,
      `"${name}" must be an XML Schema dateTimeStamp with a time zone, got ${describeValue(value)}`,
    )
  }
  return ms
}

/** Fails when `atMs` is later than now plus the tolerance (RFC 7519 §4.1.5: valid at or after). */
function checkNotBefore(
  checks: Checks,
  check: string,
  atMs: number,
  nowMs: number,
  toleranceMs: number,
  code: VerificationErrorCode,
  what: string,
): void {
  if (atMs - toleranceMs <= nowMs) checks.pass(check)
  else checks.fail(check, code, `${what} ${formatTime(atMs)} is in the future`)
}

/** Fails once now reaches `atMs` plus the tolerance (RFC 7519 §4.1.4: valid strictly before). */
function checkNotAfter(
  checks: Checks,
  check: string,
  atMs: number,
  nowMs: number,
  toleranceMs: number,
  code: VerificationErrorCode,
  what: string,
): void {
  if (nowMs < atMs + toleranceMs) checks.pass(check)
  else checks.fail(check, code, `${what} ${formatTime(atMs)} has passed`)
}

/**
 * `iat`, `nbf`, `exp` when present: NumericDates (RFC 7519 §2, seconds since the epoch, finite, fractions
 * allowed). `iat` in the future beyond the tolerance is refused like `nbf`: a signature cannot have been
 * made later than now. Returns the valid values in milliseconds.
 */
function checkJwtTimes(
  checks: Checks,
  p: string,
  payload: Record<string, unknown>,
  nowMs: number,
  toleranceMs: number,
  codes: {
    malformed: VerificationErrorCode
    notYetValid: VerificationErrorCode
    expired: VerificationErrorCode
  },
): { iat?: number; nbf?: number; exp?: number } {
  const out: { iat?: number; nbf?: number; exp?: number } = {}
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    if (!Object.hasOwn(payload, name)) continue
    const value = payload[name]
    const ms = typeof value === 'number' ? value * 1000 : Number.NaN
    if (!Number.isFinite(ms)) {
      checks.fail(
        `${p}.${name}`,
        codes.malformed,
        `"${name}" must be a NumericDate (seconds), got ${describeValue(value)}`,
      )
      continue
    }
    if (name === 'exp') checkNotAfter(checks, `${p}.${name}`, ms, nowMs, toleranceMs, codes.expired, `"exp"`)
    else checkNotBefore(checks, `${p}.${name}`, ms, nowMs, toleranceMs, codes.notYetValid, `"${name}"`)
    out[name] = ms
  }
  return out
}

/**
 * A presentation is a short-lived proof of possession: one that claims to stay valid for longer than the maximum
 * age could be replayed for that long where no challenge is used. Its remaining lifetime (`exp`) is capped; without
 * one, it must have been made (`iat`) at most `maxAgeSec` ago (an implicit `exp` of `iat + maxAgeSec`); with
 * neither it is refused.
 */
function checkFreshness(
  checks: Checks,
  p: string,
  times: { iat?: number | undefined; exp?: number | undefined },
  nowMs: number,
  toleranceMs: number,
  maxAgeSec: number,
  names: { exp: string; iat: string },
): void {
  if (times.exp !== undefined) {
    if (times.exp - nowMs <= maxAgeSec * 1000 + toleranceMs) checks.pass(`${p}.freshness`)
    else
      checks.fail(
        `${p}.freshness`,
        'ERR_VP_LIFETIME',
        `presentation ${names.exp} is more than ${maxAgeSec}s in the future; presentations must be short-lived`,
      )
  } else if (times.iat !== undefined) {
    const impliedExpMs = times.iat + maxAgeSec * 1000
    if (impliedExpMs + toleranceMs > nowMs) checks.pass(`${p}.freshness`)
    else
      checks.fail(
        `${p}.freshness`,
        'ERR_VP_EXPIRED',
        `presentation has no ${names.exp} and is older than ${maxAgeSec}s`,
      )
  } else {
    checks.fail(
      `${p}.freshness`,
      'ERR_VP_EXPIRED',
      `presentation has neither a valid ${names.exp} nor a valid ${names.iat}`,
    )
  }
}

function readMaxAge(value: number | undefined): number {
  const maxAgeSec = value ?? DEFAULT_LIMITS.maxPresentationAgeSec
  if (typeof maxAgeSec !== 'number' || !Number.isFinite(maxAgeSec) || maxAgeSec <= 0) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"maxAgeSec" must be a positive number, got ${describeValue(maxAgeSec)}`,
    )
  }
  return maxAgeSec
}

/** ISO 8601 when the instant is within the Date range, else seconds (toISOString throws outside it). */
function formatTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms / 1000}s after the epoch`
}

function readNow(now: Date): number {
  const ms = now instanceof Date ? now.getTime() : Number.NaN
  if (!Number.isFinite(ms)) throw new InputError('ERR_INPUT_INVALID', `"now" must be a valid Date`)
  return ms
}

function readTolerance(clockToleranceSec: number | undefined): number {
  const tolerance = clockToleranceSec ?? DEFAULT_LIMITS.clockToleranceSec
  const max = DEFAULT_LIMITS.maxClockToleranceSec
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > max) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"clockToleranceSec" must be a number from 0 to ${max}, got ${describeValue(tolerance)}`,
    )
  }
  return tolerance * 1000
}

function readPrefix(prefix: string | undefined, fallback: string): string {
  if (prefix === undefined) return fallback
  requireNonEmptyString(prefix, 'checkPrefix')
  return prefix
}

function requireNonEmptyString(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" must be a non-empty string, got ${describeValue(value)}`,
    )
  }
}
