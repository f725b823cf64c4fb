import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { TesseraError } from '@tessera/core'
import { Resolver } from 'did-resolver'
import { getResolver as getKeyDidResolver } from 'key-did-resolver'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import {
  clearDidKeyCache,
  type DidDocument,
  type DidKeyType,
  didKeyFromPublicKey,
  getDidKeyResolver,
  MAX_DID_KEY_LENGTH,
  parseDidKey,
  parseDidKeyUrl,
  publicKeyJwk,
  resolveDidKey,
  verificationKey,
} from './did-key.js'

// ---------------------------------------------------------------------------------------------------
// Fixtures: the did:key spec's test vectors (see SOURCES.txt in that folder).

// The did:key spec's test vectors, copied verbatim into the repository (see test/vectors/did-key/SOURCES.txt).
const VECTORS =
  process.env.DID_KEY_VECTORS_DIR ?? fileURLToPath(new URL('../../../test/vectors/did-key', import.meta.url))
const readVector = (name: string): unknown => JSON.parse(readFileSync(join(VECTORS, name), 'utf8'))

interface VectorKey {
  id: string
  type: string
  controller: string
  publicKeyBase58?: string
  privateKeyBase58?: string
  publicKeyJwk?: JsonWebKey
  privateKeyJwk?: JsonWebKey
}
interface VectorDocument {
  id: string
  verificationMethod: VectorKey[]
  authentication?: string[]
  assertionMethod?: string[]
  capabilityInvocation?: string[]
  capabilityDelegation?: string[]
  keyAgreement?: (string | VectorKey)[]
}
interface Ed25519Vector {
  seed: string
  verificationKeyPair: VectorKey
  keyAgreementKeyPair: VectorKey
  didDocument: VectorDocument
}
interface EcVector {
  seed?: string
  verificationMethod?: VectorKey
  verificationKeyPair?: VectorKey
  didDocument: VectorDocument
}

const ED25519_VECTORS = readVector('did-key-spec-ed25519-x25519.json') as Record<string, Ed25519Vector>
const X25519_VECTORS = (
  readVector('did-key-spec-x25519.json') as { didDocument: Record<string, VectorDocument> }
).didDocument
const NIST_VECTORS = readVector('did-key-spec-nist-curves.json') as Record<string, EcVector>
const SECP256K1_VECTORS = readVector('did-key-spec-secp256k1.json') as Record<string, EcVector>
const HEAD_MULTIKEY_VECTOR = readVector('did-key-spec-HEAD-ed25519-x25519-multikey.json') as DidDocument

/** DIDs listed in the current spec (HEAD 2cc490c3), whose documents it renders at build time. */
const HEAD_SPEC_DIDS: Record<string, DidKeyType> = {
  'did:key:z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP': 'Ed25519',
  'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme': 'secp256k1',
  'did:key:zQ3shtxV1FrJfhqE1dvxYRcCknWNjHc3c5X1y3ZSoPDi2aur2': 'secp256k1',
  'did:key:zQ3shZc2QzApp2oymGvQbzP8eKheVshBHbU4ZYjeXqwSKEn6N': 'secp256k1',
  'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv': 'P-256',
  'did:key:z82LkvCwHNreneWpsgPEbV3gu1C6NFJEBg4srfJ5gdxEsMGRJUz2sG9FE42shbn2xkZJh54': 'P-384',
}

const ED_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const P256_DID = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv'
const X25519_DID = 'did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F'

// ---------------------------------------------------------------------------------------------------
// Helpers.

const rawBase58 = (value: string): Uint8Array => base58btc.baseDecode(value)
const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
const fromB64u = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64url'))
const bigFromB64u = (value: string): bigint =>
  BigInt(`0x${Buffer.from(value, 'base64url').toString('hex') || '0'}`)
const multibaseOf = (did: string): string => did.slice('did:key:'.length)
/** A vector's raw OKP/compressed key, whichever form (base58 or JWK) the vector uses. */
const vectorPublicKey = (key: VectorKey): Uint8Array =>
  key.publicKeyBase58 !== undefined ? rawBase58(key.publicKeyBase58) : fromB64u(key.publicKeyJwk?.x ?? '')
const vectorPrivateKey = (key: VectorKey): Uint8Array =>
  key.privateKeyBase58 !== undefined ? rawBase58(key.privateKeyBase58) : fromB64u(key.privateKeyJwk?.d ?? '')
/** Vector ids are either absolute or fragment-only. */
const absoluteId = (did: string, id: string): string => (id.startsWith('#') ? `${did}${id}` : id)
const fragmentOf = (id: string): string => id.slice(id.indexOf('#') + 1)

/** The `code` of the TesseraError `fn` throws; fails the test on any other outcome. */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return (err as TesseraError).code
  }
  throw new Error('expected a TesseraError, nothing was thrown')
}

/** A did:key made of arbitrary bytes after the `z` (header included), valid or not. */
const didOfBytes = (bytes: Uint8Array | number[]): string =>
  `did:key:${base58btc.encode(Uint8Array.from(bytes))}`

const HEADERS: Record<DidKeyType, number[]> = {
  Ed25519: [0xed, 0x01],
  X25519: [0xec, 0x01],
  'P-256': [0x80, 0x24],
  'P-384': [0x81, 0x24],
  'P-521': [0x82, 0x24],
  secp256k1: [0xe7, 0x01],
}

/** Sign with node:crypto, verify with the key `verificationKey` returns for `kid`. */
function signAndVerify(privateKey: KeyObject, kid: string): void {
  const key = verificationKey(kid)
  const data = Buffer.from(`tessera did:key test ${kid}`)
  const hash =
    key.alg === 'EdDSA'
      ? null
      : { ES256: 'sha256', ES256K: 'sha256', ES384: 'sha384', ES512: 'sha512' }[key.alg]
  const signature = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  expect(verify(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true)
  const tampered = Buffer.from(data)
  tampered[0] = (tampered[0] ?? 0) ^ 1
  expect(verify(hash, tampered, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false)
}

/** A node:crypto private key from our public JWK plus the private scalar/seed `d`. */
function privateKeyFor(did: string, d: Uint8Array): KeyObject {
  const jwk = publicKeyJwk(parseDidKey(did))
  return createPrivateKey({ key: { ...jwk, d: b64u(d) }, format: 'jwk' })
}

function expectDeepFrozen(value: unknown, path = 'value'): void {
  if (typeof value !== 'object' || value === null) return
  expect(Object.isFrozen(value), `${path} is frozen`).toBe(true)
  for (const [k, v] of Object.entries(value)) expectDeepFrozen(v, `${path}.${k}`)
}

/** The first compressed x (counting up from 1) that is not on `curve`, found with noble. */
function offCurvePoint(curve: { Point: { fromBytes(b: Uint8Array): unknown } }, size: number): Uint8Array {
  for (let x = 1n; ; x++) {
    const bytes = new Uint8Array(1 + size)
    bytes[0] = 0x02
    bytes.set(Buffer.from(x.toString(16).padStart(size * 2, '0'), 'hex'), 1)
    try {
      curve.Point.fromBytes(bytes)
    } catch {
      return bytes
    }
  }
}

/** Deterministic PRNG (mulberry32) for the fuzz loop. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------------------------------------------------------------------------------------------------

describe('did:key spec test vectors', () => {
  it('HEAD "Ed25519 with X25519" Multikey document deep-equals ours', () => {
    const document = resolveDidKey(HEAD_MULTIKEY_VECTOR.id)
    expect(document).toStrictEqual(HEAD_MULTIKEY_VECTOR)
    expect(JSON.parse(JSON.stringify(document))).toStrictEqual(HEAD_MULTIKEY_VECTOR)
  })

  it('parses every DID the HEAD spec lists', () => {
    for (const [did, keyType] of Object.entries(HEAD_SPEC_DIDS)) {
      expect(parseDidKey(did).keyType).toBe(keyType)
      expect(resolveDidKey(did).verificationMethod[0]?.publicKeyMultibase).toBe(multibaseOf(did))
    }
  })

  describe.each(Object.entries(ED25519_VECTORS))('Ed25519 %s', (did, vector) => {
    it('public key, derived X25519 key and relationships match the vector', () => {
      const parsed = parseDidKey(did)
      expect(parsed).toMatchObject({ did, multibaseValue: multibaseOf(did), keyType: 'Ed25519' })
      expect(parsed.publicKey).toEqual(vectorPublicKey(vector.verificationKeyPair))
      expect(ed25519.getPublicKey(Buffer.from(vector.seed, 'hex'))).toEqual(parsed.publicKey)

      const document = resolveDidKey(did)
      const agreement = document.keyAgreement?.[0]
      if (typeof agreement !== 'object') throw new Error('keyAgreement must embed the X25519 method')
      expect(agreement.id).toBe(absoluteId(did, vector.keyAgreementKeyPair.id))
      expect(agreement.type).toBe('Multikey')
      const x25519Key = parseDidKey(`did:key:${agreement.publicKeyMultibase}`)
      expect(x25519Key.keyType).toBe('X25519')
      expect(x25519Key.publicKey).toEqual(vectorPublicKey(vector.keyAgreementKeyPair))
      // The vector's X25519 private key matches the derived public key.
      expect(x25519.getPublicKey(vectorPrivateKey(vector.keyAgreementKeyPair))).toEqual(x25519Key.publicKey)

      const vm = `${did}#${multibaseOf(did)}`
      for (const relationship of [
        'authentication',
        'assertionMethod',
        'capabilityInvocation',
        'capabilityDelegation',
      ] as const) {
        expect(document[relationship]).toEqual(vector.didDocument[relationship])
        expect(document[relationship]).toEqual([vm])
      }
      expect(document.verificationMethod).toEqual([
        { id: vm, type: 'Multikey', controller: did, publicKeyMultibase: multibaseOf(did) },
      ])
      expect(publicKeyJwk(parsed)).toEqual({ kty: 'OKP', crv: 'Ed25519', x: b64u(parsed.publicKey) })
    })

    it('signs with the seed and verifies with verificationKey', () => {
      signAndVerify(privateKeyFor(did, Buffer.from(vector.seed, 'hex')), `${did}#${multibaseOf(did)}`)
    })
  })

  describe.each(Object.entries(X25519_VECTORS))('X25519 %s', (did, vectorDocument) => {
    it('public key matches and only keyAgreement is listed', () => {
      const parsed = parseDidKey(did)
      expect(parsed.keyType).toBe('X25519')
      const [vectorKey] = vectorDocument.verificationMethod
      if (vectorKey?.publicKeyBase58 !== undefined) {
        expect(parsed.publicKey).toEqual(rawBase58(vectorKey.publicKeyBase58))
      } else {
        expect(publicKeyJwk(parsed)).toEqual(vectorKey?.publicKeyJwk)
      }
      const document = resolveDidKey(did)
      expect(document.verificationMethod.map((vm) => vm.id)).toEqual(
        vectorDocument.verificationMethod.map((vm) => vm.id),
      )
      expect(document.keyAgreement).toEqual(vectorDocument.keyAgreement)
      expect(Object.keys(document).sort()).toEqual(['@context', 'id', 'keyAgreement', 'verificationMethod'])
    })
  })

  describe.each(Object.entries({ ...NIST_VECTORS, ...SECP256K1_VECTORS }))('EC %s', (did, vector) => {
    const vectorKey = vector.verificationMethod ?? vector.verificationKeyPair
    if (vectorKey === undefined) throw new Error(`vector ${did} has no key`)

    it('public key bytes / JWK x,y match the vector', () => {
      const parsed = parseDidKey(did)
      const jwk = publicKeyJwk(parsed)
      if (vectorKey.publicKeyJwk !== undefined) {
        const { kty, crv, x, y } = vectorKey.publicKeyJwk
        expect(jwk).toEqual({ kty, crv, x, y })
      }
      if (vectorKey.publicKeyBase58 !== undefined) {
        expect(parsed.publicKey).toEqual(rawBase58(vectorKey.publicKeyBase58))
      }
      expect(parsed.publicKey[0] === 0x02 || parsed.publicKey[0] === 0x03).toBe(true)
      expect(didKeyFromPublicKey(parsed)).toBe(did)

      const document = resolveDidKey(did)
      const vm = `${did}#${multibaseOf(did)}`
      expect(document.verificationMethod).toEqual([
        { id: vm, type: 'Multikey', controller: did, publicKeyMultibase: multibaseOf(did) },
      ])
      for (const relationship of [
        'authentication',
        'assertionMethod',
        'capabilityInvocation',
        'capabilityDelegation',
      ] as const) {
        expect(document[relationship]).toEqual(vector.didDocument[relationship])
      }
      // Decision: no keyAgreement for EC keys (the current spec derives one only from Ed25519).
      expect(document.keyAgreement).toBeUndefined()
    })

    it("signs with the vector's private key and verifies with verificationKey", () => {
      signAndVerify(privateKeyFor(did, vectorPrivateKey(vectorKey)), did)
      const expectedAlg = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', secp256k1: 'ES256K' }
      const { keyType } = parseDidKey(did)
      expect(verificationKey(did).alg).toBe(expectedAlg[keyType as keyof typeof expectedAlg])
    })
  })
})

describe('cross-check against key-did-resolver (key material only)', () => {
  const reference = new Resolver(getKeyDidResolver())
  const ecDids = Object.keys({ ...NIST_VECTORS, ...SECP256K1_VECTORS })
  const randomEd = Array.from({ length: 16 }, () =>
    didKeyFromPublicKey({
      keyType: 'Ed25519',
      publicKey: ed25519.getPublicKey(ed25519.utils.randomSecretKey()),
    }),
  )
  const randomP256 = Array.from({ length: 16 }, () =>
    didKeyFromPublicKey({ keyType: 'P-256', publicKey: p256.getPublicKey(p256.utils.randomSecretKey()) }),
  )

  it.each([
    ...Object.keys(ED25519_VECTORS),
    ...Object.keys(HEAD_SPEC_DIDS),
    ...ecDids,
    ...randomEd,
    ...randomP256,
  ])('%s', async (did) => {
    const theirs = await reference.resolve(did)
    expect(theirs.didResolutionMetadata.error).toBeUndefined()
    const theirKey = theirs.didDocument?.verificationMethod?.[0]
    const parsed = parseDidKey(did)
    if (theirKey?.publicKeyBase58 !== undefined) {
      expect(parsed.publicKey).toEqual(rawBase58(theirKey.publicKeyBase58))
    } else {
      // key-did-resolver writes coordinates without leading zero bytes: compare them as numbers.
      const ours = publicKeyJwk(parsed)
      expect(theirKey?.publicKeyJwk?.crv).toBe(ours.crv)
      expect(bigFromB64u(theirKey?.publicKeyJwk?.x ?? '')).toBe(bigFromB64u(ours.x ?? ''))
      expect(bigFromB64u(theirKey?.publicKeyJwk?.y ?? '')).toBe(bigFromB64u(ours.y ?? ''))
    }
    const theirAgreement = theirs.didDocument?.keyAgreement?.[0]
    if (parsed.keyType === 'Ed25519') {
      const ourAgreement = resolveDidKey(did).keyAgreement?.[0]
      if (typeof theirAgreement !== 'object' || typeof ourAgreement !== 'object') {
        throw new Error('no keyAgreement')
      }
      expect(fragmentOf(theirAgreement.id)).toBe(ourAgreement.publicKeyMultibase)
      expect(parseDidKey(`did:key:${ourAgreement.publicKeyMultibase}`).publicKey).toEqual(
        rawBase58(theirAgreement.publicKeyBase58 ?? ''),
      )
    }
  })
})

describe('round trip with node:crypto keys', () => {
  it('Ed25519: build, parse, sign, verify', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    const raw = fromB64u(publicKey.export({ format: 'jwk' }).x ?? '')
    const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: raw })
    expect(did).toMatch(/^did:key:z6Mk/)
    const parsed = parseDidKey(did)
    expect(parsed).toEqual({ did, multibaseValue: multibaseOf(did), keyType: 'Ed25519', publicKey: raw })
    const kid = `${did}#${multibaseOf(did)}`
    expect(parseDidKeyUrl(kid)).toEqual(parsed)
    signAndVerify(privateKey, kid)
    const key = verificationKey(kid)
    expect(key).toMatchObject({ did, vmId: kid, keyType: 'Ed25519', alg: 'EdDSA' })
    expect(key.keyObject.equals(publicKey)).toBe(true)
    expect([...key.relationships].sort()).toEqual([
      'assertionMethod',
      'authentication',
      'capabilityDelegation',
      'capabilityInvocation',
    ])
    expect(verificationKey(did)).toBe(key)
  })

  it.each([
    ['P-256', 'prime256v1', 'ES256', /^did:key:zDn/],
    ['P-384', 'secp384r1', 'ES384', /^did:key:z82/],
    ['P-521', 'secp521r1', 'ES512', /^did:key:z2J9/],
    ['secp256k1', 'secp256k1', 'ES256K', /^did:key:zQ3s/],
  ] as const)(
    '%s: build from the uncompressed point, parse, sign, verify',
    (keyType, namedCurve, alg, prefix) => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve })
      const jwk = publicKey.export({ format: 'jwk' })
      const uncompressed = Uint8Array.from([4, ...fromB64u(jwk.x ?? ''), ...fromB64u(jwk.y ?? '')])
      const did = didKeyFromPublicKey({ keyType, publicKey: uncompressed })
      expect(did).toMatch(prefix)
      const parsed = parseDidKey(did)
      expect(didKeyFromPublicKey(parsed)).toBe(did)
      expect(publicKeyJwk(parsed)).toEqual({ kty: 'EC', crv: keyType, x: jwk.x, y: jwk.y })
      signAndVerify(privateKey, `${did}#${multibaseOf(did)}`)
      expect(verificationKey(did).alg).toBe(alg)
      expect(verificationKey(did).keyObject.equals(publicKey)).toBe(true)
    },
  )

  it('X25519: build and resolve; it has no signing key', () => {
    const { publicKey } = generateKeyPairSync('x25519')
    const raw = fromB64u(publicKey.export({ format: 'jwk' }).x ?? '')
    const did = didKeyFromPublicKey({ keyType: 'X25519', publicKey: raw })
    expect(did).toMatch(/^did:key:z6LS/)
    expect(parseDidKey(did).publicKey).toEqual(raw)
    expect(publicKeyJwk(parseDidKey(did))).toEqual({ kty: 'OKP', crv: 'X25519', x: b64u(raw) })
    expect(resolveDidKey(did).keyAgreement).toEqual([`${did}#${multibaseOf(did)}`])
    expect(codeOf(() => verificationKey(did))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => verificationKey(`${did}#${multibaseOf(did)}`))).toBe('ERR_DID_INVALID')
  })

  it('the X25519 key derived from an Ed25519 DID agrees with the Ed25519 secret (ECDH)', () => {
    const edSecret = ed25519.utils.randomSecretKey()
    const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: ed25519.getPublicKey(edSecret) })
    const agreement = resolveDidKey(did).keyAgreement?.[0]
    if (typeof agreement !== 'object') throw new Error('no keyAgreement')
    const theirPublic = parseDidKey(`did:key:${agreement.publicKeyMultibase}`).publicKey
    const other = x25519.utils.randomSecretKey()
    expect(x25519.getSharedSecret(other, theirPublic)).toEqual(
      x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(edSecret), x25519.getPublicKey(other)),
    )
    expect(ed25519.utils.toMontgomery(ed25519.getPublicKey(edSecret))).toEqual(theirPublic)
  })
})

describe('malformed input', () => {
  const ed = parseDidKey(ED_DID)
  const p256Key = parseDidKey(P256_DID)

  it.each([
    ['hex multibase (f)', `did:key:f${Buffer.from([0xed, 0x01, ...ed.publicKey]).toString('hex')}`],
    ['base64url multibase (u)', `did:key:u${b64u(Uint8Array.from([0xed, 0x01, ...ed.publicKey]))}`],
    ['base58 "0"', `${ED_DID.slice(0, -1)}0`],
    ['base58 "O"', `${ED_DID.slice(0, -1)}O`],
    ['base58 "I"', `${ED_DID.slice(0, -1)}I`],
    ['base58 "l"', `${ED_DID.slice(0, -1)}l`],
    ['non-ASCII', `${ED_DID.slice(0, -1)}é`],
    ['whitespace', ` ${ED_DID}`],
    ['trailing newline', `${ED_DID}\n`],
    ['empty', ''],
    ['no method-specific id', 'did:key:'],
    ['only the multibase prefix', 'did:key:z'],
    ['version segment', `did:key:1:${multibaseOf(ED_DID)}`],
    ['version segment 0', `did:key:0:${multibaseOf(ED_DID)}`],
    ['upper-case scheme', ED_DID.replace('did:', 'DID:')],
    ['upper-case method', ED_DID.replace(':key:', ':KEY:')],
    ['not a DID', 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'],
    ['path', `${ED_DID}/path`],
    ['query', `${ED_DID}?service=x`],
    ['too long by one', `did:key:z${'1'.repeat(MAX_DID_KEY_LENGTH - 'did:key:z'.length + 1)}`],
    ['huge', `did:key:z${'2'.repeat(1_000_000)}`],
    ['unknown multicodec 0x1205 (rsa-pub)', didOfBytes([0x85, 0x24, ...ed.publicKey])],
    ['unknown multicodec 0xe8 (bls12_381-g1-pub)', didOfBytes([0xe8, 0x01, ...ed.publicKey])],
    ['multicodec 0', didOfBytes([0x00, ...ed.publicKey])],
    ['truncated varint', didOfBytes([0x80])],
    ['single byte', didOfBytes([0xed])],
    ['non-minimal varint for 0xed', didOfBytes([0xed, 0x81, 0x00, ...ed.publicKey])],
    ['header only', didOfBytes([0xed, 0x01])],
    ['Ed25519 key truncated', didOfBytes([0xed, 0x01, ...ed.publicKey.subarray(0, 31)])],
    ['Ed25519 key extended', didOfBytes([0xed, 0x01, ...ed.publicKey, 0])],
    ['P-256 key truncated', didOfBytes([0x80, 0x24, ...p256Key.publicKey.subarray(0, 32)])],
    ['P-256 key extended', didOfBytes([0x80, 0x24, ...p256Key.publicKey, 0])],
    ['P-384 codec with a P-256 key', didOfBytes([0x81, 0x24, ...p256Key.publicKey])],
    ['X25519 key truncated', didOfBytes([0xec, 0x01, ...new Uint8Array(31)])],
  ])('%s -> ERR_DID_INVALID', (_, did) => {
    expect(codeOf(() => parseDidKey(did))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => resolveDidKey(did))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => verificationKey(did))).toBe('ERR_DID_INVALID')
  })

  it.each([
    ['P-256', p256, 32],
    ['P-384', p384, 48],
    ['P-521', p521, 66],
    ['secp256k1', secp256k1, 32],
  ] as const)(
    '%s: point not on the curve, x >= p, uncompressed and infinity encodings',
    (keyType, curve, size) => {
      const header = HEADERS[keyType]
      expect(codeOf(() => parseDidKey(didOfBytes([...header, ...offCurvePoint(curve, size)])))).toBe(
        'ERR_DID_INVALID',
      )
      const overP = new Uint8Array(1 + size)
      overP[0] = 0x03
      overP.set(Buffer.from((curve.Point.Fp.ORDER + 1n).toString(16).padStart(size * 2, '0'), 'hex'), 1)
      expect(codeOf(() => parseDidKey(didOfBytes([...header, ...overP])))).toBe('ERR_DID_INVALID')
      const point = curve.getPublicKey(curve.utils.randomSecretKey(), false)
      expect(codeOf(() => parseDidKey(didOfBytes([...header, ...point])))).toBe('ERR_DID_INVALID')
      const wrongPrefix = curve.getPublicKey(curve.utils.randomSecretKey(), true)
      wrongPrefix[0] = 0x04
      expect(codeOf(() => parseDidKey(didOfBytes([...header, ...wrongPrefix])))).toBe('ERR_DID_INVALID')
      expect(codeOf(() => parseDidKey(didOfBytes([...header, ...new Uint8Array(1 + size)])))).toBe(
        'ERR_DID_INVALID',
      )
    },
  )

  it('Ed25519: invalid point, non-canonical y, small-order points', () => {
    let invalidY: Uint8Array | undefined
    for (let i = 2; invalidY === undefined; i++) {
      const candidate = new Uint8Array(32)
      candidate[0] = i
      try {
        ed25519.Point.fromBytes(candidate)
      } catch {
        invalidY = candidate
      }
    }
    const identity = new Uint8Array(32)
    identity[0] = 1
    const yEqualsP = Uint8Array.from(Buffer.from(`ed${'ff'.repeat(30)}7f`, 'hex')) // y = 2^255 - 19
    const minusOne = Uint8Array.from(Buffer.from(`ec${'ff'.repeat(30)}7f`, 'hex')) // y = -1, order 2
    const xZeroSignSet = new Uint8Array(32)
    xZeroSignSet[0] = 1
    xZeroSignSet[31] = 0x80 // identity with the sign bit set
    for (const key of [invalidY, identity, yEqualsP, minusOne, xZeroSignSet]) {
      expect(codeOf(() => parseDidKey(didOfBytes([0xed, 0x01, ...key])))).toBe('ERR_DID_INVALID')
      expect(codeOf(() => didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: key }))).toBe(
        'ERR_INPUT_INVALID',
      )
    }
  })

  it('a DID URL is not a DID', () => {
    const url = `${ED_DID}#${multibaseOf(ED_DID)}`
    expect(codeOf(() => parseDidKey(url))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => resolveDidKey(url))).toBe('ERR_DID_INVALID')
    expect(parseDidKeyUrl(url).did).toBe(ED_DID)
  })

  it('X25519: non-canonical u (>= p) is refused', () => {
    const allOnes = new Uint8Array(32).fill(0xff)
    const p = Uint8Array.from(Buffer.from(`ed${'ff'.repeat(30)}7f`, 'hex'))
    for (const key of [allOnes, p]) {
      expect(codeOf(() => parseDidKey(didOfBytes([0xec, 0x01, ...key])))).toBe('ERR_DID_INVALID')
    }
    expect(parseDidKey(didOfBytes([0xec, 0x01, ...new Uint8Array(32)])).keyType).toBe('X25519')
  })

  it.each([
    undefined,
    null,
    42,
    42n,
    true,
    {},
    [],
    [ED_DID],
    Symbol('did'),
    () => ED_DID,
    new String(ED_DID),
    { toString: () => ED_DID },
  ])('non-string %s -> ERR_DID_INVALID', (value) => {
    const hostile = value as unknown as string
    expect(codeOf(() => parseDidKey(hostile))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => parseDidKeyUrl(hostile))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => resolveDidKey(hostile))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => verificationKey(hostile))).toBe('ERR_DID_INVALID')
  })

  it.each([
    'did:web:x',
    'did:web:example.com#key-1',
    'did:example:123456789abcdefghi',
    'did:keys:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    'did:jwk:eyJrdHkiOiJPS1AifQ',
  ])('%s -> ERR_DID_METHOD_NOT_SUPPORTED', (did) => {
    expect(codeOf(() => parseDidKeyUrl(did))).toBe('ERR_DID_METHOD_NOT_SUPPORTED')
    expect(codeOf(() => resolveDidKey(did.split('#')[0] ?? did))).toBe('ERR_DID_METHOD_NOT_SUPPORTED')
    expect(codeOf(() => verificationKey(did))).toBe('ERR_DID_METHOD_NOT_SUPPORTED')
  })

  it('DID URL fragments other than the DID own key are refused', () => {
    const agreement = resolveDidKey(ED_DID).keyAgreement?.[0]
    if (typeof agreement !== 'object') throw new Error('no keyAgreement')
    const other = parseDidKey(P256_DID).multibaseValue
    for (const url of [
      `${ED_DID}#`,
      `${ED_DID}#key-1`,
      `${ED_DID}#${other}`,
      agreement.id, // the derived X25519 key agreement key cannot sign
      `${ED_DID}#${multibaseOf(ED_DID)}#${multibaseOf(ED_DID)}`,
      `${ED_DID}#${multibaseOf(ED_DID)}x`,
      `${ED_DID}?x=1#${multibaseOf(ED_DID)}`,
      `did:key:#${multibaseOf(ED_DID)}`,
    ]) {
      expect(
        codeOf(() => parseDidKeyUrl(url)),
        url,
      ).toBe('ERR_DID_INVALID')
      expect(
        codeOf(() => verificationKey(url)),
        url,
      ).toBe('ERR_DID_INVALID')
    }
    // Also once the DID's key is cached.
    verificationKey(ED_DID)
    expect(codeOf(() => verificationKey(`${ED_DID}#${other}`))).toBe('ERR_DID_INVALID')
    expect(codeOf(() => verificationKey(`${ED_DID}#`))).toBe('ERR_DID_INVALID')
  })

  it('didKeyFromPublicKey and publicKeyJwk refuse bad arguments with ERR_INPUT_INVALID', () => {
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { keyType: 'RSA', publicKey: ed.publicKey },
      { keyType: '__proto__', publicKey: ed.publicKey },
      { keyType: 'toString', publicKey: ed.publicKey },
      { keyType: 'Ed25519', publicKey: Array.from(ed.publicKey) },
      { keyType: 'Ed25519', publicKey: ed.publicKey.subarray(1) },
      { keyType: 'P-256', publicKey: ed.publicKey },
      { keyType: 'P-256', publicKey: offCurvePoint(p256, 32) },
      { keyType: 'P-256', publicKey: Uint8Array.from([4, ...new Uint8Array(64)]) },
      { keyType: 'X25519', publicKey: new Uint8Array(32).fill(0xff) },
    ]
    for (const options of bad) {
      const hostile = options as { keyType: DidKeyType; publicKey: Uint8Array }
      expect(codeOf(() => didKeyFromPublicKey(hostile))).toBe('ERR_INPUT_INVALID')
      expect(codeOf(() => publicKeyJwk(hostile))).toBe('ERR_INPUT_INVALID')
    }
  })
})

describe('caching and immutability', () => {
  it('documents are cached and deeply frozen', () => {
    const document = resolveDidKey(ED_DID)
    expect(resolveDidKey(ED_DID)).toBe(document)
    expectDeepFrozen(document)
    expectDeepFrozen(resolveDidKey(P256_DID))
    expectDeepFrozen(resolveDidKey(X25519_DID))
    const mutable = document as unknown as {
      id: string
      authentication: string[]
      verificationMethod: object[]
    }
    expect(() => {
      mutable.id = 'did:key:evil'
    }).toThrow(TypeError)
    expect(() => mutable.authentication.push('did:key:evil#evil')).toThrow(TypeError)
    expect(() => {
      ;(mutable.verificationMethod[0] as { publicKeyMultibase: string }).publicKeyMultibase = 'zEvil'
    }).toThrow(TypeError)
    expect(resolveDidKey(ED_DID)).toStrictEqual(HEAD_MULTIKEY_VECTOR)
  })

  it('verification keys are cached, shared between DID and kid, and read-only', () => {
    const key = verificationKey(ED_DID)
    expect(verificationKey(`${ED_DID}#${multibaseOf(ED_DID)}`)).toBe(key)
    expect(Object.isFrozen(key)).toBe(true)
    const relationships = key.relationships as Set<string>
    expect(() => relationships.add('keyAgreement')).toThrow(TypeError)
    expect(() => relationships.delete('authentication')).toThrow(TypeError)
    expect(() => relationships.clear()).toThrow(TypeError)
    expect(key.relationships.has('authentication')).toBe(true)
    expect(key.relationships.size).toBe(4)
  })

  it('parseDidKey returns a fresh copy of the key bytes', () => {
    const first = parseDidKey(ED_DID)
    const original = Uint8Array.from(first.publicKey)
    first.publicKey.fill(0)
    expect(parseDidKey(ED_DID).publicKey).toEqual(original)
  })

  it('the document cache is bounded (least recently used evicted) and can be cleared', () => {
    clearDidKeyCache()
    const first = resolveDidKey(ED_DID)
    const kept = resolveDidKey(P256_DID)
    for (let i = 0; i < 10_000; i++) {
      if (i % 1000 === 0) expect(resolveDidKey(P256_DID)).toBe(kept) // keep it recently used
      const raw = randomBytes(32)
      raw[31] = (raw[31] ?? 0) & 0x3f // canonical u
      resolveDidKey(didKeyFromPublicKey({ keyType: 'X25519', publicKey: raw }))
    }
    const again = resolveDidKey(ED_DID)
    expect(again).not.toBe(first)
    expect(again).toStrictEqual(first)
    expect(resolveDidKey(P256_DID)).toBe(kept)
    clearDidKeyCache()
    expect(resolveDidKey(P256_DID)).not.toBe(kept)
  })
})

describe('getDidKeyResolver (did-resolver)', () => {
  const resolver = new Resolver(getDidKeyResolver())
  const direct = getDidKeyResolver().key
  if (direct === undefined) throw new Error('no key resolver')
  const parsedStub = { did: '', didUrl: '', method: 'key', id: '' }

  it('resolves DIDs and DID URLs to the did:key document', async () => {
    for (const did of [ED_DID, P256_DID, X25519_DID]) {
      const result = await resolver.resolve(did)
      expect(result.didResolutionMetadata).toEqual({ contentType: 'application/did+ld+json' })
      expect(result.didDocument).toStrictEqual(resolveDidKey(did))
      expect(result.didDocumentMetadata).toEqual({})
      const viaUrl = await resolver.resolve(`${did}#${multibaseOf(did)}`)
      expect(viaUrl.didDocument).toStrictEqual(resolveDidKey(did))
    }
  })

  it('reports invalid DIDs as invalidDid with a message', async () => {
    for (const did of [
      `${ED_DID.slice(0, -1)}0`,
      didOfBytes([0x85, 0x24, 1, 2, 3]),
      `did:key:1:${multibaseOf(ED_DID)}`,
    ]) {
      const result = await resolver.resolve(did)
      expect(result.didDocument).toBeNull()
      expect(result.didResolutionMetadata.error).toBe('invalidDid')
      expect(result.didResolutionMetadata.message).toEqual(expect.any(String))
    }
  })

  it('reports other methods as methodNotSupported when called directly', async () => {
    const result = await direct('did:web:x', parsedStub, resolver, {})
    expect(result.didResolutionMetadata.error).toBe('methodNotSupported')
    expect(result.didDocument).toBeNull()
  })

  it('honours accept', async () => {
    const json = await direct(ED_DID, parsedStub, resolver, { accept: 'application/did+json' })
    expect(json.didResolutionMetadata.contentType).toBe('application/did+json')
    const html = await direct(ED_DID, parsedStub, resolver, { accept: 'text/html' })
    expect(html.didResolutionMetadata.error).toBe('representationNotSupported')
    expect(html.didDocument).toBeNull()
  })
})

describe('fuzz: mutated DIDs never escape as raw exceptions', () => {
  const seeds = [
    ED_DID,
    P256_DID,
    X25519_DID,
    ...Object.keys(NIST_VECTORS),
    ...Object.keys(SECP256K1_VECTORS),
    ...Object.keys(HEAD_SPEC_DIDS),
  ]
  const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
  const noise = `${base58}0OIl#:/?%-._~ \u0000\u00e9\ud800`

  function mutate(value: string, random: () => number, alphabet: string): string {
    const at = Math.floor(random() * (value.length + 1))
    const char = alphabet[Math.floor(random() * alphabet.length)] ?? 'x'
    switch (Math.floor(random() * 6)) {
      case 0: // replace
        return value.slice(0, at) + char + value.slice(at + 1)
      case 1: // delete
        return value.slice(0, at) + value.slice(at + 1)
      case 2: // insert
        return value.slice(0, at) + char + value.slice(at)
      case 3: // truncate
        return value.slice(0, at)
      case 4: // duplicate a tail
        return value + value.slice(at)
      default: {
        // swap two characters
        const other = Math.floor(random() * value.length)
        const chars = [...value]
        const a = chars[at] ?? ''
        chars[at] = chars[other] ?? ''
        chars[other] = a
        return chars.join('')
      }
    }
  }

  it('mutating the multibase value gives ERR_DID_INVALID or a canonical, valid did:key', async () => {
    const random = prng(0x7e55e7a)
    const resolver = getDidKeyResolver().key
    if (resolver === undefined) throw new Error('no key resolver')
    let valid = 0
    let invalid = 0
    for (let i = 0; i < 4000; i++) {
      const seed = seeds[i % seeds.length] ?? ED_DID
      let value = multibaseOf(seed)
      const rounds = 1 + Math.floor(random() * 3)
      for (let r = 0; r < rounds; r++) value = mutate(value, random, i % 2 === 0 ? base58 : noise)
      const did = `did:key:${value}`
      let parsed: ReturnType<typeof parseDidKey> | undefined
      try {
        parsed = parseDidKey(did)
      } catch (err) {
        if (!(err instanceof TesseraError)) throw new Error(`raw ${String(err)} for ${JSON.stringify(did)}`)
        expect(err.code, did).toBe('ERR_DID_INVALID')
      }
      if (parsed === undefined) {
        invalid++
        expect(codeOf(() => resolveDidKey(did))).toBe('ERR_DID_INVALID')
        expect(codeOf(() => verificationKey(`${did}#${value}`))).toBe('ERR_DID_INVALID')
        const result = await resolver(did, { did, didUrl: did, method: 'key', id: value }, new Resolver(), {})
        expect(result.didResolutionMetadata.error).toBe('invalidDid')
      } else {
        valid++
        // One key, one DID: a DID that decodes is exactly the encoding of what it decodes to.
        expect(didKeyFromPublicKey(parsed)).toBe(did)
        expect(resolveDidKey(did).id).toBe(did)
        if (parsed.keyType !== 'X25519') expect(verificationKey(did).did).toBe(did)
      }
    }
    expect(invalid).toBeGreaterThan(1000)
    expect(valid).toBeGreaterThan(0)
  })

  it('mutating anywhere gives an identity error code, never a raw exception', () => {
    const random = prng(42)
    for (let i = 0; i < 4000; i++) {
      let value = seeds[i % seeds.length] ?? ED_DID
      const rounds = 1 + Math.floor(random() * 3)
      for (let r = 0; r < rounds; r++) value = mutate(value, random, noise)
      if (i % 3 === 0) value = `${value}#${mutate(multibaseOf(seeds[0] ?? ''), random, base58)}`
      for (const fn of [parseDidKey, parseDidKeyUrl, resolveDidKey, verificationKey]) {
        try {
          fn(value)
        } catch (err) {
          if (!(err instanceof TesseraError)) {
            throw new Error(`raw ${String(err)} for ${JSON.stringify(value)}`)
          }
          expect(['ERR_DID_INVALID', 'ERR_DID_METHOD_NOT_SUPPORTED'], value).toContain(err.code)
        }
      }
    }
  })
})

describe('publicKeyJwk', () => {
  it('imports into node:crypto as the same key verificationKey uses', () => {
    for (const did of [ED_DID, ...Object.keys(NIST_VECTORS), ...Object.keys(SECP256K1_VECTORS)]) {
      const jwk = publicKeyJwk(parseDidKey(did))
      expect(jwk).not.toHaveProperty('d')
      expect(createPublicKey({ key: jwk, format: 'jwk' }).equals(verificationKey(did).keyObject)).toBe(true)
    }
  })
})
