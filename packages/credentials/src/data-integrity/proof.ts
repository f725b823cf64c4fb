/// <reference path="./vendor.d.ts" />
/**
 * The verifier side of `eddsa-rdfc-2022` (VC Data Integrity EdDSA Cryptosuites v1.0 §3.2) on plain data:
 * read and check a `DataIntegrityProof`, compute the hash data with Digital Bazaar's RDFC-1.0 canonicalization,
 * and check the Ed25519 signature with node:crypto on the did:key's cached `KeyObject`.
 *
 * Why not `@digitalbazaar/vc` `verifyCredential` here: it resolves the verification method and its controller
 * document through the loader and imports the key for every proof, and reports failures as free-text errors;
 * Tessera resolves did:key once (cached `KeyObject`s from `@tessera/identity/did-key`), checks the proof
 * purpose against the DID document's relationships itself and gives each rule a stable code. The bytes that are
 * signed and verified are the library's (its `canonize`, the spec's SHA-256 hashes), and the interop tests check
 * both ways against Digital Bazaar's own issue and verify.
 *
 * Loads no Veramo and no database, so `@tessera/credentials/offline` can use it.
 */
import { createHash, verify as cryptoVerify } from 'node:crypto'
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { IdentityError, TesseraError, VerificationError, type VerificationErrorCode } from '@tessera/core'
import { type VerificationKey, verificationKey } from '@tessera/identity/did-key'
import { base58btc } from 'multiformats/bases/base58'
import { parseDateTimeStamp } from '../claims.js'
import { describeValue, getOwn, isJsonObject } from '../limits.js'
import { contextLoader, type DocumentLoader } from './document-loader.js'

/** VC Data Integrity 1.0 §2.1: the proof type of every Data Integrity cryptosuite. */
export const DATA_INTEGRITY_PROOF_TYPE = 'DataIntegrityProof'
/** VC Data Integrity EdDSA Cryptosuites v1.0 §3.2: the one cryptosuite Tessera accepts. */
export const EDDSA_RDFC_2022 = 'eddsa-rdfc-2022'

/** The proof purposes Tessera uses (VC Data Integrity 1.0 §2.2; DID Core 1.0 §5.3 relationships). */
export type ProofPurpose = 'assertionMethod' | 'authentication'

/** A `DataIntegrityProof` whose members have the types VC Data Integrity 1.0 §2.1 requires. */
export interface DataIntegrityProofValue {
  type: typeof DATA_INTEGRITY_PROOF_TYPE
  cryptosuite: typeof EDDSA_RDFC_2022
  verificationMethod: string
  proofPurpose: string
  /** The multibase base58btc `proofValue`, decoded: a 64-byte Ed25519 signature. */
  signature: Uint8Array
  created: string | undefined
  expires: string | undefined
  challenge: string | undefined
  domain: string | string[] | undefined
  /** The proof as it appears in the document. */
  raw: Record<string, unknown>
}

/** Longest accepted `proofValue`: a 64-byte signature is at most 88 base58 characters plus the multibase `z`. */
const MAX_PROOF_VALUE_LENGTH = 96
const ED25519_SIGNATURE_LENGTH = 64

function malformed(message: string): VerificationError {
  return new VerificationError('ERR_PROOF_MALFORMED', message)
}

function optionalString(proof: Record<string, unknown>, name: string): string | undefined {
  const value = getOwn(proof, name)
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) {
    throw malformed(`proof "${name}" must be a non-empty string, got ${describeValue(value)}`)
  }
  return value
}

function optionalDateTime(proof: Record<string, unknown>, name: string): string | undefined {
  const value = optionalString(proof, name)
  if (value !== undefined && parseDateTimeStamp(value) === undefined) {
    throw malformed(`proof "${name}" must be an XML Schema dateTimeStamp, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Read the one `proof` of a secured document and check its members (VC Data Integrity 1.0 §2.1, §4.4 "Verify
 * Proof" steps 1-3; eddsa-rdfc-2022 §3.2.2): `type` `DataIntegrityProof` and `cryptosuite` `eddsa-rdfc-2022`
 * (the allow-list), a string `verificationMethod` and `proofPurpose`, `created`/`expires` dateTimeStamps when
 * present, `challenge` a string, `domain` a string or array of strings, and `proofValue` a multibase base58btc
 * (`z`) 64-byte signature. A proof set or chain (several proofs) is not accepted.
 *
 * @throws VerificationError `ERR_PROOF_CRYPTOSUITE` for another proof type or cryptosuite, `ERR_PROOF_MALFORMED`
 *   for anything else.
 */
export function readDataIntegrityProof(document: Record<string, unknown>): DataIntegrityProofValue {
  const value = getOwn(document, 'proof')
  if (Array.isArray(value)) {
    throw malformed(
      `"proof" must be one proof; proof sets and chains are not accepted (${value.length} given)`,
    )
  }
  if (!isJsonObject(value)) throw malformed(`"proof" must be an object, got ${describeValue(value)}`)
  const type = getOwn(value, 'type')
  const suite = getOwn(value, 'cryptosuite')
  if (type !== DATA_INTEGRITY_PROOF_TYPE || suite !== EDDSA_RDFC_2022) {
    throw new VerificationError(
      'ERR_PROOF_CRYPTOSUITE',
      `only ${DATA_INTEGRITY_PROOF_TYPE} with cryptosuite ${EDDSA_RDFC_2022} is accepted, got type ${describeValue(type)}, cryptosuite ${describeValue(suite)}`,
    )
  }
  const verificationMethod = optionalString(value, 'verificationMethod')
  if (verificationMethod === undefined) throw malformed('proof has no "verificationMethod"')
  const proofPurpose = optionalString(value, 'proofPurpose')
  if (proofPurpose === undefined) throw malformed('proof has no "proofPurpose"')
  const created = optionalDateTime(value, 'created')
  const expires = optionalDateTime(value, 'expires')
  const challenge = optionalString(value, 'challenge')
  const domainValue = getOwn(value, 'domain')
  let domain: string | string[] | undefined
  if (domainValue === undefined) domain = undefined
  else if (typeof domainValue === 'string' && domainValue.length > 0) domain = domainValue
  else if (
    Array.isArray(domainValue) &&
    domainValue.length > 0 &&
    domainValue.every((d): d is string => typeof d === 'string' && d.length > 0)
  ) {
    domain = domainValue
  } else {
    throw malformed(
      `proof "domain" must be a string or an array of strings, got ${describeValue(domainValue)}`,
    )
  }
  if (Object.hasOwn(value, 'previousProof'))
    throw malformed('proof chains ("previousProof") are not accepted')
  const context = getOwn(value, '@context')
  if (context !== undefined && JSON.stringify(context) !== JSON.stringify(getOwn(document, '@context'))) {
    throw malformed('proof "@context", when present, must be the document\'s "@context"')
  }
  const proofValue = getOwn(value, 'proofValue')
  if (typeof proofValue !== 'string' || proofValue.length > MAX_PROOF_VALUE_LENGTH || proofValue[0] !== 'z') {
    throw malformed(
      `proof "proofValue" must be a multibase base58btc ("z...") signature, got ${describeValue(proofValue)}`,
    )
  }
  const signature = decodeBase58btc(proofValue.slice(1))
  if (signature === undefined || signature.length !== ED25519_SIGNATURE_LENGTH) {
    throw malformed(`proof "proofValue" must encode a ${ED25519_SIGNATURE_LENGTH}-byte Ed25519 signature`)
  }
  return {
    type,
    cryptosuite: suite,
    verificationMethod,
    proofPurpose,
    signature,
    created,
    expires,
    challenge,
    domain,
    raw: value,
  }
}

/**
 * The proof purpose must be the one the verifier requires: `assertionMethod` for a credential,
 * `authentication` for a presentation (VC Data Integrity 1.0 §2.2 "Proof Purposes", §4.4 step 9).
 *
 * @throws VerificationError `ERR_PROOF_PURPOSE`.
 */
export function checkProofPurpose(proof: DataIntegrityProofValue, purpose: ProofPurpose): void {
  if (proof.proofPurpose !== purpose) {
    throw new VerificationError(
      'ERR_PROOF_PURPOSE',
      `proofPurpose must be ${purpose}, got ${describeValue(proof.proofPurpose)}`,
    )
  }
}

/**
 * The signing key a proof names: its `verificationMethod` must be a did:key DID URL whose fragment is the DID's
 * own Ed25519 key (`did:key:z6Mk...#z6Mk...`, a `Multikey`), listed in the DID document under the relationship
 * the proof purpose names (VC Data Integrity 1.0 §4.4 "Verification Method Binding"; DID Core 1.0 §5.3). The
 * key comes from `@tessera/identity/did-key`, resolved offline and cached.
 *
 * @throws IdentityError `ERR_DID_INVALID` / `ERR_DID_METHOD_NOT_SUPPORTED` for a VM that is not a did:key key;
 *   VerificationError `ERR_PROOF_CRYPTOSUITE` for a key that is not Ed25519, `ERR_PROOF_PURPOSE` when the key is
 *   not listed under `purpose`.
 */
export function proofVerificationKey(proof: DataIntegrityProofValue, purpose: ProofPurpose): VerificationKey {
  const vm = proof.verificationMethod
  if (!vm.includes('#')) {
    throw new IdentityError(
      'ERR_DID_INVALID',
      `verificationMethod ${describeValue(vm)} must be a DID URL with a fragment`,
    )
  }
  const key = verificationKey(vm)
  if (key.keyType !== 'Ed25519') {
    throw new VerificationError(
      'ERR_PROOF_CRYPTOSUITE',
      `${EDDSA_RDFC_2022} needs an Ed25519 key, ${key.did} is ${key.keyType}`,
    )
  }
  if (!key.relationships.has(purpose)) {
    throw new VerificationError('ERR_PROOF_PURPOSE', `${vm} is not an ${purpose} method of ${key.did}`)
  }
  return key
}

/**
 * The error a JSON-LD failure stands for: a Tessera error raised inside the loader (an unknown context,
 * `ERR_CONTEXT_UNKNOWN`) is found in the cause chain; everything else, including JSON-LD safe mode refusing a
 * term it would drop, is `ERR_JSONLD_INVALID`.
 */
export function jsonLdError(err: unknown, what: string): TesseraError {
  let cause: unknown = err
  for (let i = 0; i < 8 && cause instanceof Error; i++) {
    if (cause instanceof TesseraError) {
      return new VerificationError(asVerificationCode(cause.code), `${what}: ${cause.message}`, {
        cause: err,
      })
    }
    const details = (cause as { details?: { cause?: unknown } }).details
    cause = cause.cause ?? details?.cause
  }
  const event = (err as { details?: { event?: { code?: unknown; details?: Record<string, unknown> } } })
    ?.details?.event
  const reason =
    event === undefined
      ? err instanceof Error
        ? err.message
        : String(err)
      : `safe mode: ${String(event.code)}${event.details?.property === undefined ? '' : ` (${describeValue(event.details.property)})`}`
  return new VerificationError('ERR_JSONLD_INVALID', `${what} cannot be processed as JSON-LD: ${reason}`, {
    cause: err,
  })
}

function asVerificationCode(code: string): VerificationErrorCode {
  return code === 'ERR_CONTEXT_UNKNOWN' ? 'ERR_CONTEXT_UNKNOWN' : 'ERR_JSONLD_INVALID'
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** Most hash-data results {@link dataIntegrityHashData} keeps with `cache: true` (least recently used evicted). */
export const HASH_DATA_CACHE_SIZE = 1_000

const hashDataCache = new Map<string, Buffer>()

/** Empty the hash-data cache of {@link dataIntegrityHashData} (for benchmarks and tests). */
export function clearDataIntegrityCache(): void {
  hashDataCache.clear()
}

/**
 * The 64 bytes an eddsa-rdfc-2022 proof signs (eddsa-rdfc-2022 §3.2.3 "Transformation", §3.2.4 "Hashing",
 * §3.2.5 "Proof Configuration"): `SHA-256(RDFC-1.0(proof options)) || SHA-256(RDFC-1.0(unsecured document))`,
 * where the proof options are the proof without `proofValue`, under the document's `@context`. Both are
 * canonicalized with JSON-LD safe mode (a term that would be dropped is an error, not silently unsigned).
 * The default loader serves the bundled contexts only (not did:key documents: a DID is not a context).
 *
 * With `cache: true` and the default loader, the result is kept per exact input: the key is the SHA-256 of the
 * JSON serialization of the proof options and the document, and canonicalization is a pure function of that
 * text and of the bundled contexts, which never change. A verifier sees the same credential in presentation after
 * presentation (an agent presents its role credential every time); its RDF canonicalization, the cost of Data
 * Integrity, then runs once. Presentations, made fresh for each challenge, are not worth caching.
 *
 * @param options.document - The document without its `proof`.
 * @param options.proof - The proof options (a `proofValue` member is ignored).
 * @throws VerificationError `ERR_CONTEXT_UNKNOWN`, `ERR_JSONLD_INVALID`.
 */
export async function dataIntegrityHashData(options: {
  document: Record<string, unknown>
  proof: Record<string, unknown>
  documentLoader?: DocumentLoader
  cache?: boolean
}): Promise<Buffer> {
  const loader = options.documentLoader ?? contextLoader
  const { proofValue: _ignored, ...proofOptions } = options.proof
  const proofConfig = { ...proofOptions, '@context': getOwn(options.document, '@context') }
  let key: string | undefined
  if (options.cache === true && options.documentLoader === undefined) {
    // JSON.stringify escapes U+0000, so the separator cannot occur inside either text.
    key = createHash('sha256')
      .update(JSON.stringify(proofConfig))
      .update('\u0000')
      .update(JSON.stringify(options.document))
      .digest('base64')
    const cached = hashDataCache.get(key)
    if (cached !== undefined) {
      hashDataCache.delete(key)
      hashDataCache.set(key, cached)
      return Buffer.from(cached)
    }
  }
  const canonize = (input: Record<string, unknown>, what: string): Promise<string> =>
    cryptosuite.canonize(input, { documentLoader: loader, safe: true, base: null }).catch((err: unknown) => {
      throw jsonLdError(err, what)
    })
  const [proofCanon, documentCanon] = await Promise.all([
    canonize(proofConfig, 'the proof options'),
    canonize(options.document, 'the document'),
  ])
  const hashData = Buffer.concat([sha256(proofCanon), sha256(documentCanon)])
  if (key !== undefined) {
    hashDataCache.set(key, Buffer.from(hashData))
    if (hashDataCache.size > HASH_DATA_CACHE_SIZE) {
      const oldest = hashDataCache.keys().next()
      if (oldest.done !== true) hashDataCache.delete(oldest.value)
    }
  }
  return hashData
}

/** Check an Ed25519 signature over the hash data with the did:key's cached KeyObject (RFC 8032 §5.1.7). */
export function verifyProofSignature(
  key: VerificationKey,
  hashData: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return cryptoVerify(null, hashData, key.keyObject, signature)
  } catch {
    return false
  }
}

/** The document without its `proof` member (VC Data Integrity 1.0 §4.4 step 2, "unsecuredDocument"). */
export function withoutProof(document: Record<string, unknown>): Record<string, unknown> {
  const { proof: _proof, ...unsecured } = document
  return unsecured
}

/** Decode base58btc (draft-msporny-base58 §3) with multiformats' codec, or undefined when it is not base58btc. */
function decodeBase58btc(text: string): Uint8Array | undefined {
  try {
    return base58btc.baseDecode(text)
  } catch {
    return undefined
  }
}
