/**
 * JWS Compact Serialization (RFC 7515) for `vc+jwt` and `vp+jwt` tokens (W3C VC-JOSE-COSE §3.1): a strict
 * decoder, a signature check on node:crypto KeyObjects, and the encoder the issuer uses.
 *
 * Hand-written rather than `jose.compactVerify` because the verifier checks tokens with cached
 * node:crypto KeyObjects resolved from did:key (no JWK round trip per token), and it reports a stable
 * Tessera code for each rule; jose is used in the tests as the independent implementation.
 *
 * Only asymmetric algorithms are known here: an allow-list can never name `none`, `HS*`, `RS*` or `PS*`
 * (RFC 8725 §2.1, §3.1, §3.2). Keys are always injected by the caller: the embedded-key Header Parameters
 * `jwk`, `jku`, `x5u`, `x5c` (and `x5t`, `x5t#S256`) are never read, so a token cannot choose its own key.
 */
import { verify as cryptoVerify, KeyObject } from 'node:crypto'
import { InputError, VerificationError } from '@tessera/core'
import { describeValue as describe, getOwn, isJsonObject, parseJsonCapped } from './limits.js'

/** The JWS `alg` values Tessera accepts: asymmetric signatures only (RFC 7518 §3.4, RFC 8037 §3.1, RFC 8812 §3.2). */
export type JwsAlg = 'EdDSA' | 'ES256' | 'ES384' | 'ES512' | 'ES256K'

interface AlgParams {
  /** node:crypto digest name; null for EdDSA, which hashes internally (RFC 8032). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null
  /** `namedCurve` of an EC KeyObject, or the accepted `asymmetricKeyType`s for EdDSA. */
  readonly curve: string | null
  /** Signature length in bytes: ECDSA is the fixed-width R || S of RFC 7518 §3.4 (never DER). */
  readonly signatureLength: number | null
}

const ALGS: Readonly<Record<JwsAlg, AlgParams>> = Object.freeze({
  // RFC 8037 §3.1: EdDSA covers Ed25519 (64-byte signature) and Ed448 (114-byte); the key decides.
  EdDSA: { hash: null, curve: null, signatureLength: null },
  ES256: { hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  // RFC 8812 §3.2: ECDSA over secp256k1 with SHA-256.
  ES256K: { hash: 'sha256', curve: 'secp256k1', signatureLength: 64 },
})

const EDDSA_SIGNATURE_LENGTH: Readonly<Record<string, number>> = Object.freeze({ ed25519: 64, ed448: 114 })

/** Every algorithm an allow-list may contain. */
export const JWS_ALGS: readonly JwsAlg[] = Object.freeze(Object.keys(ALGS) as JwsAlg[])

/**
 * Header Parameter names registered by RFC 7515 §4.1 for JWS. RFC 7515 §4.1.11: producers MUST NOT list
 * them in `crit` and recipients MAY reject a `crit` that does.
 */
const REGISTERED_HEADER_PARAMETERS: ReadonlySet<string> = new Set([
  'alg',
  'jku',
  'jwk',
  'kid',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'typ',
  'cty',
  'crit',
])

/** True when `value` is one of {@link JWS_ALGS}. */
export function isJwsAlg(value: unknown): value is JwsAlg {
  return typeof value === 'string' && Object.hasOwn(ALGS, value)
}

/** The validated JOSE Header of a decoded token. Other members are kept as parsed; read them with `getOwn`. */
export type JwsHeader = Readonly<Record<string, unknown>> & {
  readonly alg: JwsAlg
  readonly kid: string
  readonly typ: string
}

/** A decoded compact JWS whose header passed every structural rule; the signature is NOT yet verified. */
export interface DecodedJws {
  header: JwsHeader
  /** The JWS Payload: for `vc+jwt` / `vp+jwt` it is the credential / presentation itself (VC-JOSE-COSE §3.1.1, §3.1.2). */
  payload: Record<string, unknown>
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)), the bytes the signature covers (RFC 7515 §5.2 step 8). */
  signingInput: Buffer
  /** The decoded JWS Signature. */
  signature: Buffer
}

/** Options of {@link decodeCompactJws}. */
export interface DecodeCompactJwsOptions {
  /** Longest accepted token, in characters; checked before anything is decoded. */
  maxLength: number
  /** Deepest accepted JSON nesting in the header and the payload. */
  maxDepth: number
  /** Accepted `typ` value(s), compared as media types (RFC 7515 §4.1.9). */
  expectedTyp: 'vc+jwt' | 'vp+jwt' | readonly string[]
  /** Accepted `alg` values; must be a non-empty subset of {@link JWS_ALGS}. */
  allowedAlgs: readonly JwsAlg[]
}

/**
 * Decode a JWS Compact Serialization (RFC 7515 §7.1) and apply every rule that needs no key.
 *
 * Rules, in order, each with its code:
 * - `ERR_SIZE_LIMIT`: the token is longer than `maxLength`, or its header/payload JSON nests deeper than `maxDepth`.
 * - `ERR_JWS_MALFORMED`: not exactly three segments; a segment that is not canonical unpadded base64url
 *   (RFC 7515 §2, §5.2 steps 1-2: only `A-Z a-z 0-9 - _`, no `=`, unused trailing bits zero); a header or
 *   payload that is not UTF-8 JSON text of an object (§5.2 step 3); an empty signature.
 * - `ERR_JWS_ALG`: `alg` missing or not in `allowedAlgs` (RFC 8725 §3.1).
 * - `ERR_JWS_CRIT`: any `crit` (RFC 7515 §4.1.11: we implement no extension, so every listed one is
 *   "not understood"), and any `b64` other than `true` (RFC 7797 unencoded payloads are such an extension).
 * - `ERR_JWS_TYP`: `typ` missing or not one of `expectedTyp` (RFC 8725 §3.11 explicit typing); `cty`
 *   present but not the matching content type (`vc` for `vc+jwt`, `vp` for `vp+jwt`, VC-JOSE-COSE §3.1.1/§3.1.2).
 * - `ERR_JWS_KID`: `kid` missing, not a string or empty (the key is found from it; VC-JOSE-COSE Key Discovery).
 *
 * @throws VerificationError with the codes above; InputError `ERR_INPUT_INVALID` for bad options
 *   (for instance an allow-list naming `HS256`).
 */
export function decodeCompactJws(token: string, options: DecodeCompactJwsOptions): DecodedJws {
  const { maxLength, maxDepth, allowedAlgs } = options
  assertPositiveInteger(maxLength, 'maxLength')
  assertPositiveInteger(maxDepth, 'maxDepth')
  assertAllowedAlgs(allowedAlgs)
  const expectedTyps = normalizeExpectedTyp(options.expectedTyp)

  if (typeof token !== 'string') {
    throw new VerificationError('ERR_JWS_MALFORMED', `token must be a string, got ${describe(token)}`)
  }
  if (token.length > maxLength) {
    throw new VerificationError(
      'ERR_SIZE_LIMIT',
      `token is ${token.length} characters, over the limit of ${maxLength}`,
    )
  }

  // Three segments separated by exactly two dots (RFC 7515 §7.1).
  const firstDot = token.indexOf('.')
  const secondDot = firstDot === -1 ? -1 : token.indexOf('.', firstDot + 1)
  if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) {
    throw new VerificationError(
      'ERR_JWS_MALFORMED',
      `token must have exactly 3 dot-separated segments, got ${token.split('.').length}`,
    )
  }
  const headerSegment = token.slice(0, firstDot)
  const payloadSegment = token.slice(firstDot + 1, secondDot)
  const signatureSegment = token.slice(secondDot + 1)
  const headerBytes = decodeBase64url(headerSegment, 'JWS Protected Header')
  const payloadBytes = decodeBase64url(payloadSegment, 'JWS Payload')
  const signature = decodeBase64url(signatureSegment, 'JWS Signature')

  const header = decodeJsonObject(headerBytes, 'JWS Protected Header', maxLength, maxDepth)
  // The typed view `JwsHeader` returned below relies on these three checks.
  checkAlg(header, allowedAlgs)
  checkCrit(header)
  checkTyp(header, expectedTyps)
  const kid = getOwn(header, 'kid')
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new VerificationError('ERR_JWS_KID', `"kid" must be a non-empty string, got ${describe(kid)}`)
  }

  const payload = decodeJsonObject(payloadBytes, 'JWS Payload', maxLength, maxDepth)
  if (signature.length === 0) {
    throw new VerificationError('ERR_JWS_MALFORMED', 'JWS Signature is empty')
  }

  return {
    header: header as JwsHeader,
    payload,
    // The segments passed the base64url alphabet check, so the signing input is pure ASCII.
    signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'),
    signature,
  }
}

/** Arguments of {@link verifyJwsSignature}. */
export interface VerifyJwsSignatureOptions {
  alg: JwsAlg
  /** The public key the caller resolved and trusts for this token (never one the token carries). */
  keyObject: KeyObject
  signingInput: Uint8Array | string
  signature: Uint8Array
}

/**
 * True when `keyObject` is a public key of the kind `alg` requires: Ed25519/Ed448 for EdDSA, and the
 * matching named curve for ES256 (P-256), ES384 (P-384), ES512 (P-521), ES256K (secp256k1). A verifier calls
 * it before {@link verifyJwsSignature} to report `ERR_JWS_ALG` rather than `ERR_JWS_SIGNATURE` (RFC 8725 §3.1:
 * the algorithm must be appropriate for the key).
 */
export function keyMatchesAlg(keyObject: KeyObject, alg: JwsAlg): boolean {
  if (!(keyObject instanceof KeyObject) || keyObject.type !== 'public' || !isJwsAlg(alg)) return false
  if (alg === 'EdDSA') {
    const type = keyObject.asymmetricKeyType
    return type !== undefined && Object.hasOwn(EDDSA_SIGNATURE_LENGTH, type)
  }
  return (
    keyObject.asymmetricKeyType === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === ALGS[alg].curve
  )
}

/**
 * Verify a JWS Signature with node:crypto (RFC 7515 §5.2 step 8).
 *
 * Returns false, never throws, for anything that is not a valid signature: an `alg` outside {@link JWS_ALGS},
 * a key of the wrong type or curve for `alg` (an Ed25519 key with ES256), a private or secret KeyObject, a
 * signature whose length is not exactly the one `alg` defines (ECDSA R || S of RFC 7518 §3.4, so DER is
 * refused; 64 bytes for Ed25519, 114 for Ed448), or a signature that does not verify.
 */
export function verifyJwsSignature(options: VerifyJwsSignatureOptions): boolean {
  try {
    const { alg, keyObject, signingInput, signature } = options
    if (!keyMatchesAlg(keyObject, alg) || !(signature instanceof Uint8Array)) return false
    const data = typeof signingInput === 'string' ? Buffer.from(signingInput, 'utf8') : signingInput
    if (!(data instanceof Uint8Array)) return false
    if (alg === 'EdDSA') {
      const expected = EDDSA_SIGNATURE_LENGTH[keyObject.asymmetricKeyType ?? '']
      if (signature.length !== expected) return false
      return cryptoVerify(null, data, keyObject, signature)
    }
    const { hash, signatureLength } = ALGS[alg]
    if (hash === null || signature.length !== signatureLength) return false
    return cryptoVerify(hash, data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

/** Arguments of {@link signCompactJws}. */
export interface SignCompactJwsOptions {
  /** The JOSE Header; `alg` must be one of {@link JWS_ALGS}. Set `typ` (`vc+jwt`/`vp+jwt`) and `kid` too. */
  header: Readonly<Record<string, unknown>> & { readonly alg: JwsAlg }
  /** The JWS Payload: the credential or presentation JSON itself (VC-JOSE-COSE §3.1.1, §3.1.2). */
  payload: Readonly<Record<string, unknown>>
  /**
   * Signs the JWS Signing Input with the key `header.kid` names. Must return the raw signature: 64 bytes
   * for Ed25519, IEEE P1363 R || S for ECDSA (RFC 7518 §3.4), not DER.
   */
  sign: (signingInput: Uint8Array) => Promise<Uint8Array> | Uint8Array
}

/**
 * Encode and sign a JWS Compact Serialization (RFC 7515 §5.1, §7.1). The signer is injected: the issuer
 * passes one backed by its key manager.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a header this package would refuse to verify (`alg` not in
 *   {@link JWS_ALGS}, `crit`, `b64`, an empty `kid`), a payload that is not a JSON-serializable object,
 *   or a signer that returns a signature of the wrong length for `alg`.
 */
export async function signCompactJws(options: SignCompactJwsOptions): Promise<string> {
  const { header, payload, sign } = options
  if (!isJsonObject(header)) throw new InputError('ERR_INPUT_INVALID', `"header" must be an object`)
  const alg = getOwn(header, 'alg')
  if (!isJwsAlg(alg)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"header.alg" must be one of ${JWS_ALGS.join(', ')}, got ${describe(alg)}`,
    )
  }
  for (const name of ['crit', 'b64']) {
    if (Object.hasOwn(header, name)) {
      throw new InputError('ERR_INPUT_INVALID', `"header.${name}" is not supported: the verifier rejects it`)
    }
  }
  const kid = getOwn(header, 'kid')
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    throw new InputError('ERR_INPUT_INVALID', `"header.kid" must be a non-empty string, got ${describe(kid)}`)
  }
  if (!isJsonObject(payload)) throw new InputError('ERR_INPUT_INVALID', `"payload" must be an object`)
  if (typeof sign !== 'function') throw new InputError('ERR_INPUT_INVALID', `"sign" must be a function`)

  const encodedHeader = encodeJsonBase64url(header, 'header')
  const encodedPayload = encodeJsonBase64url(payload, 'payload')
  const signingInput = `${encodedHeader}.${encodedPayload}`
  const signature = await sign(Buffer.from(signingInput, 'latin1'))
  if (!(signature instanceof Uint8Array)) {
    throw new InputError('ERR_INPUT_INVALID', `"sign" must return a Uint8Array, got ${describe(signature)}`)
  }
  const expected = alg === 'EdDSA' ? Object.values(EDDSA_SIGNATURE_LENGTH) : [ALGS[alg].signatureLength]
  if (!expected.includes(signature.length)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"sign" returned ${signature.length} bytes; ${alg} needs ${expected.join(' or ')} (raw R || S, not DER)`,
    )
  }
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`
}

// ---------------------------------------------------------------------------------------------------------

const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Strict base64url (RFC 4648 §5, RFC 7515 §2 "with all trailing '=' characters omitted"): alphabet only,
 * no padding, no whitespace, and canonical (re-encoding the bytes gives back the same text, so two
 * different strings never decode to the same bytes). Buffer.from alone silently skips invalid characters.
 */
function decodeBase64url(segment: string, what: string): Buffer {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw new VerificationError('ERR_JWS_MALFORMED', `${what} is not unpadded base64url`)
  }
  // Canonical form (RFC 4648 §3.5): the bits of the last character beyond the encoded bytes must be zero, so no
  // two strings decode to the same bytes. Checked on that character alone rather than by re-encoding.
  const rem = segment.length % 4
  if (
    rem !== 0 &&
    (BASE64URL_ALPHABET.indexOf(segment[segment.length - 1] as string) & (rem === 2 ? 0x0f : 0x03)) !== 0
  ) {
    throw new VerificationError(
      'ERR_JWS_MALFORMED',
      `${what} is not canonical base64url (non-zero trailing bits)`,
    )
  }
  return Buffer.from(segment, 'base64url')
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** RFC 7515 §5.2 step 3 (header) and RFC 7519 §7.2 step 10 (claims): UTF-8 JSON text of an object. */
function decodeJsonObject(
  bytes: Buffer,
  what: string,
  maxLength: number,
  maxDepth: number,
): Record<string, unknown> {
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch (err) {
    throw new VerificationError('ERR_JWS_MALFORMED', `${what} is not UTF-8`, { cause: err })
  }
  let value: unknown
  try {
    value = parseJsonCapped(text, { maxDepth, maxLength })
  } catch (err) {
    if (err instanceof VerificationError && err.code === 'ERR_JWS_MALFORMED') {
      throw new VerificationError('ERR_JWS_MALFORMED', `${what} is not valid JSON`, { cause: err })
    }
    throw err
  }
  if (!isJsonObject(value)) {
    throw new VerificationError('ERR_JWS_MALFORMED', `${what} must be a JSON object, got ${describe(value)}`)
  }
  return value
}

function checkAlg(header: Record<string, unknown>, allowedAlgs: readonly JwsAlg[]): void {
  const alg = getOwn(header, 'alg')
  if (typeof alg !== 'string') {
    throw new VerificationError('ERR_JWS_ALG', `"alg" must be a string, got ${describe(alg)}`)
  }
  // RFC 8725 §3.1: the algorithm is taken from the caller's allow-list, never from the token alone.
  if (!(allowedAlgs as readonly string[]).includes(alg)) {
    throw new VerificationError(
      'ERR_JWS_ALG',
      `"alg" ${JSON.stringify(alg)} is not allowed (allowed: ${allowedAlgs.join(', ')})`,
    )
  }
}

/** RFC 7515 §4.1.11 (`crit`) and RFC 7797 §3, §6 (`b64`). */
function checkCrit(header: Record<string, unknown>): void {
  if (Object.hasOwn(header, 'crit')) {
    const crit = header.crit
    if (!Array.isArray(crit)) {
      throw new VerificationError('ERR_JWS_CRIT', `"crit" must be an array, got ${describe(crit)}`)
    }
    if (crit.length === 0) {
      throw new VerificationError('ERR_JWS_CRIT', '"crit" must not be empty (RFC 7515 §4.1.11)')
    }
    const seen = new Set<string>()
    for (const name of crit) {
      if (typeof name !== 'string' || name.length === 0) {
        throw new VerificationError(
          'ERR_JWS_CRIT',
          `"crit" entries must be non-empty strings, got ${describe(name)}`,
        )
      }
      if (seen.has(name)) throw new VerificationError('ERR_JWS_CRIT', `"crit" lists "${name}" twice`)
      seen.add(name)
      if (REGISTERED_HEADER_PARAMETERS.has(name)) {
        throw new VerificationError(
          'ERR_JWS_CRIT',
          `"crit" must not list the registered Header Parameter "${name}"`,
        )
      }
      if (!Object.hasOwn(header, name)) {
        throw new VerificationError('ERR_JWS_CRIT', `"crit" lists "${name}", which is not in the header`)
      }
    }
    // Well formed, but this implementation understands no extension Header Parameter.
    throw new VerificationError(
      'ERR_JWS_CRIT',
      `extension Header Parameter(s) ${crit.join(', ')} not understood`,
    )
  }
  // `b64: false` (RFC 7797) changes what the signature covers; it is only valid when listed in `crit`,
  // which was refused above. `b64: true` is the default encoding and harmless.
  if (Object.hasOwn(header, 'b64') && header.b64 !== true) {
    throw new VerificationError(
      'ERR_JWS_CRIT',
      `"b64" ${describe(header.b64)} is not supported (RFC 7797 unencoded payload)`,
    )
  }
}

function checkTyp(header: Record<string, unknown>, expected: readonly string[]): void {
  const typ = getOwn(header, 'typ')
  // RFC 8725 §3.11: explicit typing keeps a vc+jwt from being accepted as a vp+jwt or any other JWT.
  // VC-JOSE-COSE only says SHOULD for `typ`; Tessera requires it.
  if (typeof typ !== 'string') {
    throw new VerificationError('ERR_JWS_TYP', `"typ" must be a string, got ${describe(typ)}`)
  }
  const normalized = normalizeMediaType(typ)
  if (!expected.includes(normalized)) {
    throw new VerificationError(
      'ERR_JWS_TYP',
      `"typ" ${JSON.stringify(typ)} is not the expected ${expected.map((t) => t.replace(/^application\//, '')).join(' or ')}`,
    )
  }
  // VC-JOSE-COSE §3.1.1/§3.1.2: when present, `cty` SHOULD be `vc` (for vc+jwt) or `vp` (for vp+jwt).
  // Anything else, notably `JWT` (RFC 7519 §5.2, a nested JWT), would change how the payload is read.
  if (Object.hasOwn(header, 'cty')) {
    const cty = header.cty
    if (typeof cty !== 'string') {
      throw new VerificationError('ERR_JWS_TYP', `"cty" must be a string, got ${describe(cty)}`)
    }
    const normalizedCty = normalizeMediaType(cty)
    const ok = normalized.endsWith('+jwt')
      ? normalizedCty === normalized.slice(0, -'+jwt'.length)
      : normalizedCty !== 'application/jwt'
    if (!ok) {
      throw new VerificationError(
        'ERR_JWS_TYP',
        `"cty" ${JSON.stringify(cty)} does not match "typ" ${JSON.stringify(typ)}`,
      )
    }
  }
}

/**
 * RFC 7515 §4.1.9: a `typ` without '/' is read as if "application/" were prepended; media type names
 * are case-insensitive (RFC 6838 §4.2).
 */
function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase()
  return lower.includes('/') ? lower : `application/${lower}`
}

function normalizeExpectedTyp(expectedTyp: DecodeCompactJwsOptions['expectedTyp']): string[] {
  const list = typeof expectedTyp === 'string' ? [expectedTyp] : expectedTyp
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((t) => typeof t === 'string' && t.length > 0)
  ) {
    throw new InputError('ERR_INPUT_INVALID', `"expectedTyp" must be a non-empty string or array of them`)
  }
  return list.map(normalizeMediaType)
}

function assertAllowedAlgs(allowedAlgs: readonly JwsAlg[]): void {
  if (!Array.isArray(allowedAlgs) || allowedAlgs.length === 0) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"allowedAlgs" must be a non-empty array of ${JWS_ALGS.join(', ')}`,
    )
  }
  for (const alg of allowedAlgs as readonly unknown[]) {
    if (!isJwsAlg(alg)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"allowedAlgs" may only contain ${JWS_ALGS.join(', ')} (asymmetric, RFC 8725 §3.2), got ${describe(alg)}`,
      )
    }
  }
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError('ERR_INPUT_INVALID', `"${name}" must be a positive integer, got ${describe(value)}`)
  }
}

function encodeJsonBase64url(value: Readonly<Record<string, unknown>>, name: string): string {
  let json: string
  try {
    json = JSON.stringify(value)
  } catch (err) {
    throw new InputError('ERR_INPUT_INVALID', `"${name}" must be JSON-serializable`, { cause: err })
  }
  return Buffer.from(json, 'utf8').toString('base64url')
}
