/**
 * A strict, synchronous did:key codec and resolver (did:key Method v0.9,
 * https://w3c-ccg.github.io/did-key-spec/), loaded by the offline verifier: no Veramo, no database.
 *
 * Written here rather than taken from `key-did-resolver` because that resolver is async, emits the
 * legacy `Ed25519VerificationKey2018`/`JsonWebKey2020` forms, accepts uncompressed and raw EC keys and
 * reports every failure as one string; the codec work itself is done by `multiformats` (base58btc,
 * varint) and `@noble/curves` (point validation, the Ed25519 to X25519 map).
 *
 * Every input is treated as hostile: its length is capped before anything is decoded, and every
 * failure is an `IdentityError` with a stable code, never a raw exception.
 *
 * @module
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { IdentityError, InputError, TesseraError } from '@tessera/core'
import type { DIDDocument, DIDResolutionResult, DIDResolver } from 'did-resolver'
import { varint } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'

/** The public key types a did:key can carry (did:key v0.9, "Signature Method Creation Algorithm" table). */
export type DidKeyType = 'Ed25519' | 'X25519' | 'P-256' | 'P-384' | 'P-521' | 'secp256k1'

/** The key types that can sign, i.e. every {@link DidKeyType} except X25519. */
export type DidKeySigningKeyType = Exclude<DidKeyType, 'X25519'>

/** JWS `alg` values for the signing key types (RFC 8037 §3.1, RFC 7518 §3.4, RFC 8812 §3.2). */
export type DidKeyJwsAlgorithm = 'EdDSA' | 'ES256' | 'ES384' | 'ES512' | 'ES256K'

/** The verification relationships of DID Core v1.0 §5.3. */
export type VerificationRelationship =
  | 'authentication'
  | 'assertionMethod'
  | 'capabilityInvocation'
  | 'capabilityDelegation'
  | 'keyAgreement'

/** A decoded did:key. */
export interface ParsedDidKey {
  /** The DID, `did:key:<multibaseValue>`. */
  readonly did: string
  /** The method-specific identifier: `z` + base58btc(multicodec varint header + raw public key). */
  readonly multibaseValue: string
  /** The key type named by the multicodec header. */
  readonly keyType: DidKeyType
  /**
   * The raw public key: 32 bytes for Ed25519 and X25519, the compressed SEC1 point (33, 49 or 67
   * bytes) for P-256, P-384, P-521 and secp256k1. A fresh copy on every call.
   */
  readonly publicKey: Uint8Array
}

/** A `Multikey` verification method (Controlled Identifiers v1.0, "Multikey"; DID Core v1.0 §5.2). */
export interface MultikeyVerificationMethod {
  /** `<did>#<publicKeyMultibase>`. */
  readonly id: string
  readonly type: 'Multikey'
  /** The DID itself: a did:key controls its own key. */
  readonly controller: string
  /** `z` + base58btc(multicodec header + raw public key). */
  readonly publicKeyMultibase: string
}

/** The DID document of a did:key, deeply frozen. */
export interface DidDocument {
  readonly '@context': readonly string[]
  readonly id: string
  readonly verificationMethod: readonly MultikeyVerificationMethod[]
  readonly authentication?: readonly string[]
  readonly assertionMethod?: readonly string[]
  readonly capabilityDelegation?: readonly string[]
  readonly capabilityInvocation?: readonly string[]
  readonly keyAgreement?: readonly (string | MultikeyVerificationMethod)[]
}

/** What a JWS verifier needs to check a signature made by a did:key, cached per DID. */
export interface VerificationKey {
  /** The DID. */
  readonly did: string
  /** The id of its signing verification method, `<did>#<multibaseValue>`. */
  readonly vmId: string
  readonly keyType: DidKeySigningKeyType
  /** The one JWS `alg` this key verifies. */
  readonly alg: DidKeyJwsAlgorithm
  /** The public key, imported once. */
  readonly keyObject: KeyObject
  /** The relationships the verification method is listed under in the DID document. */
  readonly relationships: ReadonlySet<VerificationRelationship>
}

/** Longest accepted DID or DID URL. The longest valid one (P-521 with its fragment) has 201. */
export const MAX_DID_KEY_LENGTH = 256

/** Most DID documents and verification keys kept, each (least recently used ones are evicted). */
export const DID_KEY_CACHE_SIZE = 10_000

const DID_KEY_PREFIX = 'did:key:'

/** DID Core v1.0 §3.1 DID Syntax: `did:` method-name `:` with method-char = %x61-7A / DIGIT. */
const DID_METHOD = /^did:([a-z0-9]+):/

/** did:key v0.9 "did:key Identifier Syntax" ABNF: `mb-value := z[a-km-zA-HJ-NP-Z1-9]+` (base58btc). */
const MULTIBASE_VALUE = /^z[1-9A-HJ-NP-Za-km-z]+$/

/**
 * The DID v1.1 context defines `Multikey` and `publicKeyMultibase`; the current did:key spec's own
 * example (Appendix "Test Vectors" > "Ed25519 with X25519") uses it alone.
 */
const CONTEXT: readonly string[] = Object.freeze(['https://www.w3.org/ns/did/v1.1'])

const SIGNING_RELATIONSHIPS = [
  'authentication',
  'assertionMethod',
  'capabilityDelegation',
  'capabilityInvocation',
] as const

interface Codec {
  readonly keyType: DidKeyType
  /** Multicodec code (https://github.com/multiformats/multicodec, table.csv). */
  readonly code: number
  /** The varint-encoded code, prefixed to the raw key. */
  readonly header: Uint8Array
  /** Raw key length, did:key v0.9 "Signature Method Creation Algorithm" table. */
  readonly length: number
}

interface EcCurve {
  /** JWK `crv` (RFC 7518 §6.2.1.1, RFC 8812 §3.1). */
  readonly crv: string
  /** Byte length of one coordinate. */
  readonly size: number
  readonly alg: DidKeyJwsAlgorithm
  /** Decode a compressed or uncompressed SEC1 point, checking it is on the curve; returns it uncompressed. */
  readonly uncompress: (bytes: Uint8Array) => Uint8Array
  /** Same check; returns it compressed. */
  readonly compress: (bytes: Uint8Array) => Uint8Array
}

function codec(keyType: DidKeyType, code: number, length: number): Codec {
  const header = varint.encodeTo(code, new Uint8Array(varint.encodingLength(code)))
  return Object.freeze({ keyType, code, header, length })
}

/** Multicodec ed25519-pub, x25519-pub, p256-pub, p384-pub, p521-pub, secp256k1-pub (varint-encoded). */
const CODECS: Readonly<Record<DidKeyType, Codec>> = Object.freeze({
  Ed25519: codec('Ed25519', 0xed, 32),
  X25519: codec('X25519', 0xec, 32),
  'P-256': codec('P-256', 0x1200, 33),
  'P-384': codec('P-384', 0x1201, 49),
  'P-521': codec('P-521', 0x1202, 67),
  secp256k1: codec('secp256k1', 0xe7, 33),
})

const CODECS_BY_CODE: ReadonlyMap<number, Codec> = new Map(Object.values(CODECS).map((c) => [c.code, c]))

const EC_CURVES: Readonly<Record<'P-256' | 'P-384' | 'P-521' | 'secp256k1', EcCurve>> = Object.freeze({
  'P-256': {
    crv: 'P-256',
    size: 32,
    alg: 'ES256',
    uncompress: (b) => p256.Point.fromBytes(b).toBytes(false),
    compress: (b) => p256.Point.fromBytes(b).toBytes(true),
  },
  'P-384': {
    crv: 'P-384',
    size: 48,
    alg: 'ES384',
    uncompress: (b) => p384.Point.fromBytes(b).toBytes(false),
    compress: (b) => p384.Point.fromBytes(b).toBytes(true),
  },
  'P-521': {
    crv: 'P-521',
    size: 66,
    alg: 'ES512',
    uncompress: (b) => p521.Point.fromBytes(b).toBytes(false),
    compress: (b) => p521.Point.fromBytes(b).toBytes(true),
  },
  secp256k1: {
    crv: 'secp256k1',
    size: 32,
    alg: 'ES256K',
    uncompress: (b) => secp256k1.Point.fromBytes(b).toBytes(false),
    compress: (b) => secp256k1.Point.fromBytes(b).toBytes(true),
  },
})

const Fp25519 = ed25519.Point.Fp

/** A key whose encoding has been checked, with what the check computed (so nothing is decoded twice). */
interface CheckedKey {
  readonly keyType: DidKeyType
  readonly publicKey: Uint8Array
  /** Ed25519: the y coordinate of the point. */
  readonly edwardsY?: bigint
  /** EC: the uncompressed SEC1 point, 0x04 || x || y. */
  readonly uncompressed?: Uint8Array
}

interface DecodedDidKey extends CheckedKey {
  readonly did: string
  readonly multibaseValue: string
}

type ErrorFactory = (message: string, cause?: unknown) => TesseraError

const didInvalid: ErrorFactory = (message, cause) =>
  new IdentityError('ERR_DID_INVALID', message, cause === undefined ? undefined : { cause })

const inputInvalid: ErrorFactory = (message, cause) =>
  new InputError('ERR_INPUT_INVALID', message, cause === undefined ? undefined : { cause })

/** A short, escaped rendering of untrusted input for error messages. */
function show(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'string' ? show(value) : `a value of type ${typeof value}`
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/**
 * Check that `publicKey` is a proper encoding of a `keyType` key (did:key v0.9 "Signature Method
 * Creation Algorithm" steps 3-4: `invalidPublicKeyLength`, `invalidPublicKey`), and canonical, so that
 * one key has exactly one did:key.
 */
function checkKey(keyType: DidKeyType, publicKey: Uint8Array, fail: ErrorFactory, name: string): CheckedKey {
  const expected = CODECS[keyType].length
  if (publicKey.length !== expected) {
    throw fail(`"${name}" must hold a ${expected}-byte ${keyType} public key, got ${publicKey.length} bytes`)
  }
  switch (keyType) {
    case 'Ed25519': {
      let point: ReturnType<typeof ed25519.Point.fromBytes>
      try {
        // RFC 8032 §5.1.3 decoding, strict: rejects y >= p and x = 0 with the sign bit set.
        point = ed25519.Point.fromBytes(publicKey)
      } catch (cause) {
        throw fail(`"${name}" is not a valid Ed25519 public key (RFC 8032 §5.1.3 decoding fails)`, cause)
      }
      // A small-order key (the identity among them) lets anyone forge signatures, and has no X25519 image.
      // [8]P = O, by three doublings: what point.isSmallOrder() checks, without its window precomputation.
      if (point.double().double().double().is0()) {
        throw fail(`"${name}" is a small-order Ed25519 point, not a usable public key`)
      }
      return { keyType, publicKey, edwardsY: point.y }
    }
    case 'X25519': {
      // RFC 7748 §5: u is little-endian and X25519 reduces values >= p (and the top bit) mod p, so such
      // encodings would be a second DID for the same key.
      const le = Buffer.from(publicKey).reverse().toString('hex')
      if (BigInt(`0x${le}`) >= Fp25519.ORDER) {
        throw fail(`"${name}" is a non-canonical X25519 public key (u >= p)`)
      }
      return { keyType, publicKey }
    }
    default: {
      // did:key v0.9 "Signature Method Creation Algorithm" table: EC keys are compressed SEC1 points
      // (SEC 1 v2 §2.3.3), 0x02 or 0x03 || x; the point must be on the curve (fromBytes checks).
      if (publicKey[0] !== 0x02 && publicKey[0] !== 0x03) {
        throw fail(`"${name}" must be a compressed ${keyType} point (first byte 0x02 or 0x03)`)
      }
      try {
        return { keyType, publicKey, uncompressed: EC_CURVES[keyType].uncompress(publicKey) }
      } catch (cause) {
        throw fail(`"${name}" is not a point on ${keyType}`, cause)
      }
    }
  }
}

/** Check the DID syntax without decoding; returns the multibase value. */
function checkDidSyntax(did: unknown, name: string): string {
  if (typeof did !== 'string') throw didInvalid(`"${name}" must be a string, got ${describe(did)}`)
  if (did.length > MAX_DID_KEY_LENGTH) {
    throw didInvalid(`"${name}" must be at most ${MAX_DID_KEY_LENGTH} characters, got ${did.length}`)
  }
  if (!did.startsWith(DID_KEY_PREFIX)) {
    const method = DID_METHOD.exec(did)?.[1]
    if (method !== undefined) {
      throw new IdentityError(
        'ERR_DID_METHOD_NOT_SUPPORTED',
        `"${name}" uses the did:${method} method; only did:key is supported here`,
      )
    }
    throw didInvalid(`"${name}" must be a DID of the form did:key:z..., got ${show(did)}`)
  }
  const multibaseValue = did.slice(DID_KEY_PREFIX.length)
  if (multibaseValue.includes(':')) {
    // did:key v0.9 "Document Creation Algorithm" step 2 allows did:key:<version>:<mb-value>; we take only the
    // canonical three-part form so that a key has exactly one DID (no aliases in trust lists).
    throw didInvalid(
      `"${name}" must be did:key:<multibase value> without a version segment, got ${show(did)}`,
    )
  }
  if (multibaseValue[0] !== 'z') {
    // did:key v0.9 "Document Creation Algorithm" step 3: the multibase value MUST begin with "z".
    throw didInvalid(`"${name}" must have a base58btc multibase value starting with "z", got ${show(did)}`)
  }
  if (!MULTIBASE_VALUE.test(multibaseValue)) {
    const hint = /[#?/]/.test(multibaseValue) ? ' (a DID URL is not a DID)' : ''
    throw didInvalid(`"${name}" must be "z" followed by base58btc characters${hint}, got ${show(did)}`)
  }
  return multibaseValue
}

/** did:key v0.9 "Decode Public Key Algorithm", then the checks of "Signature Method Creation Algorithm". */
function decodeDidKey(did: unknown, name: string): DecodedDidKey {
  const multibaseValue = checkDidSyntax(did, name)
  const value = did as string
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(multibaseValue)
  } catch (cause) {
    throw didInvalid(`"${name}" has an undecodable base58btc value, got ${show(value)}`, cause)
  }
  let header: [code: number, length: number]
  try {
    header = varint.decode(bytes)
  } catch (cause) {
    throw didInvalid(`"${name}" has a truncated multicodec header, got ${show(value)}`, cause)
  }
  const [code, headerLength] = header
  const codec = CODECS_BY_CODE.get(code)
  // Header bytes must be the minimal varint, so one key has one encoding.
  if (codec === undefined || headerLength !== codec.header.length) {
    const supported = Object.values(CODECS)
      .map((c) => `0x${c.code.toString(16)} (${c.keyType})`)
      .join(', ')
    throw didInvalid(
      `"${name}" has unsupported multicodec 0x${code.toString(16)} (${headerLength}-byte varint); expected one of ${supported}`,
    )
  }
  const checked = checkKey(codec.keyType, bytes.subarray(headerLength), didInvalid, name)
  return { ...checked, did: value, multibaseValue }
}

function isDidKeyType(value: unknown): value is DidKeyType {
  return typeof value === 'string' && Object.hasOwn(CODECS, value)
}

function toParsed(decoded: DecodedDidKey): ParsedDidKey {
  return {
    did: decoded.did,
    multibaseValue: decoded.multibaseValue,
    keyType: decoded.keyType,
    publicKey: decoded.publicKey.slice(),
  }
}

/** Split a DID URL into the DID and its fragment; the fragment must be the DID's own key. */
function didOfDidUrl(didUrl: unknown, name: string): string {
  if (typeof didUrl !== 'string') throw didInvalid(`"${name}" must be a string, got ${describe(didUrl)}`)
  if (didUrl.length > MAX_DID_KEY_LENGTH) {
    throw didInvalid(`"${name}" must be at most ${MAX_DID_KEY_LENGTH} characters, got ${didUrl.length}`)
  }
  const hash = didUrl.indexOf('#')
  if (hash === -1) return didUrl
  const did = didUrl.slice(0, hash)
  const multibaseValue = checkDidSyntax(did, name)
  // did:key has one signing verification method, `<did>#<multibaseValue>` (did:key v0.9 "Signature
  // Method Creation Algorithm" step 5).
  if (didUrl.slice(hash + 1) !== multibaseValue) {
    throw didInvalid(
      `"${name}" must have the fragment #${multibaseValue.slice(0, 64)} (the DID's own key), got ${show(didUrl)}`,
    )
  }
  return did
}

/**
 * Decode and validate a did:key DID.
 *
 * Implements did:key v0.9 "did:key Identifier Syntax", "Document Creation Algorithm" steps 2-3, "Decode
 * Public Key Algorithm" and the checks of "Signature Method Creation Algorithm": `did:key:` + `z` +
 * base58btc of the multicodec varint header and the raw public key, the key length checked per codec and
 * the key checked to be a canonical, valid point. The `did:key:<version>:...` form is refused.
 *
 * @param did - The DID, untrusted; at most {@link MAX_DID_KEY_LENGTH} characters.
 * @returns The key type and raw public key.
 * @throws IdentityError `ERR_DID_METHOD_NOT_SUPPORTED` for another DID method, `ERR_DID_INVALID` for
 *   anything else that is not a valid did:key (including a DID URL: see {@link parseDidKeyUrl}).
 */
export function parseDidKey(did: string): ParsedDidKey {
  return toParsed(decodeDidKey(did, 'did'))
}

/**
 * Decode a did:key DID URL whose fragment names the DID's own key, `did:key:z6Mk...#z6Mk...` (a bare DID
 * is accepted too). Any other fragment, including the X25519 key agreement key derived from an Ed25519
 * DID, is refused: this is for finding a signing key.
 *
 * @param didUrl - The DID URL (for example a JWS `kid`), untrusted.
 * @returns The DID the URL belongs to, decoded as by {@link parseDidKey}.
 * @throws IdentityError as {@link parseDidKey}; `ERR_DID_INVALID` when the fragment is not the DID's key.
 */
export function parseDidKeyUrl(didUrl: string): ParsedDidKey {
  return toParsed(decodeDidKey(didOfDidUrl(didUrl, 'didUrl'), 'didUrl'))
}

/**
 * Encode a public key as a did:key (the inverse of {@link parseDidKey}).
 *
 * @param options.keyType - The key type.
 * @param options.publicKey - Raw key: 32 bytes for Ed25519/X25519; for the EC types a compressed or
 *   uncompressed SEC1 point (the DID always carries the compressed form: did:key v0.9 "Signature
 *   Method Creation Algorithm" table).
 * @returns `did:key:z...`.
 * @throws InputError `ERR_INPUT_INVALID` for an unknown key type or a key that is not valid for it.
 */
export function didKeyFromPublicKey(options: { keyType: DidKeyType; publicKey: Uint8Array }): string {
  const keyType: unknown = options?.keyType
  const publicKey: unknown = options?.publicKey
  if (!isDidKeyType(keyType)) {
    throw inputInvalid(`"keyType" must be one of ${Object.keys(CODECS).join(', ')}, got ${describe(keyType)}`)
  }
  if (!(publicKey instanceof Uint8Array)) {
    throw inputInvalid(`"publicKey" must be a Uint8Array, got ${describe(publicKey)}`)
  }
  let key = publicKey
  if (keyType !== 'Ed25519' && keyType !== 'X25519' && publicKey[0] === 0x04) {
    try {
      key = EC_CURVES[keyType].compress(publicKey)
    } catch (cause) {
      throw inputInvalid(`"publicKey" is not a point on ${keyType}`, cause)
    }
  }
  checkKey(keyType, key, inputInvalid, 'publicKey')
  return `${DID_KEY_PREFIX}${encodeMultibase(CODECS[keyType], key)}`
}

function encodeMultibase(codec: Codec, key: Uint8Array): string {
  const bytes = new Uint8Array(codec.header.length + key.length)
  bytes.set(codec.header, 0)
  bytes.set(key, codec.header.length)
  return base58btc.encode(bytes)
}

function jwkOf(key: CheckedKey): JsonWebKey {
  switch (key.keyType) {
    case 'Ed25519':
    case 'X25519':
      // RFC 8037 §2: OKP keys carry the raw public key in "x".
      return { kty: 'OKP', crv: key.keyType, x: base64url(key.publicKey) }
    default: {
      // RFC 7518 §6.2.1: fixed-width big-endian coordinates, decompressed (did:key "Encode JWK Algorithm").
      const { crv, size, uncompress } = EC_CURVES[key.keyType]
      const point = key.uncompressed ?? uncompress(key.publicKey)
      return {
        kty: 'EC',
        crv,
        x: base64url(point.subarray(1, 1 + size)),
        y: base64url(point.subarray(1 + size)),
      }
    }
  }
}

/**
 * The public JWK of a did:key (did:key v0.9 "Encode JWK Algorithm"): `OKP` for Ed25519/X25519
 * (RFC 8037), `EC` with the decompressed `x` and `y` for the others (RFC 7518 §6.2.1, RFC 8812 for
 * secp256k1). Never contains `d`.
 *
 * @param key - A {@link ParsedDidKey}, or any `{ keyType, publicKey }` in the same raw form; re-validated.
 * @returns A fresh JWK.
 * @throws InputError `ERR_INPUT_INVALID` when `key` is not a valid key of its type.
 */
export function publicKeyJwk(key: Pick<ParsedDidKey, 'keyType' | 'publicKey'>): JsonWebKey {
  const keyType: unknown = key?.keyType
  const publicKey: unknown = key?.publicKey
  if (!isDidKeyType(keyType)) {
    throw inputInvalid(`"keyType" must be one of ${Object.keys(CODECS).join(', ')}, got ${describe(keyType)}`)
  }
  if (!(publicKey instanceof Uint8Array)) {
    throw inputInvalid(`"publicKey" must be a Uint8Array, got ${describe(publicKey)}`)
  }
  return jwkOf(checkKey(keyType, publicKey, inputInvalid, 'publicKey'))
}

/** A bounded least-recently-used map. */
class BoundedCache<V> {
  readonly #max: number
  readonly #entries = new Map<string, V>()

  constructor(max: number) {
    this.#max = max
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
  }

  clear(): void {
    this.#entries.clear()
  }
}

const documentCache = new BoundedCache<DidDocument>(DID_KEY_CACHE_SIZE)
const verificationKeyCache = new BoundedCache<VerificationKey>(DID_KEY_CACHE_SIZE)

/**
 * Empty the caches behind {@link resolveDidKey} and {@link verificationKey} (for benchmarks and tests;
 * entries never go stale, since a did:key document is a pure function of the DID).
 */
export function clearDidKeyCache(): void {
  documentCache.clear()
  verificationKeyCache.clear()
}

function multikey(did: string, publicKeyMultibase: string): MultikeyVerificationMethod {
  return Object.freeze({
    id: `${did}#${publicKeyMultibase}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase,
  })
}

/** The birational map of RFC 7748 §4.1, u = (1 + y) / (1 - y); y != 1 as small-order keys are refused. */
function x25519FromEdwardsY(y: bigint): Uint8Array {
  return Fp25519.toBytes(Fp25519.div(Fp25519.add(Fp25519.ONE, y), Fp25519.sub(Fp25519.ONE, y)))
}

function buildDocument(key: DecodedDidKey): DidDocument {
  const { did } = key
  const vm = multikey(did, key.multibaseValue)
  const verificationMethod = Object.freeze([vm])
  if (key.keyType === 'X25519') {
    // An X25519 key cannot sign: only keyAgreement (as in the spec's x25519 test vectors).
    return Object.freeze({
      '@context': CONTEXT,
      id: did,
      verificationMethod,
      keyAgreement: Object.freeze([vm.id]),
    })
  }
  const ref = (): readonly string[] => Object.freeze([vm.id])
  const signing = {
    '@context': CONTEXT,
    id: did,
    verificationMethod,
    authentication: ref(),
    assertionMethod: ref(),
    capabilityDelegation: ref(),
    capabilityInvocation: ref(),
  }
  if (key.keyType !== 'Ed25519' || key.edwardsY === undefined) return Object.freeze(signing)
  // did:key v0.9 "Encryption Method Creation Algorithm" / "Derive Encryption Key Algorithm": the X25519
  // key derived from the Ed25519 key, embedded in keyAgreement as the spec's "Ed25519 with X25519" example does.
  const x25519 = encodeMultibase(CODECS.X25519, x25519FromEdwardsY(key.edwardsY))
  return Object.freeze({ ...signing, keyAgreement: Object.freeze([multikey(did, x25519)]) })
}

/**
 * Resolve a did:key to its DID document (did:key v0.9 "Document Creation Algorithm", "Read").
 *
 * - Every key is expressed as a `Multikey` whose `publicKeyMultibase` is the DID's own multibase value
 *   (`publicKeyFormat` = `Multikey`). No `publicKeyJwk` is added beside it: DID Core v1.0 §5.2.1 forbids
 *   two verification material properties for the same key (use {@link publicKeyJwk} instead).
 * - `@context` is `["https://www.w3.org/ns/did/v1.1"]`, as in the spec's current example.
 * - Ed25519: the signing method is listed under authentication, assertionMethod, capabilityDelegation
 *   and capabilityInvocation, and keyAgreement embeds the derived X25519 `Multikey` ("Derive Encryption
 *   Key Algorithm", the birational map of RFC 7748 §4.1).
 * - P-256, P-384, P-521, secp256k1: the same four relationships and no keyAgreement, since the spec
 *   derives an encryption key only from Ed25519 ("Derive Encryption Key Algorithm" handles only 0xed;
 *   the 2025-03 test vectors still listed the signing key under keyAgreement).
 * - X25519: the method is listed under keyAgreement only.
 *
 * Results are cached (least recently used, {@link DID_KEY_CACHE_SIZE}) and deeply frozen.
 *
 * @param did - The DID (not a DID URL), untrusted.
 * @returns The deeply frozen DID document.
 * @throws IdentityError as {@link parseDidKey}.
 */
export function resolveDidKey(did: string): DidDocument {
  const cached = documentCache.get(did)
  if (cached !== undefined) return cached
  const key = decodeDidKey(did, 'did')
  const document = buildDocument(key)
  documentCache.set(key.did, document)
  return document
}

/** A Set that refuses changes after construction, so a cached value cannot be altered by a caller. */
class FrozenSet<T> extends Set<T> {
  constructor(values: readonly T[]) {
    super()
    for (const value of values) super.add(value)
    Object.freeze(this)
  }

  override add(): this {
    throw new TypeError('this set is read-only')
  }

  override delete(): boolean {
    throw new TypeError('this set is read-only')
  }

  override clear(): void {
    throw new TypeError('this set is read-only')
  }
}

const SIGNING_RELATIONSHIP_SET: ReadonlySet<VerificationRelationship> = new FrozenSet(SIGNING_RELATIONSHIPS)

/** The cache key of a DID or signing-key DID URL: the DID. Anything else cannot be in the cache. */
function verificationKeyCacheKey(kidOrDid: string): string {
  const hash = typeof kidOrDid === 'string' ? kidOrDid.indexOf('#') : -1
  if (hash === -1) return kidOrDid
  const did = kidOrDid.slice(0, hash)
  return kidOrDid.slice(hash + 1) === did.slice(DID_KEY_PREFIX.length) ? did : kidOrDid
}

/**
 * The signing key of a did:key, for a JWS verifier: its `alg`, an imported `KeyObject` and the
 * relationships it is listed under (the four of {@link resolveDidKey}). Cached per DID (least recently
 * used, {@link DID_KEY_CACHE_SIZE}), so repeated verification never decodes or imports the key again.
 *
 * @param kidOrDid - A DID, or a DID URL whose fragment is the DID's multibase value (a JWS `kid`).
 * @returns The frozen verification key.
 * @throws IdentityError as {@link parseDidKeyUrl}; `ERR_DID_INVALID` also for an X25519 DID, which
 *   has no signing key.
 */
export function verificationKey(kidOrDid: string): VerificationKey {
  const cacheKey = verificationKeyCacheKey(kidOrDid)
  const cached = verificationKeyCache.get(cacheKey)
  if (cached !== undefined) return cached
  const key = decodeDidKey(didOfDidUrl(kidOrDid, 'kidOrDid'), 'kidOrDid')
  if (key.keyType === 'X25519') {
    throw didInvalid(`"kidOrDid" is an X25519 did:key, which is for key agreement and cannot sign`)
  }
  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({ key: jwkOf(key), format: 'jwk' })
  } catch (cause) {
    throw didInvalid(`"kidOrDid" holds a key that node:crypto cannot import`, cause)
  }
  const alg = key.keyType === 'Ed25519' ? 'EdDSA' : EC_CURVES[key.keyType].alg
  const result: VerificationKey = Object.freeze({
    did: key.did,
    vmId: `${key.did}#${key.multibaseValue}`,
    keyType: key.keyType,
    alg,
    keyObject,
    relationships: SIGNING_RELATIONSHIP_SET,
  })
  verificationKeyCache.set(key.did, result)
  return result
}

const DID_LD_JSON = 'application/did+ld+json'
const DID_JSON = 'application/did+json'

/** A DID Resolution result (DID Resolution, "DID Resolution Result") with an error and no document. */
function resolutionError(error: string, message: string): DIDResolutionResult {
  return { didResolutionMetadata: { error, message }, didDocument: null, didDocumentMetadata: {} }
}

const resolveForDidResolver: DIDResolver = async (did, _parsed, _resolver, options) => {
  const accept: unknown = options?.accept
  if (accept !== undefined && accept !== DID_LD_JSON && accept !== DID_JSON) {
    return resolutionError('representationNotSupported', `accept must be ${DID_LD_JSON} or ${DID_JSON}`)
  }
  let document: DidDocument
  try {
    document = resolveDidKey(did)
  } catch (err) {
    if (err instanceof TesseraError && err.code === 'ERR_DID_METHOD_NOT_SUPPORTED') {
      return resolutionError('methodNotSupported', err.message)
    }
    if (err instanceof TesseraError && err.code === 'ERR_DID_INVALID') {
      return resolutionError('invalidDid', err.message)
    }
    return resolutionError('internalError', err instanceof Error ? err.message : String(err))
  }
  return {
    didResolutionMetadata: { contentType: accept === DID_JSON ? DID_JSON : DID_LD_JSON },
    // The document is deeply frozen; did-resolver's types merely spell its arrays as mutable.
    didDocument: document as unknown as DIDDocument,
    didDocumentMetadata: {},
  }
}

/**
 * A did-resolver `ResolverRegistry` entry for did:key, backed by {@link resolveDidKey}:
 * `new Resolver({ ...getDidKeyResolver() })`. It never rejects: failures are DID Resolution results with
 * `didResolutionMetadata.error` set to `invalidDid` or `methodNotSupported` (and a `message`), the error
 * values of DID Resolution "DID Resolution Metadata". Success has `contentType` `application/did+ld+json` (or `application/did+json`
 * when that is what `accept` asks for; any other `accept` gives `representationNotSupported`).
 *
 * @returns `{ key: DIDResolver }`.
 */
export function getDidKeyResolver(): Record<string, DIDResolver> {
  return { key: resolveForDidResolver }
}
