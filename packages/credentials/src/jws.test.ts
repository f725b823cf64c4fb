import { createSecretKey, generateKeyPairSync, KeyObject, sign as nodeSign } from 'node:crypto'
import { InputError, TesseraError, VerificationError } from '@tessera/core'
import { CompactSign, compactVerify, generateKeyPair, generateSecret } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type DecodeCompactJwsOptions,
  decodeCompactJws,
  type JwsAlg,
  keyMatchesAlg,
  signCompactJws,
  verifyJwsSignature,
} from './jws.js'
import { DEFAULT_LIMITS, parseJsonCapped } from './limits.js'

/** The thrown TesseraError (fails the test when nothing, or something else, is thrown). */
function thrown(fn: () => unknown): TesseraError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return err as TesseraError
  }
  throw new Error('expected a TesseraError')
}
const codeOf = (fn: () => unknown): string => thrown(fn).code

async function asyncThrown(promise: Promise<unknown>): Promise<TesseraError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return err as TesseraError
  }
  throw new Error('expected a TesseraError')
}

const encoder = new TextEncoder()
const b64u = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')
const json = (value: unknown) => b64u(JSON.stringify(value))

const KID = 'did:key:z6MkExample#z6MkExample'
const PAYLOAD = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential'],
  issuer: 'did:key:z6MkExample',
  credentialSubject: { id: 'did:key:z6MkAgent' },
}
const VC_HEADER = { alg: 'EdDSA', typ: 'vc+jwt', kid: KID }

const VC_OPTIONS: DecodeCompactJwsOptions = {
  maxLength: DEFAULT_LIMITS.maxCredentialTokenLength,
  maxDepth: DEFAULT_LIMITS.maxJsonDepth,
  expectedTyp: 'vc+jwt',
  allowedAlgs: ['EdDSA', 'ES256'],
}
const decode = (token: string, options: Partial<DecodeCompactJwsOptions> = {}) =>
  decodeCompactJws(token, { ...VC_OPTIONS, ...options })

/** jose's key type (a WebCrypto CryptoKey; the tests' lib has no DOM types). */
type JoseKey = Awaited<ReturnType<typeof generateKeyPair>>['publicKey']

interface Pair {
  publicKey: KeyObject
  privateKey: KeyObject
}
let ed25519: Pair
let ed25519Other: Pair
let p256: Pair
let p384: Pair
let p521: Pair
let secp256k1: Pair
let ed448: Pair
let josePublicEd25519: JoseKey
let josePrivateEd25519: JoseKey
let josePublicP256: JoseKey
let josePrivateP256: JoseKey

beforeAll(async () => {
  // Keys from jose (WebCrypto), converted to node:crypto KeyObjects, so tokens are made independently.
  const ed = await generateKeyPair('EdDSA', { extractable: true })
  josePublicEd25519 = ed.publicKey
  josePrivateEd25519 = ed.privateKey
  ed25519 = { publicKey: KeyObject.from(ed.publicKey), privateKey: KeyObject.from(ed.privateKey) }
  const es = await generateKeyPair('ES256', { extractable: true })
  josePublicP256 = es.publicKey
  josePrivateP256 = es.privateKey
  p256 = { publicKey: KeyObject.from(es.publicKey), privateKey: KeyObject.from(es.privateKey) }
  ed25519Other = generateKeyPairSync('ed25519')
  p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
  secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  ed448 = generateKeyPairSync('ed448')
})

/** A token signed with jose's CompactSign. */
async function joseToken(
  header: Record<string, unknown>,
  key: JoseKey | Uint8Array,
  payload: unknown = PAYLOAD,
) {
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key)
}

/** A token assembled by hand from raw segments and signed with node:crypto (for headers jose refuses to make). */
function rawToken(headerSegment: string, payloadSegment: string, alg: JwsAlg, privateKey: KeyObject): string {
  const input = Buffer.from(`${headerSegment}.${payloadSegment}`)
  const signature =
    alg === 'EdDSA'
      ? nodeSign(null, input, privateKey)
      : nodeSign(alg === 'ES384' ? 'sha384' : alg === 'ES512' ? 'sha512' : 'sha256', input, {
          key: privateKey,
          dsaEncoding: 'ieee-p1363',
        })
  return `${headerSegment}.${payloadSegment}.${b64u(signature)}`
}
const edToken = (header: unknown, payload: unknown = PAYLOAD) =>
  rawToken(json(header), json(payload), 'EdDSA', ed25519.privateKey)

function verifyWith(
  token: string,
  keyObject: KeyObject,
  options: Partial<DecodeCompactJwsOptions> = {},
): boolean {
  const { header, signingInput, signature } = decode(token, options)
  return verifyJwsSignature({ alg: header.alg, keyObject, signingInput, signature })
}

describe('decodeCompactJws + verifyJwsSignature: tokens made by jose', () => {
  it('decodes and verifies an EdDSA vc+jwt', async () => {
    const token = await joseToken(VC_HEADER, josePrivateEd25519)
    const decoded = decode(token)
    expect(decoded.header).toEqual(VC_HEADER)
    expect(decoded.payload).toEqual(PAYLOAD)
    expect(decoded.signingInput.toString('latin1')).toBe(token.slice(0, token.lastIndexOf('.')))
    expect(decoded.signature).toHaveLength(64)
    expect(verifyJwsSignature({ alg: 'EdDSA', keyObject: ed25519.publicKey, ...decoded })).toBe(true)
  })

  it('verifies ES256 from jose, and ES384, ES512, ES256K and Ed448 signed with node:crypto', async () => {
    const es256 = await joseToken({ ...VC_HEADER, alg: 'ES256' }, (await generateKeyPair('ES256')).privateKey)
    expect(decode(es256).signature).toHaveLength(64)
    const joseP256 = await joseToken({ ...VC_HEADER, alg: 'ES256' }, josePrivateP256)
    expect(verifyWith(joseP256, p256.publicKey)).toBe(true)
    const all: JwsAlg[] = ['EdDSA', 'ES256', 'ES384', 'ES512', 'ES256K']
    const cases: [JwsAlg, Pair, number][] = [
      ['ES384', p384, 96],
      ['ES512', p521, 132],
      ['ES256K', secp256k1, 64],
      ['EdDSA', ed448, 114],
    ]
    for (const [alg, pair, length] of cases) {
      const token = rawToken(json({ ...VC_HEADER, alg }), json(PAYLOAD), alg, pair.privateKey)
      expect(decode(token, { allowedAlgs: all }).signature).toHaveLength(length)
      expect(verifyWith(token, pair.publicKey, { allowedAlgs: all })).toBe(true)
    }
  })

  it('accepts typ case-insensitively and with the application/ prefix (RFC 7515 §4.1.9), and a matching cty', () => {
    for (const typ of ['vc+jwt', 'VC+JWT', 'application/vc+jwt', 'Application/VC+JWT']) {
      expect(decode(edToken({ ...VC_HEADER, typ })).header.typ).toBe(typ)
    }
    expect(decode(edToken({ ...VC_HEADER, cty: 'vc' })).header).toHaveProperty('cty', 'vc')
    expect(decode(edToken({ ...VC_HEADER, cty: 'application/vc' })).header).toHaveProperty(
      'cty',
      'application/vc',
    )
    const vp = edToken({ ...VC_HEADER, typ: 'vp+jwt', cty: 'vp' })
    expect(decode(vp, { expectedTyp: 'vp+jwt' }).header.typ).toBe('vp+jwt')
    expect(decode(vp, { expectedTyp: ['vc+jwt', 'vp+jwt'] }).header.typ).toBe('vp+jwt')
  })

  it('ignores embedded keys (jwk, jku, x5u, x5c): the caller key decides', () => {
    const attacker = generateKeyPairSync('ed25519')
    const header = {
      ...VC_HEADER,
      jwk: attacker.publicKey.export({ format: 'jwk' }),
      jku: 'https://attacker.example/jwks',
      x5u: 'https://attacker.example/cert',
      x5c: ['MIIB'],
    }
    const token = rawToken(json(header), json(PAYLOAD), 'EdDSA', attacker.privateKey)
    expect(decode(token).header.kid).toBe(KID)
    expect(verifyWith(token, ed25519.publicKey)).toBe(false)
  })

  it('accepts b64: true (the default encoding)', () => {
    expect(decode(edToken({ ...VC_HEADER, b64: true })).payload).toEqual(PAYLOAD)
  })

  it('keeps the lexically last duplicate header member, as RFC 7515 §4 allows', () => {
    const header = b64u(`{"alg":"none","alg":"EdDSA","typ":"vc+jwt","kid":"${KID}"}`)
    expect(decode(rawToken(header, json(PAYLOAD), 'EdDSA', ed25519.privateKey)).header.alg).toBe('EdDSA')
  })
})

describe('decodeCompactJws: alg (ERR_JWS_ALG)', () => {
  it('refuses alg none, with or without a signature', () => {
    const header = json({ ...VC_HEADER, alg: 'none' })
    expect(codeOf(() => decode(`${header}.${json(PAYLOAD)}.`))).toBe('ERR_JWS_ALG')
    expect(codeOf(() => decode(`${header}.${json(PAYLOAD)}.${b64u('x'.repeat(64))}`))).toBe('ERR_JWS_ALG')
    for (const alg of ['None', 'NONE', 'nOnE'])
      expect(codeOf(() => decode(edToken({ ...VC_HEADER, alg })))).toBe('ERR_JWS_ALG')
  })

  it('refuses HS256 (a key-confusion attempt with the public key as HMAC secret) and RS256/PS256', async () => {
    const hmac = await joseToken({ ...VC_HEADER, alg: 'HS256' }, await generateSecret('HS256'))
    expect(codeOf(() => decode(hmac))).toBe('ERR_JWS_ALG')
    const publicKeyAsSecret = ed25519.publicKey.export({ format: 'der', type: 'spki' })
    const confused = await joseToken({ ...VC_HEADER, alg: 'HS256' }, new Uint8Array(publicKeyAsSecret))
    expect(codeOf(() => decode(confused))).toBe('ERR_JWS_ALG')
    const rsa = await generateKeyPair('RS256')
    const rs256 = await joseToken({ ...VC_HEADER, alg: 'RS256' }, rsa.privateKey)
    expect(codeOf(() => decode(rs256))).toBe('ERR_JWS_ALG')
    const ps256 = await joseToken({ ...VC_HEADER, alg: 'PS256' }, (await generateKeyPair('PS256')).privateKey)
    expect(codeOf(() => decode(ps256))).toBe('ERR_JWS_ALG')
  })

  it('refuses a supported alg that the caller did not allow, a missing alg and a non-string alg', async () => {
    const es = await joseToken({ ...VC_HEADER, alg: 'ES256' }, (await generateKeyPair('ES256')).privateKey)
    expect(codeOf(() => decode(es, { allowedAlgs: ['EdDSA'] }))).toBe('ERR_JWS_ALG')
    expect(codeOf(() => decode(edToken({ typ: 'vc+jwt', kid: KID })))).toBe('ERR_JWS_ALG')
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, alg: ['EdDSA'] })))).toBe('ERR_JWS_ALG')
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, alg: 'eddsa' })))).toBe('ERR_JWS_ALG')
  })

  it('treats an allow-list naming none, HS*, RS*, PS*, or an empty one, as a programmer error', async () => {
    const token = await joseToken(VC_HEADER, josePrivateEd25519)
    for (const alg of ['none', 'HS256', 'RS256', 'PS256', 'ES256k', 'Ed25519']) {
      const err = thrown(() => decode(token, { allowedAlgs: ['EdDSA', alg as JwsAlg] }))
      expect(err).toBeInstanceOf(InputError)
      expect(err.code).toBe('ERR_INPUT_INVALID')
    }
    expect(codeOf(() => decode(token, { allowedAlgs: [] }))).toBe('ERR_INPUT_INVALID')
    expect(codeOf(() => decode(token, { expectedTyp: [] }))).toBe('ERR_INPUT_INVALID')
    expect(codeOf(() => decode(token, { maxLength: 0 }))).toBe('ERR_INPUT_INVALID')
  })
})

describe('decodeCompactJws: typ and cty (ERR_JWS_TYP)', () => {
  it('refuses a missing, wrong, generic or non-string typ', () => {
    const { typ: _, ...noTyp } = VC_HEADER
    expect(codeOf(() => decode(edToken(noTyp)))).toBe('ERR_JWS_TYP')
    for (const typ of [
      'JWT',
      'jwt',
      'vp+jwt',
      'vc+sd-jwt',
      'vc-ld+jwt',
      'application/vc+jwt; charset=utf-8',
      'text/vc+jwt',
      '',
    ]) {
      expect(codeOf(() => decode(edToken({ ...VC_HEADER, typ })))).toBe('ERR_JWS_TYP')
    }
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, typ: ['vc+jwt'] })))).toBe('ERR_JWS_TYP')
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, typ: null })))).toBe('ERR_JWS_TYP')
  })

  it('refuses a vc+jwt where a vp+jwt is expected (explicit typing, RFC 8725 §3.11)', () => {
    expect(codeOf(() => decode(edToken(VC_HEADER), { expectedTyp: 'vp+jwt' }))).toBe('ERR_JWS_TYP')
  })

  it('refuses a cty that does not match the typ, a nested-JWT cty and a non-string cty', () => {
    for (const cty of ['vp', 'JWT', 'application/json', 42]) {
      expect(codeOf(() => decode(edToken({ ...VC_HEADER, cty })))).toBe('ERR_JWS_TYP')
    }
  })
})

describe('decodeCompactJws: crit and b64 (ERR_JWS_CRIT)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['an unknown extension', { crit: ['exp'], exp: 1 }],
    ['an unknown extension (the classic myparam)', { crit: ['myparam'], myparam: 1 }],
    ['a registered parameter', { crit: ['kid'] }],
    ['alg itself', { crit: ['alg'] }],
    ['an empty list', { crit: [] }],
    ['a non-array', { crit: 'myparam', myparam: 1 }],
    ['a non-string entry', { crit: [1] }],
    ['an empty-string entry', { crit: [''] }],
    ['null', { crit: null }],
    ['a name absent from the header', { crit: ['missing'] }],
    ['an inherited name (constructor)', { crit: ['constructor'] }],
    ['an inherited name (__proto__)', { crit: ['__proto__'] }],
    ['an inherited name (toString)', { crit: ['toString'] }],
    ['a duplicate', { crit: ['myparam', 'myparam'], myparam: 1 }],
    ['the b64 extension (RFC 7797)', { crit: ['b64'], b64: false }],
  ]
  for (const [name, extra] of cases) {
    it(`refuses crit with ${name}`, () => {
      expect(codeOf(() => decode(edToken({ ...VC_HEADER, ...extra })))).toBe('ERR_JWS_CRIT')
    })
  }

  it('refuses b64: false without crit, and a non-boolean b64', () => {
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, b64: false })))).toBe('ERR_JWS_CRIT')
    expect(codeOf(() => decode(edToken({ ...VC_HEADER, b64: 'false' })))).toBe('ERR_JWS_CRIT')
  })

  it('refuses an unencoded (b64: false) payload built the RFC 7797 way', () => {
    const header = json({ ...VC_HEADER, b64: false, crit: ['b64'] })
    const token = `${header}.${'$.02'}.${b64u(nodeSign(null, Buffer.from(`${header}.$.02`), ed25519.privateKey))}`
    // The unencoded payload is not base64url, so the token is refused before its header is read.
    expect(codeOf(() => decode(token))).toBe('ERR_JWS_MALFORMED')
  })
})

describe('decodeCompactJws: kid (ERR_JWS_KID)', () => {
  it('refuses a missing, empty or non-string kid', () => {
    const { kid: _, ...noKid } = VC_HEADER
    expect(codeOf(() => decode(edToken(noKid)))).toBe('ERR_JWS_KID')
    for (const kid of ['', 1, null, ['did:key:z'], { id: KID }]) {
      expect(codeOf(() => decode(edToken({ ...VC_HEADER, kid })))).toBe('ERR_JWS_KID')
    }
  })
})

describe('decodeCompactJws: structure and encoding (ERR_JWS_MALFORMED)', () => {
  let good: string
  let h: string
  let p: string
  let s: string
  beforeAll(async () => {
    good = await joseToken(VC_HEADER, josePrivateEd25519)
    ;[h, p, s] = good.split('.') as [string, string, string]
  })

  it('refuses 1, 2, 4 and 5 segments, the empty string and a JWS JSON serialization', () => {
    for (const token of [
      h,
      `${h}.${p}`,
      `${good}.`,
      `${good}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      '',
      '..',
      '{"payload":"e30"}',
    ]) {
      expect(codeOf(() => decode(token))).toBe('ERR_JWS_MALFORMED')
    }
  })

  it('refuses padding, +, /, whitespace and non-ASCII in any segment', () => {
    const bad = [
      `${h}=.${p}.${s}`,
      `${h}.${p}==.${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.slice(0, -1)}+`,
      `${h}.${p}.${s.slice(0, -1)}/`,
      `${h.replace(/_/g, '/').replace(/-/g, '+')}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`,
      `${Buffer.from(h, 'base64url').toString('base64')}.${p}.${s}`,
      `${h}.${p} .${s}`,
      `${h}.\n${p}.${s}`,
      `${h}.${p}.${s.slice(0, 10)}\t${s.slice(10)}`,
      `${h}.${p}€.${s}`,
      `${h}.${p}.${s.slice(0, -1)}é`,
    ]
    for (const token of bad) expect(codeOf(() => decode(token))).toBe('ERR_JWS_MALFORMED')
  })

  it('refuses non-canonical base64url (non-zero trailing bits) and impossible lengths', () => {
    // 64 signature bytes -> 86 characters, whose last one carries 4 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(s.at(-1) as string)
    const twin = `${s.slice(0, -1)}${alphabet[last | 1]}`
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true)
    expect(codeOf(() => decode(`${h}.${p}.${twin}`))).toBe('ERR_JWS_MALFORMED')
    expect(s.slice(0, -1).length % 4).toBe(1) // no base64 text has this length
    expect(codeOf(() => decode(`${h}.${p}.${s.slice(0, -1)}`))).toBe('ERR_JWS_MALFORMED')
  })

  it('refuses a header or payload that is not JSON, not an object, or not UTF-8', () => {
    for (const header of ['not json', '[]', 'null', '"vc+jwt"', '1', 'true', `{"alg":"EdDSA"`, '{}{}']) {
      const token = rawToken(b64u(header), json(PAYLOAD), 'EdDSA', ed25519.privateKey)
      expect(codeOf(() => decode(token))).toBe('ERR_JWS_MALFORMED')
    }
    for (const payload of ['[]', 'null', '"x"', '42', 'nope', '{"a":1,}']) {
      const token = rawToken(json(VC_HEADER), b64u(payload), 'EdDSA', ed25519.privateKey)
      expect(codeOf(() => decode(token))).toBe('ERR_JWS_MALFORMED')
    }
    const invalidUtf8 = b64u(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])) // {"\xff":1}
    expect(codeOf(() => decode(rawToken(json(VC_HEADER), invalidUtf8, 'EdDSA', ed25519.privateKey)))).toBe(
      'ERR_JWS_MALFORMED',
    )
    const bom = b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(VC_HEADER))]))
    expect(codeOf(() => decode(rawToken(bom, json(PAYLOAD), 'EdDSA', ed25519.privateKey)))).toBe(
      'ERR_JWS_MALFORMED',
    )
  })

  it('refuses an empty signature for an allowed alg', () => {
    expect(codeOf(() => decode(`${h}.${p}.`))).toBe('ERR_JWS_MALFORMED')
  })

  it('refuses a token that is not a string', () => {
    expect(codeOf(() => decode(undefined as unknown as string))).toBe('ERR_JWS_MALFORMED')
    expect(codeOf(() => decode(Buffer.from(good) as unknown as string))).toBe('ERR_JWS_MALFORMED')
  })
})

describe('decodeCompactJws: size limits (ERR_SIZE_LIMIT)', () => {
  it('checks the length before anything else, with the limit itself accepted', async () => {
    const token = await joseToken(VC_HEADER, josePrivateEd25519)
    expect(decode(token, { maxLength: token.length }).payload).toEqual(PAYLOAD)
    expect(codeOf(() => decode(token, { maxLength: token.length - 1 }))).toBe('ERR_SIZE_LIMIT')
    expect(codeOf(() => decode('!'.repeat(VC_OPTIONS.maxLength + 1)))).toBe('ERR_SIZE_LIMIT')
    expect(codeOf(() => decode(`${token}.${'A'.repeat(VC_OPTIONS.maxLength)}`))).toBe('ERR_SIZE_LIMIT')
  })

  it('refuses a JSON depth bomb in the payload or the header, before JSON.parse', () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`
    const ok = rawToken(json(VC_HEADER), b64u(nested(32)), 'EdDSA', ed25519.privateKey)
    expect(decode(ok).payload).toHaveProperty('a')
    const bomb = rawToken(json(VC_HEADER), b64u(nested(33)), 'EdDSA', ed25519.privateKey)
    expect(codeOf(() => decode(bomb))).toBe('ERR_SIZE_LIMIT')
    const big = rawToken(json(VC_HEADER), b64u(`{"a":${'['.repeat(10_000)}`), 'EdDSA', ed25519.privateKey)
    expect(codeOf(() => decode(big, { maxLength: 64 * 1024 }))).toBe('ERR_SIZE_LIMIT')
    const headerBomb = `{"alg":"EdDSA","typ":"vc+jwt","kid":"${KID}","x":${'{"y":'.repeat(40)}1${'}'.repeat(40)}}`
    expect(codeOf(() => decode(rawToken(b64u(headerBomb), json(PAYLOAD), 'EdDSA', ed25519.privateKey)))).toBe(
      'ERR_SIZE_LIMIT',
    )
    expect(codeOf(() => decode(bomb, { maxDepth: 8 }))).toBe('ERR_SIZE_LIMIT')
  })
})

describe('verifyJwsSignature', () => {
  let decoded: ReturnType<typeof decodeCompactJws>
  beforeAll(async () => {
    decoded = decode(await joseToken(VC_HEADER, josePrivateEd25519))
  })
  const verify = (over: Partial<Parameters<typeof verifyJwsSignature>[0]> = {}) =>
    verifyJwsSignature({ alg: 'EdDSA', keyObject: ed25519.publicKey, ...decoded, ...over })

  it('accepts the right key, and the signing input as a string', () => {
    expect(verify()).toBe(true)
    expect(verify({ signingInput: decoded.signingInput.toString('latin1') })).toBe(true)
  })

  it('refuses a flipped bit anywhere in the signature', () => {
    for (const bit of [0, 7, 255, 511]) {
      const signature = Buffer.from(decoded.signature)
      signature[bit >> 3] = (signature[bit >> 3] as number) ^ (1 << (bit & 7))
      expect(verify({ signature })).toBe(false)
    }
  })

  it('refuses a flipped bit in the signing input', () => {
    const signingInput = Buffer.from(decoded.signingInput)
    signingInput[20] = (signingInput[20] as number) ^ 1
    expect(verify({ signingInput })).toBe(false)
  })

  it('refuses wrong-length signatures', () => {
    expect(verify({ signature: decoded.signature.subarray(0, 63) })).toBe(false)
    expect(verify({ signature: Buffer.concat([decoded.signature, Buffer.alloc(1)]) })).toBe(false)
    expect(verify({ signature: new Uint8Array(0) })).toBe(false)
  })

  it('refuses a signature by another key', () => {
    expect(verify({ keyObject: ed25519Other.publicKey })).toBe(false)
  })

  it('refuses an alg that does not match the key type (ES256 header on an Ed25519 key, and back)', () => {
    const edSignedAsEs256 = rawToken(
      json({ ...VC_HEADER, alg: 'ES256' }),
      json(PAYLOAD),
      'EdDSA',
      ed25519.privateKey,
    )
    const d = decode(edSignedAsEs256)
    expect(d.header.alg).toBe('ES256')
    expect(keyMatchesAlg(ed25519.publicKey, 'ES256')).toBe(false)
    expect(verifyJwsSignature({ alg: 'ES256', keyObject: ed25519.publicKey, ...d })).toBe(false)
    expect(verifyJwsSignature({ alg: 'EdDSA', keyObject: p256.publicKey, ...decoded })).toBe(false)
    expect(keyMatchesAlg(p256.publicKey, 'ES384')).toBe(false)
    expect(keyMatchesAlg(p384.publicKey, 'ES256')).toBe(false)
    expect(keyMatchesAlg(secp256k1.publicKey, 'ES256')).toBe(false)
    expect(keyMatchesAlg(p256.publicKey, 'ES256K')).toBe(false)
    expect(keyMatchesAlg(ed448.publicKey, 'EdDSA')).toBe(true)
  })

  it('refuses ES256 signatures in DER, the all-zero "psychic" signature and a P-384 key', () => {
    const token = rawToken(json({ ...VC_HEADER, alg: 'ES256' }), json(PAYLOAD), 'ES256', p256.privateKey)
    const d = decode(token)
    const args = { alg: 'ES256' as const, keyObject: p256.publicKey, signingInput: d.signingInput }
    expect(verifyJwsSignature({ ...args, signature: d.signature })).toBe(true)
    const der = nodeSign('sha256', d.signingInput, { key: p256.privateKey, dsaEncoding: 'der' })
    expect(verifyJwsSignature({ ...args, signature: der })).toBe(false)
    expect(verifyJwsSignature({ ...args, signature: new Uint8Array(64) })).toBe(false)
    expect(verifyJwsSignature({ ...args, keyObject: p384.publicKey, signature: d.signature })).toBe(false)
  })

  it('refuses private and secret KeyObjects, and never throws on garbage', () => {
    expect(verify({ keyObject: ed25519.privateKey })).toBe(false)
    expect(verify({ keyObject: createSecretKey(Buffer.alloc(32)) })).toBe(false)
    expect(verify({ keyObject: {} as KeyObject })).toBe(false)
    expect(verify({ keyObject: null as unknown as KeyObject })).toBe(false)
    expect(verify({ alg: 'HS256' as JwsAlg })).toBe(false)
    expect(verify({ alg: 'none' as JwsAlg })).toBe(false)
    expect(verify({ signature: 'abc' as unknown as Uint8Array })).toBe(false)
    expect(verify({ signingInput: 42 as unknown as string })).toBe(false)
    expect(verifyJwsSignature(undefined as never)).toBe(false)
  })
})

describe('signCompactJws', () => {
  const edSigner = (input: Uint8Array) => new Uint8Array(nodeSign(null, input, ed25519.privateKey))

  it('round-trips EdDSA through jose.compactVerify and our decoder', async () => {
    const token = await signCompactJws({
      header: { ...VC_HEADER, alg: 'EdDSA' },
      payload: PAYLOAD,
      sign: edSigner,
    })
    const { payload, protectedHeader } = await compactVerify(token, josePublicEd25519, {
      algorithms: ['EdDSA'],
    })
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(PAYLOAD)
    expect(protectedHeader).toEqual(VC_HEADER)
    expect(verifyWith(token, ed25519.publicKey)).toBe(true)
  })

  it('round-trips ES256 with an async IEEE P1363 signer, and non-ASCII payloads', async () => {
    const payload = { ...PAYLOAD, name: 'Agent Zoë 🤖' }
    const token = await signCompactJws({
      header: { alg: 'ES256', typ: 'vp+jwt', kid: KID },
      payload,
      sign: async (input) => nodeSign('sha256', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' }),
    })
    const verified = await compactVerify(token, josePublicP256, { algorithms: ['ES256'] })
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload)
    expect(verifyWith(token, p256.publicKey, { expectedTyp: 'vp+jwt' })).toBe(true)
  })

  it('refuses a signer returning DER, the wrong length or not bytes', async () => {
    const der = (input: Uint8Array) => nodeSign('sha256', input, { key: p256.privateKey, dsaEncoding: 'der' })
    const header = { alg: 'ES256' as const, typ: 'vc+jwt', kid: KID }
    expect((await asyncThrown(signCompactJws({ header, payload: PAYLOAD, sign: der }))).code).toBe(
      'ERR_INPUT_INVALID',
    )
    const short = () => new Uint8Array(10)
    expect(
      (await asyncThrown(signCompactJws({ header: VC_HEADER as never, payload: PAYLOAD, sign: short }))).code,
    ).toBe('ERR_INPUT_INVALID')
    const text = () => 'sig' as unknown as Uint8Array
    expect((await asyncThrown(signCompactJws({ header, payload: PAYLOAD, sign: text }))).code).toBe(
      'ERR_INPUT_INVALID',
    )
  })

  it('refuses headers the verifier would refuse, and payloads that are not JSON objects', async () => {
    const bad: Record<string, unknown>[] = [
      { alg: 'none' },
      { alg: 'HS256' },
      { alg: 'RS256' },
      { typ: 'vc+jwt' },
      { alg: 'EdDSA', crit: ['x'], x: 1 },
      { alg: 'EdDSA', b64: false },
      { alg: 'EdDSA', kid: '' },
    ]
    for (const header of bad) {
      const err = await asyncThrown(
        signCompactJws({ header: header as never, payload: PAYLOAD, sign: edSigner }),
      )
      expect(err).toBeInstanceOf(InputError)
      expect(err.code).toBe('ERR_INPUT_INVALID')
    }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const payload of [cyclic, [] as unknown as Record<string, unknown>, { n: 1n }]) {
      const err = await asyncThrown(signCompactJws({ header: VC_HEADER as never, payload, sign: edSigner }))
      expect(err.code).toBe('ERR_INPUT_INVALID')
    }
  })
})

describe('parseJsonCapped', () => {
  const parse = (text: string, maxDepth = 3, maxLength = 1000) =>
    parseJsonCapped(text, { maxDepth, maxLength })

  it('accepts nesting up to maxDepth and refuses one more', () => {
    expect(parse('[[[1]]]')).toEqual([[[1]]])
    expect(parse('{"a":{"b":[]}}')).toEqual({ a: { b: [] } })
    expect(parse('"scalar"', 0)).toBe('scalar')
    expect(codeOf(() => parse('[[[[1]]]]'))).toBe('ERR_SIZE_LIMIT')
    expect(codeOf(() => parse('{"a":{"b":{"c":{}}}}'))).toBe('ERR_SIZE_LIMIT')
    expect(codeOf(() => parse('[[[['))).toBe('ERR_SIZE_LIMIT')
    // sequential (not nested) containers do not add up
    expect(parse(`[${'[[1]],'.repeat(100)}[]]`, 3, 10_000)).toHaveLength(101)
  })

  it('ignores brackets inside strings, including after escaped quotes and backslashes', () => {
    expect(parse('{"a":"[[[[[[{{{{"}')).toEqual({ a: '[[[[[[{{{{' })
    expect(parse('{"a":"\\"[[[[[[","b":"\\\\"}')).toEqual({ a: '"[[[[[[', b: '\\' })
    expect(codeOf(() => parse('{"a":"\\\\",  "b":[[[[1]]]]}'))).toBe('ERR_SIZE_LIMIT')
  })

  it('refuses text over maxLength and invalid JSON', () => {
    expect(codeOf(() => parse(`"${'x'.repeat(1000)}"`))).toBe('ERR_SIZE_LIMIT')
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", '[1]]', 'NaN', '01']) {
      const err = thrown(() => parse(text))
      expect(err).toBeInstanceOf(VerificationError)
      expect(err.code).toBe('ERR_JWS_MALFORMED')
    }
  })

  it('keeps "__proto__" as an own property without polluting, and the last duplicate key', () => {
    const value = parse('{"__proto__":{"polluted":true},"a":1,"a":2}') as Record<string, unknown>
    expect(Object.hasOwn(value, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(value.a).toBe(2)
  })
})
