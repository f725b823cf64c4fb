/**
 * The verifier's negative-test suite: one crafted bad input per rule, each asserting the error code (and the
 * check that reported it), plus the positive path with its full list of checks and two interop round trips.
 *
 * Every token here is made with jose (CompactSign, SignJWT) or by hand with node:crypto, never with Tessera's
 * signer, so the verifier is tested against an independent implementation of VC-JOSE-COSE. The fixture
 * builders make a valid credential / presentation by default; each test changes exactly one thing.
 */
import { createHmac, KeyObject, sign as nodeSign, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ErrorCode, InputError, type Permission } from '@tessera/core'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { didKeyFromPublicKey, parseDidKey, publicKeyJwk, resolveDidKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import {
  type CompactJWSHeaderParameters,
  CompactSign,
  compactVerify,
  decodeJwt,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memoryChallengeStore } from './challenge.js'
import { issueRoleCredential } from './issue.js'
import type { JwsAlg } from './jws.js'
import { credentialsMigrations } from './migrations.js'
import { createPresentation } from './present.js'
import type { StatusChecker } from './status-check.js'
import { type Decision, type VerifyPresentationOptions, verifyPresentation } from './verify.js'

// ---------------------------------------------------------------------------------------------------------
// Fixtures

const V2 = 'https://www.w3.org/ns/credentials/v2'
const DOMAIN = 'verifier.globex.example'
/** The fixed verification time: every test is deterministic. */
const NOW = new Date('2026-03-01T12:00:00Z')
const DAY = 86_400
/** The verifier's default clock tolerance, in seconds (DEFAULT_LIMITS.clockToleranceSec). */
const TOLERANCE = 60
const REQUEST: Permission = { action: 'read', resource: 'tickets/42' }

/** `NOW` shifted by `seconds`. */
const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000)
/** A JWT NumericDate. */
const numericDate = (date: Date): number => Math.floor(date.getTime() / 1000)
/** An XML Schema dateTimeStamp in UTC, as VC DM 2.0 §4.9 wants. */
const dateTimeStamp = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`
const b64u = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url')

type Json = Record<string, unknown>
/** jose's key type (a WebCrypto CryptoKey; the tests' lib has no DOM types). */
type JoseKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']

/** A did:key identity whose Ed25519 key pair was made by jose. */
interface Party {
  did: string
  /** `<did>#<multibase>`: the JOSE `kid` of its signing key. */
  kid: string
  privateKey: JoseKey
  publicJwk: JWK
  /** The raw 32-byte Ed25519 public key. */
  rawPublicKey: Uint8Array
}

async function makeParty(): Promise<Party> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const rawPublicKey = new Uint8Array(Buffer.from(publicJwk.x ?? '', 'base64url'))
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: rawPublicKey })
  return { did, kid: `${did}#${did.slice('did:key:'.length)}`, privateKey, publicJwk, rawPublicKey }
}

/** Signs the JWS Signing Input and returns the raw signature (for tokens jose refuses to make). */
type SignFunction = (signingInput: Buffer) => Uint8Array | Promise<Uint8Array>
/** Who signs a token: a party's key through jose's CompactSign, or a function over the signing input. */
type Signer = Party | SignFunction

/** An Ed25519 signature by `party` made with node:crypto (for hand-assembled tokens). */
const ed25519By =
  (party: Party): SignFunction =>
  (input) =>
    nodeSign(null, input, KeyObject.from(party.privateKey as Parameters<typeof KeyObject.from>[0]))

/** Shallow merge; an `undefined` override removes the member. */
function merge(base: Json, overrides: Json = {}): Json {
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key]
    else out[key] = value
  }
  return out
}

/** How one token (a credential or a presentation) differs from the valid default. */
interface TokenOptions {
  /** Shallow overrides of the JOSE header; `undefined` removes a member. */
  header?: Json
  /** Shallow overrides of the payload; `undefined` removes a member. */
  claims?: Json
  /** Rewrite the header's JSON text (for members an object literal cannot hold, like `__proto__`). */
  rawHeader?: (json: string) => string
  /** Rewrite the payload's JSON text. */
  rawPayload?: (json: string) => string
  /** Who signs; default the issuer (credential) or the holder (presentation) through jose. */
  signer?: Signer
}

/** Encode and sign a compact JWS: with jose's CompactSign when it can, by hand otherwise. */
async function encodeToken(
  header: Json,
  payload: Json,
  signer: Signer,
  options: TokenOptions,
): Promise<string> {
  const headerText = (options.rawHeader ?? ((j) => j))(JSON.stringify(header))
  const payloadBytes = Buffer.from((options.rawPayload ?? ((j) => j))(JSON.stringify(payload)))
  if (typeof signer !== 'function' && options.rawHeader === undefined) {
    return new CompactSign(payloadBytes)
      .setProtectedHeader(header as CompactJWSHeaderParameters)
      .sign(signer.privateKey)
  }
  const signingInput = `${b64u(headerText)}.${b64u(payloadBytes)}`
  const sign = typeof signer === 'function' ? signer : ed25519By(signer)
  const signature = await sign(Buffer.from(signingInput, 'latin1'))
  return `${signingInput}.${b64u(signature)}`
}

/** What an AgentRoleCredential says (before `TokenOptions` overrides). */
interface CredentialOptions extends TokenOptions {
  /** The issuer: its DID is `issuer` and `iss`, its key signs and its `kid` is in the header. */
  issuer?: Party
  /** `credentialSubject.id` (and `sub`); default the holder. */
  subject?: string
  /** `id` (and `jti`); default a fresh `urn:uuid:`. */
  id?: string
  role?: string
  permissions?: unknown
  /** `validFrom` (and `nbf`); default a day before NOW. */
  validFrom?: Date
  /** `validUntil` (and `exp`); default 30 days after NOW. */
  validUntil?: Date
}

/** What a presentation says (before `TokenOptions` overrides). */
interface PresentationOptions extends TokenOptions {
  /** The holder: its DID is `holder` and `iss`, its key signs and its `kid` is in the header. */
  holder?: Party
  /** vc+jwt tokens, each enveloped; default one default credential. */
  credentials?: string[]
  /** The challenge in `nonce`; default a fresh one from the store. */
  challenge?: string
}

/** A presentation token and the challenge it answers. */
interface Presented {
  token: string
  challenge: string
}

let ISSUER: Party // Acme's issuer: trusted for `support-agent` up to read/write tickets
let ISSUER_B: Party // Initech's issuer: trusted for `auditor` up to read reports
let UNTRUSTED: Party // an issuer in no organisation of the bundle
let HOLDER: Party // the agent presenting
let OTHER_AGENT: Party // another agent
let ATTACKER: Party
let TRUST: TrustBundle
const store = memoryChallengeStore()

beforeAll(async () => {
  ;[ISSUER, ISSUER_B, UNTRUSTED, HOLDER, OTHER_AGENT, ATTACKER] = await Promise.all([
    makeParty(),
    makeParty(),
    makeParty(),
    makeParty(),
    makeParty(),
    makeParty(),
  ])
  let trust = emptyTrustBundle()
  trust = addTrust(trust, {
    org: 'Acme',
    issuer: ISSUER.did,
    role: 'support-agent',
    permissions: ['read:tickets/*', 'write:tickets/*'],
  })
  trust = addTrust(trust, {
    org: 'Initech',
    issuer: ISSUER_B.did,
    role: 'auditor',
    permissions: ['read:reports/*'],
  })
  TRUST = trust
})

/**
 * A vc+jwt AgentRoleCredential, valid by default: issued by ISSUER to HOLDER for role `support-agent`,
 * granting `read:tickets/*` and `delete:tickets/*`, valid from a day ago for 30 days, with the registered
 * JWT claims (`iss`, `sub`, `jti`, `iat`, `nbf`, `exp`) our issuer adds too.
 */
async function makeCredential(options: CredentialOptions = {}): Promise<string> {
  const issuer = options.issuer ?? ISSUER
  const subject = options.subject ?? HOLDER.did
  const id = options.id ?? `urn:uuid:${randomUUID()}`
  const validFrom = options.validFrom ?? at(-DAY)
  const validUntil = options.validUntil ?? at(30 * DAY)
  const payload = merge(
    {
      '@context': [V2],
      id,
      type: ['VerifiableCredential', 'AgentRoleCredential'],
      issuer: issuer.did,
      validFrom: dateTimeStamp(validFrom),
      validUntil: dateTimeStamp(validUntil),
      credentialSubject: {
        id: subject,
        role: options.role ?? 'support-agent',
        permissions: options.permissions ?? [
          { action: 'read', resource: 'tickets/*' },
          { action: 'delete', resource: 'tickets/*' },
        ],
      },
      iss: issuer.did,
      sub: subject,
      jti: id,
      iat: numericDate(at(-DAY)),
      nbf: numericDate(validFrom),
      exp: numericDate(validUntil),
    },
    options.claims,
  )
  const header = merge({ alg: 'EdDSA', typ: 'vc+jwt', kid: issuer.kid }, options.header)
  return encodeToken(header, payload, options.signer ?? issuer, options)
}

/** An EnvelopedVerifiableCredential (VC DM 2.0 §4.13.1) holding a vc+jwt. */
const envelope = (token: string): Json => ({
  '@context': V2,
  type: 'EnvelopedVerifiableCredential',
  id: `data:application/vc+jwt,${token}`,
})

/**
 * A vp+jwt presentation, valid by default: signed by HOLDER, enveloping one default credential, `aud` =
 * DOMAIN, `nonce` = a fresh challenge from the store, issued 10 s ago and expiring in 5 minutes.
 */
async function makePresentation(options: PresentationOptions = {}): Promise<Presented> {
  const holder = options.holder ?? HOLDER
  const challenge = options.challenge ?? store.issue(DOMAIN, 300, NOW)
  const credentials = options.credentials ?? [await makeCredential()]
  const payload = merge(
    {
      '@context': [V2],
      type: ['VerifiablePresentation'],
      holder: holder.did,
      verifiableCredential: credentials.map(envelope),
      iss: holder.did,
      aud: DOMAIN,
      nonce: challenge,
      iat: numericDate(at(-10)),
      exp: numericDate(at(300)),
    },
    options.claims,
  )
  const header = merge({ alg: 'EdDSA', typ: 'vp+jwt', kid: holder.kid }, options.header)
  return { token: await encodeToken(header, payload, options.signer ?? holder, options), challenge }
}

/** Verify as the verifier at DOMAIN does: with the presentation's challenge, the store, TRUST, NOW and REQUEST. */
function verify(presented: Presented, options: Partial<VerifyPresentationOptions> = {}): Promise<Decision> {
  return verifyPresentation({
    presentation: presented.token,
    domain: DOMAIN,
    challenge: presented.challenge,
    challenges: store,
    trust: TRUST,
    request: REQUEST,
    now: NOW,
    ...options,
  })
}

/** The Decision refuses, with `code` among its errors and, when given, reported by the check named `check`. */
function expectRefused(decision: Decision, code: ErrorCode, check?: string): void {
  expect(decision.errors.map((e) => e.code)).toContain(code)
  expect(decision.verified).toBe(false)
  expect(decision.allowed).toBe(false)
  expect(decision.grantedBy).toBeUndefined()
  if (check !== undefined) {
    expect(decision.checks).toContainEqual(expect.objectContaining({ check, ok: false, code }))
  }
  // A credential that failed a check is never reported as accepted.
  if (check?.startsWith('vc[0].') || check === 'vp.verifiableCredential')
    expect(decision.credentials).toEqual([])
}

/** The Decision verified and allowed the request. */
function expectAllowed(decision: Decision): void {
  expect(decision.errors).toEqual([])
  expect(decision.verified).toBe(true)
  expect(decision.allowed).toBe(true)
}

/** Flip one bit of a token's signature (re-encoded canonically). */
function flipSignatureBit(token: string): string {
  const dot = token.lastIndexOf('.')
  const signature = Buffer.from(token.slice(dot + 1), 'base64url')
  signature[10] = (signature[10] ?? 0) ^ 0x01
  return `${token.slice(0, dot + 1)}${b64u(signature)}`
}

/** The X25519 key agreement key the did:key document derives from an Ed25519 DID. */
function keyAgreementMultibase(did: string): string {
  const method = resolveDidKey(did).keyAgreement?.[0]
  if (method === undefined || typeof method === 'string') throw new Error('expected an embedded X25519 key')
  return method.publicKeyMultibase
}

/** The Object.prototype member a successful pollution would create. */
const polluted = (): unknown => (({}) as Record<string, unknown>).polluted

const CHECKS_OF_VP = [
  'vp.jws',
  'vp.kid',
  'vp.alg',
  'vp.signature',
  'vp.@context',
  'vp.type',
  'vp.claims',
  'vp.holder',
  'vp.iss',
  'vp.nonce',
  'vp.aud',
  'vp.iat',
  'vp.exp',
  'vp.freshness',
  'vp.verifiableCredential',
]
const checksOfCredential = (index: number): string[] =>
  [
    'jws',
    'kid',
    'alg',
    'signature',
    '@context',
    'type',
    'claims',
    'id',
    'issuer',
    'credentialSubject',
    'validFrom',
    'validUntil',
    'validityPeriod',
    'iat',
    'nbf',
    'exp',
    'iss',
    'sub',
    'jti',
    'issuerKey',
    'role',
    'holder',
    'trust',
  ].map((name) => `vc[${index}].${name}`)

// ---------------------------------------------------------------------------------------------------------

describe('verifyPresentation: the valid path', () => {
  it('verifies and allows read:tickets/42, running every check, naming the credential and permission that allowed it', async () => {
    const id = 'urn:uuid:6b1f7a57-2d4c-4a4e-9c39-3d1c7f0b9a11'
    const decision = await verify(await makePresentation({ credentials: [await makeCredential({ id })] }))
    expectAllowed(decision)
    expect(decision.holder).toBe(HOLDER.did)
    expect(decision.request).toEqual(REQUEST)
    expect(decision.verifiedAt).toBe(NOW.toISOString())
    expect(decision.grantedBy).toEqual({
      credentialId: id,
      role: 'support-agent',
      issuer: ISSUER.did,
      permission: { action: 'read', resource: 'tickets/*' },
    })
    // The full list, in order: a check that silently stopped running would fail here.
    expect(decision.checks.map((c) => c.check)).toEqual([
      ...CHECKS_OF_VP,
      ...checksOfCredential(0),
      'challenge.single-use',
      'authorize',
    ])
    expect(decision.checks.filter((c) => !c.ok)).toEqual([])
  })

  it('reports effective = credential ∩ ceiling, and denies (ERR_POLICY_DENIED) what the credential grants outside the ceiling', async () => {
    const id = 'urn:uuid:0e5c2a7e-61a8-4c3a-8f0e-51b0f7a1d2c3'
    const credential = await makeCredential({ id })
    const decision = await verify(await makePresentation({ credentials: [credential] }), {
      request: { action: 'delete', resource: 'tickets/42' },
    })
    expect(decision.verified).toBe(true)
    expect(decision.allowed).toBe(false)
    expect(decision.grantedBy).toBeUndefined()
    expect(decision.errors.map((e) => e.code)).toEqual(['ERR_POLICY_DENIED'])
    expect(decision.checks.at(-1)).toMatchObject({ check: 'authorize', ok: false, code: 'ERR_POLICY_DENIED' })
    expect(decision.credentials).toEqual([
      {
        id,
        issuer: ISSUER.did,
        org: 'Acme',
        role: 'support-agent',
        validUntil: dateTimeStamp(at(30 * DAY)),
        permissions: [
          { action: 'read', resource: 'tickets/*' },
          { action: 'delete', resource: 'tickets/*' },
        ],
        effective: [{ action: 'read', resource: 'tickets/*' }],
      },
    ])
  })

  it('intersects a wildcard grant with the ceiling: *:tickets/* ∩ {read,write}:tickets/* allows write, denies delete', async () => {
    const credentials = async () => [
      await makeCredential({ permissions: [{ action: '*', resource: 'tickets/*' }] }),
    ]
    const write = await verify(await makePresentation({ credentials: await credentials() }), {
      request: { action: 'write', resource: 'tickets/7' },
    })
    expectAllowed(write)
    expect(write.credentials[0]?.effective).toEqual([
      { action: 'read', resource: 'tickets/*' },
      { action: 'write', resource: 'tickets/*' },
    ])
    expect(write.grantedBy?.permission).toEqual({ action: 'write', resource: 'tickets/*' })
    const del = await verify(await makePresentation({ credentials: await credentials() }), {
      request: { action: 'delete', resource: 'tickets/7' },
    })
    expect(del.verified).toBe(true)
    expect(del.allowed).toBe(false)
    expect(del.errors.map((e) => e.code)).toEqual(['ERR_POLICY_DENIED'])
  })

  it('two credentials from two trusted organisations: the second one grants, and grantedBy names it', async () => {
    const acmeId = 'urn:uuid:11111111-1111-4111-8111-111111111111'
    const initechId = 'urn:uuid:22222222-2222-4222-8222-222222222222'
    const decision = await verify(
      await makePresentation({
        credentials: [
          await makeCredential({ id: acmeId }),
          await makeCredential({
            id: initechId,
            issuer: ISSUER_B,
            role: 'auditor',
            permissions: [{ action: 'read', resource: 'reports/*' }],
          }),
        ],
      }),
      { request: { action: 'read', resource: 'reports/2026' } },
    )
    expectAllowed(decision)
    expect(decision.credentials.map((c) => [c.id, c.org])).toEqual([
      [acmeId, 'Acme'],
      [initechId, 'Initech'],
    ])
    expect(decision.grantedBy).toEqual({
      credentialId: initechId,
      role: 'auditor',
      issuer: ISSUER_B.did,
      permission: { action: 'read', resource: 'reports/*' },
    })
    expect(decision.checks.map((c) => c.check)).toEqual([
      ...CHECKS_OF_VP,
      ...checksOfCredential(0),
      ...checksOfCredential(1),
      'challenge.single-use',
      'authorize',
    ])
  })

  it('names the right issuer in grantedBy when the credentials carry no id (VC DM 2.0 §4.4: id is optional)', async () => {
    const noId = { id: undefined, jti: undefined }
    const decision = await verify(
      await makePresentation({
        credentials: [
          await makeCredential({ claims: noId }),
          await makeCredential({
            issuer: ISSUER_B,
            role: 'auditor',
            permissions: [{ action: 'read', resource: 'reports/*' }],
            claims: noId,
          }),
        ],
      }),
      { request: { action: 'read', resource: 'reports/2026' } },
    )
    expectAllowed(decision)
    expect(decision.grantedBy).toEqual({
      credentialId: undefined,
      role: 'auditor',
      issuer: ISSUER_B.did,
      permission: { action: 'read', resource: 'reports/*' },
    })
  })

  it('names the right issuer in grantedBy when two organisations used the same credential id', async () => {
    // ids are chosen by issuers: Initech (or anyone it trusts) can reuse an id Acme published
    const id = 'urn:uuid:33333333-3333-4333-8333-333333333333'
    const decision = await verify(
      await makePresentation({
        credentials: [
          await makeCredential({ id }),
          await makeCredential({
            id,
            issuer: ISSUER_B,
            role: 'auditor',
            permissions: [{ action: 'read', resource: 'reports/*' }],
          }),
        ],
      }),
      { request: { action: 'read', resource: 'reports/2026' } },
    )
    expectAllowed(decision)
    expect(decision.grantedBy).toMatchObject({ credentialId: id, role: 'auditor', issuer: ISSUER_B.did })
  })

  it('without a request: verified, no allowed/grantedBy, no authorize check', async () => {
    const decision = await verify(await makePresentation(), { request: undefined })
    expect(decision.verified).toBe(true)
    expect(decision.allowed).toBeUndefined()
    expect(decision.grantedBy).toBeUndefined()
    expect(decision.checks.map((c) => c.check)).not.toContain('authorize')
  })
})

describe('size caps (checked before decoding)', () => {
  it('refuses a presentation token over maxPresentationTokenLength (ERR_SIZE_LIMIT), by default and at the exact limit', async () => {
    const big = await makePresentation({ claims: { padding: 'x'.repeat(64 * 1024) } })
    expect(big.token.length).toBeGreaterThan(64 * 1024)
    expectRefused(await verify(big), 'ERR_SIZE_LIMIT', 'vp.jws')

    const presented = await makePresentation()
    const limit = presented.token.length
    expectRefused(
      await verify(presented, { limits: { maxPresentationTokenLength: limit - 1 } }),
      'ERR_SIZE_LIMIT',
      'vp.jws',
    )
    // the same token at exactly its length is fine (and its challenge was not burnt by the refusal)
    expectAllowed(await verify(presented, { limits: { maxPresentationTokenLength: limit } }))
  })

  it('refuses more than maxCredentialsPerPresentation credentials (ERR_VP_TOO_MANY_CREDENTIALS); 32 is fine', async () => {
    const credential = await makeCredential()
    const tooMany = await makePresentation({ credentials: Array.from({ length: 33 }, () => credential) })
    expectRefused(await verify(tooMany), 'ERR_VP_TOO_MANY_CREDENTIALS', 'vp.verifiableCredential')
    const atLimit = await makePresentation({ credentials: Array.from({ length: 32 }, () => credential) })
    const decision = await verify(atLimit)
    expectAllowed(decision)
    expect(decision.credentials).toHaveLength(32)
  })

  it('refuses an enveloped credential token over maxCredentialTokenLength (ERR_SIZE_LIMIT)', async () => {
    const credential = await makeCredential({ claims: { padding: 'x'.repeat(16 * 1024) } })
    expect(credential.length).toBeGreaterThan(16 * 1024)
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_SIZE_LIMIT',
      'vp.verifiableCredential',
    )
  })

  const bomb = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
  /** Add a member `x` holding `value` (JSON text) to a JSON object's text. */
  const withMember = (value: string) => (json: string) => `${json.slice(0, -1)},"x":${value}}`

  describe.each([
    ['vp', 'vp'],
    ['vc', 'vc[0]'],
  ] as const)('JSON depth bombs in the %s', (target, prefix) => {
    const build = (options: TokenOptions) =>
      target === 'vp'
        ? makePresentation(options)
        : makeCredential(options).then((vc) => makePresentation({ credentials: [vc] }))

    it('refuses a header nested deeper than maxJsonDepth (ERR_SIZE_LIMIT)', async () => {
      expectRefused(
        await verify(await build({ rawHeader: withMember(bomb(40)) })),
        'ERR_SIZE_LIMIT',
        `${prefix}.jws`,
      )
    })

    it('refuses a payload nested deeper than maxJsonDepth (ERR_SIZE_LIMIT); depth exactly at the limit is accepted', async () => {
      expectRefused(
        await verify(await build({ rawPayload: withMember(bomb(32)) })),
        'ERR_SIZE_LIMIT',
        `${prefix}.jws`,
      )
      // the payload object is depth 1, so a member nested 31 deep reaches exactly 32
      expectAllowed(await verify(await build({ rawPayload: withMember(bomb(31)) })))
    })
  })

  it('refuses 45,000 unclosed brackets in the presentation payload without overflowing the stack', async () => {
    const presented = await makePresentation({ rawPayload: () => '['.repeat(45_000) })
    expect(presented.token.length).toBeLessThan(64 * 1024)
    expectRefused(await verify(presented), 'ERR_SIZE_LIMIT', 'vp.jws')
  })
})

describe.each([
  ['vp', 'vp'],
  ['vc', 'vc[0]'],
] as const)('JOSE header of the %s', (target, prefix) => {
  /** The party whose key signs the target token by default. */
  const owner = (): Party => (target === 'vp' ? HOLDER : ISSUER)
  /** A presentation whose VP (or whose only credential) is built with `options`. */
  const build = async (options: TokenOptions): Promise<Presented> =>
    target === 'vp'
      ? makePresentation(options)
      : makePresentation({ credentials: [await makeCredential(options)] })
  const typ = target === 'vp' ? 'vp+jwt' : 'vc+jwt'
  const otherTyp = target === 'vp' ? 'vc+jwt' : 'vp+jwt'

  it('refuses alg "none", an unsigned token `header.payload.` (ERR_JWS_ALG)', async () => {
    const presented = await build({ header: { alg: 'none' }, signer: () => new Uint8Array(0) })
    if (target === 'vp') expect(presented.token).toMatch(/^[\w-]+\.[\w-]+\.$/)
    expectRefused(await verify(presented), 'ERR_JWS_ALG', `${prefix}.jws`)
  })

  it('refuses HS256 keyed with the public key bytes, the key-confusion attack (ERR_JWS_ALG)', async () => {
    const hmac: SignFunction = (input) => createHmac('sha256', owner().rawPublicKey).update(input).digest()
    const presented = await build({ header: { alg: 'HS256' }, signer: hmac })
    if (target === 'vp') {
      // the token is a genuine HS256 JWS: a verifier that let the token pick the algorithm would accept it
      const { protectedHeader } = await compactVerify(presented.token, owner().rawPublicKey)
      expect(protectedHeader.alg).toBe('HS256')
    }
    expectRefused(await verify(presented), 'ERR_JWS_ALG', `${prefix}.jws`)
  })

  it('refuses RS256 (ERR_JWS_ALG)', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true })
    const rs256: SignFunction = (input) =>
      nodeSign('sha256', input, KeyObject.from(rsa.privateKey as Parameters<typeof KeyObject.from>[0]))
    expectRefused(
      await verify(await build({ header: { alg: 'RS256' }, signer: rs256 })),
      'ERR_JWS_ALG',
      `${prefix}.jws`,
    )
  })

  it('refuses ES256 on an Ed25519 key (ERR_JWS_ALG): by the allow-list, and by the key check when ES256 is allowed', async () => {
    const edSignedAsEs256 = { header: { alg: 'ES256' }, signer: ed25519By(owner()) }
    expectRefused(await verify(await build(edSignedAsEs256)), 'ERR_JWS_ALG', `${prefix}.jws`)
    expectRefused(
      await verify(await build(edSignedAsEs256), { algorithms: ['EdDSA', 'ES256'] }),
      'ERR_JWS_ALG',
      `${prefix}.alg`,
    )
  })

  it.each([
    ['missing', undefined],
    ['"JWT"', 'JWT'],
    ['"jwt"', 'jwt'],
    ['the other token kind', otherTyp],
  ])('refuses typ %s (ERR_JWS_TYP)', async (_name, value) => {
    expectRefused(await verify(await build({ header: { typ: value } })), 'ERR_JWS_TYP', `${prefix}.jws`)
  })

  it(`accepts typ as the full media type application/${typ}`, async () => {
    expectAllowed(await verify(await build({ header: { typ: `application/${typ}` } })))
  })

  it('refuses cty "JWT" (a nested JWT) (ERR_JWS_TYP)', async () => {
    expectRefused(await verify(await build({ header: { cty: 'JWT' } })), 'ERR_JWS_TYP', `${prefix}.jws`)
  })

  it('refuses any crit, even a well-formed one (ERR_JWS_CRIT)', async () => {
    const presented = await build({
      header: { crit: ['urn:example:policy'], 'urn:example:policy': 'strict' },
      signer: ed25519By(owner()),
    })
    expectRefused(await verify(presented), 'ERR_JWS_CRIT', `${prefix}.jws`)
  })

  it('refuses b64: false, an RFC 7797 unencoded payload (ERR_JWS_CRIT)', async () => {
    const presented = await build({ header: { b64: false }, signer: ed25519By(owner()) })
    expectRefused(await verify(presented), 'ERR_JWS_CRIT', `${prefix}.jws`)
  })

  it('refuses a missing or empty kid (ERR_JWS_KID)', async () => {
    expectRefused(await verify(await build({ header: { kid: undefined } })), 'ERR_JWS_KID', `${prefix}.jws`)
    expectRefused(await verify(await build({ header: { kid: '' } })), 'ERR_JWS_KID', `${prefix}.jws`)
  })

  it("refuses a kid naming another DID's key: the signature does not verify with it (ERR_JWS_SIGNATURE)", async () => {
    expectRefused(
      await verify(await build({ header: { kid: OTHER_AGENT.kid } })),
      'ERR_JWS_SIGNATURE',
      `${prefix}.signature`,
    )
  })

  it("refuses a kid whose fragment is not the DID's own key (ERR_DID_INVALID)", async () => {
    const did = owner().did
    for (const kid of [`${did}#${OTHER_AGENT.did.slice(8)}`, `${did}#keys-1`, `${did}#`]) {
      expectRefused(await verify(await build({ header: { kid } })), 'ERR_DID_INVALID', `${prefix}.kid`)
    }
  })

  it('refuses a did:web kid (ERR_DID_METHOD_NOT_SUPPORTED)', async () => {
    expectRefused(
      await verify(await build({ header: { kid: 'did:web:acme.example#key-1' } })),
      'ERR_DID_METHOD_NOT_SUPPORTED',
      `${prefix}.kid`,
    )
  })

  it('refuses a kid naming the X25519 key agreement key, in the DID or as an X25519 did:key (ERR_DID_INVALID)', async () => {
    const x25519 = keyAgreementMultibase(owner().did)
    for (const kid of [`${owner().did}#${x25519}`, `did:key:${x25519}#${x25519}`, `did:key:${x25519}`]) {
      expectRefused(await verify(await build({ header: { kid } })), 'ERR_DID_INVALID', `${prefix}.kid`)
    }
  })

  it("ignores a header jwk carrying the attacker's key: the kid's key is used, the signature fails (ERR_JWS_SIGNATURE)", async () => {
    const presented = await build({ header: { jwk: ATTACKER.publicJwk }, signer: ATTACKER })
    if (target === 'vp') {
      // a verifier that trusted the embedded key would accept it
      await expect(compactVerify(presented.token, EmbeddedJWK)).resolves.toBeTruthy()
    }
    expectRefused(await verify(presented), 'ERR_JWS_SIGNATURE', `${prefix}.signature`)
  })
})

describe('typ confusion with real tokens', () => {
  it('refuses a vc+jwt given as the presentation (ERR_JWS_TYP)', async () => {
    const credential = await makeCredential()
    expectRefused(await verify({ token: credential, challenge: 'unused-challenge' }), 'ERR_JWS_TYP', 'vp.jws')
  })

  it('refuses a vp+jwt enveloped as a credential (ERR_JWS_TYP)', async () => {
    const inner = await makePresentation()
    expectRefused(
      await verify(await makePresentation({ credentials: [inner.token] })),
      'ERR_JWS_TYP',
      'vc[0].jws',
    )
  })
})

describe('signatures', () => {
  it('refuses a presentation with one flipped bit in its signature (ERR_JWS_SIGNATURE)', async () => {
    const presented = await makePresentation()
    expectRefused(
      await verify({ ...presented, token: flipSignatureBit(presented.token) }),
      'ERR_JWS_SIGNATURE',
      'vp.signature',
    )
  })

  it('refuses a valid presentation enveloping a credential with one flipped bit in its signature (ERR_JWS_SIGNATURE)', async () => {
    const decision = await verify(
      await makePresentation({ credentials: [flipSignatureBit(await makeCredential())] }),
    )
    expectRefused(decision, 'ERR_JWS_SIGNATURE', 'vc[0].signature')
    expect(decision.checks).toContainEqual({ check: 'vp.signature', ok: true })
    expect(decision.credentials).toEqual([])
  })

  it('refuses the whole presentation when one of two credentials is bad, even if the good one grants the request', async () => {
    const decision = await verify(
      await makePresentation({
        credentials: [
          await makeCredential(),
          flipSignatureBit(await makeCredential({ issuer: ISSUER_B, role: 'auditor' })),
        ],
      }),
    )
    expectRefused(decision, 'ERR_JWS_SIGNATURE', 'vc[1].signature')
    expect(decision.checks).toContainEqual({ check: 'vc[0].trust', ok: true })
    expect(decision.credentials.map((c) => c.issuer)).toEqual([ISSUER.did])
  })

  it('refuses a credential whose payload was edited after signing (more permissions, same signature)', async () => {
    const credential = await makeCredential()
    const [header, payload, signature] = credential.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Json
    ;(claims.credentialSubject as Json).permissions = [{ action: '*', resource: '*' }]
    const forged = `${header}.${b64u(JSON.stringify(claims))}.${signature}`
    expectRefused(
      await verify(await makePresentation({ credentials: [forged] })),
      'ERR_JWS_SIGNATURE',
      'vc[0].signature',
    )
  })

  it("refuses a credential with the issuer's kid signed by another key (ERR_JWS_SIGNATURE)", async () => {
    const credential = await makeCredential({ signer: ATTACKER })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_JWS_SIGNATURE',
      'vc[0].signature',
    )
  })

  it('refuses a credential signed (validly) by a key of another DID than its issuer (ERR_VC_ISSUER_MISMATCH)', async () => {
    // Initech's issuer, itself trusted, signs a credential that claims to come from Acme.
    const credential = await makeCredential({ header: { kid: ISSUER_B.kid }, signer: ISSUER_B })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_VC_ISSUER_MISMATCH',
      'vc[0].issuerKey',
    )
  })

  it('refuses a credential whose iss claim is not its issuer (ERR_VC_ISSUER_MISMATCH)', async () => {
    const credential = await makeCredential({ claims: { iss: ISSUER_B.did } })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_VC_ISSUER_MISMATCH',
      'vc[0].iss',
    )
  })
})

describe('time', () => {
  const presentCredential = async (options: CredentialOptions) =>
    verify(await makePresentation({ credentials: [await makeCredential(options)] }))

  it('refuses an expired credential inside a fresh presentation (ERR_VC_EXPIRED)', async () => {
    const decision = await presentCredential({ validFrom: at(-30 * DAY), validUntil: at(-3600) })
    expectRefused(decision, 'ERR_VC_EXPIRED', 'vc[0].validUntil')
    expect(decision.checks).toContainEqual({ check: 'vp.exp', ok: true })
  })

  it('refuses a credential that is not yet valid (ERR_VC_NOT_YET_VALID)', async () => {
    expectRefused(await presentCredential({ validFrom: at(3600) }), 'ERR_VC_NOT_YET_VALID', 'vc[0].validFrom')
  })

  it('refuses a credential whose exp claim has passed while validUntil is in the future (ERR_VC_EXPIRED)', async () => {
    const decision = await presentCredential({ claims: { exp: numericDate(at(-3600)) } })
    expectRefused(decision, 'ERR_VC_EXPIRED', 'vc[0].exp')
    expect(decision.checks).toContainEqual({ check: 'vc[0].validUntil', ok: true })
  })

  it('refuses a credential whose nbf claim is in the future while validFrom has passed (ERR_VC_NOT_YET_VALID)', async () => {
    expectRefused(
      await presentCredential({ claims: { nbf: numericDate(at(3600)) } }),
      'ERR_VC_NOT_YET_VALID',
      'vc[0].nbf',
    )
  })

  it('validUntil: valid 1 s inside the clock tolerance, expired exactly at it', async () => {
    expectAllowed(await presentCredential({ validUntil: at(-(TOLERANCE - 1)) }))
    expectRefused(
      await presentCredential({ validUntil: at(-TOLERANCE) }),
      'ERR_VC_EXPIRED',
      'vc[0].validUntil',
    )
  })

  it('validFrom: valid exactly at the clock tolerance, not yet valid 1 s beyond it', async () => {
    expectAllowed(await presentCredential({ validFrom: at(TOLERANCE) }))
    expectRefused(
      await presentCredential({ validFrom: at(TOLERANCE + 1) }),
      'ERR_VC_NOT_YET_VALID',
      'vc[0].validFrom',
    )
  })

  it('presentation exp: valid 1 s inside the clock tolerance, expired exactly at it (ERR_VP_EXPIRED)', async () => {
    expectAllowed(
      await verify(await makePresentation({ claims: { exp: numericDate(at(-(TOLERANCE - 1))) } })),
    )
    expectRefused(
      await verify(await makePresentation({ claims: { exp: numericDate(at(-TOLERANCE)) } })),
      'ERR_VP_EXPIRED',
      'vp.exp',
    )
  })

  it('refuses an expired presentation (ERR_VP_EXPIRED)', async () => {
    const presented = await makePresentation({
      claims: { iat: numericDate(at(-900)), exp: numericDate(at(-600)) },
    })
    expectRefused(await verify(presented), 'ERR_VP_EXPIRED', 'vp.exp')
  })

  it('refuses a presentation issued in the future (ERR_VP_NOT_YET_VALID)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { iat: numericDate(at(3600)) } })),
      'ERR_VP_NOT_YET_VALID',
      'vp.iat',
    )
  })

  it('refuses a presentation with neither exp nor iat (ERR_VP_EXPIRED on freshness)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { exp: undefined, iat: undefined } })),
      'ERR_VP_EXPIRED',
      'vp.freshness',
    )
  })

  it('without exp, accepts a recent iat and refuses one older than maxPresentationAgeSec (ERR_VP_EXPIRED)', async () => {
    expectAllowed(await verify(await makePresentation({ claims: { exp: undefined } })))
    expectRefused(
      await verify(await makePresentation({ claims: { exp: undefined, iat: numericDate(at(-3600)) } })),
      'ERR_VP_EXPIRED',
      'vp.freshness',
    )
  })
})

describe('challenge and domain', () => {
  it('refuses a nonce that is not the challenge (ERR_CHALLENGE_MISMATCH)', async () => {
    const presented = await makePresentation({ challenge: store.issue(DOMAIN, 300, NOW) })
    const expected = store.issue(DOMAIN, 300, NOW)
    expectRefused(await verify({ ...presented, challenge: expected }), 'ERR_CHALLENGE_MISMATCH', 'vp.nonce')
  })

  it('refuses a presentation without a nonce when a challenge is expected (ERR_CHALLENGE_MISSING)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { nonce: undefined } })),
      'ERR_CHALLENGE_MISSING',
      'vp.nonce',
    )
  })

  it('refuses the replay of an accepted presentation (ERR_CHALLENGE_USED on the second call)', async () => {
    const presented = await makePresentation()
    expectAllowed(await verify(presented))
    expectRefused(await verify(presented), 'ERR_CHALLENGE_USED', 'challenge.single-use')
  })

  it('refuses a challenge this verifier never issued (ERR_CHALLENGE_UNKNOWN)', async () => {
    const presented = await makePresentation({ challenge: 'a-challenge-nobody-issued-0123456789' })
    expectRefused(await verify(presented), 'ERR_CHALLENGE_UNKNOWN', 'challenge.single-use')
  })

  it('refuses an expired challenge (ERR_CHALLENGE_EXPIRED)', async () => {
    const challenge = store.issue(DOMAIN, 60, at(-120))
    expectRefused(
      await verify(await makePresentation({ challenge })),
      'ERR_CHALLENGE_EXPIRED',
      'challenge.single-use',
    )
  })

  it('refuses a presentation whose aud is another verifier (ERR_DOMAIN_MISMATCH)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { aud: 'other-verifier.example' } })),
      'ERR_DOMAIN_MISMATCH',
      'vp.aud',
    )
    expectRefused(
      await verify(await makePresentation({ claims: { aud: undefined } })),
      'ERR_DOMAIN_MISMATCH',
      'vp.aud',
    )
  })

  it('refuses a challenge issued for another domain (ERR_DOMAIN_MISMATCH from the store)', async () => {
    const challenge = store.issue('other-verifier.example', 300, NOW)
    expectRefused(
      await verify(await makePresentation({ challenge })),
      'ERR_DOMAIN_MISMATCH',
      'challenge.single-use',
    )
  })

  it('accepts aud as an array containing the domain', async () => {
    expectAllowed(await verify(await makePresentation({ claims: { aud: ['someone-else.example', DOMAIN] } })))
  })

  it('does not let a forged presentation burn the challenge: a later genuine one succeeds', async () => {
    const challenge = store.issue(DOMAIN, 300, NOW)
    // the attacker saw the challenge and signs with its own key under the holder's kid
    const forged = await makePresentation({ challenge, signer: ATTACKER })
    expectRefused(await verify(forged), 'ERR_JWS_SIGNATURE', 'vp.signature')
    expect((await verify(forged)).checks.map((c) => c.check)).not.toContain('challenge.single-use')
    // nor does a genuine presentation meant for another verifier
    const elsewhere = await makePresentation({ challenge, claims: { aud: 'other-verifier.example' } })
    expectRefused(await verify(elsewhere), 'ERR_DOMAIN_MISMATCH', 'vp.aud')
    expectAllowed(await verify(await makePresentation({ challenge })))
  })

  it('throws InputError ERR_INPUT_INVALID for a challenge without a challenge store (a programmer error)', async () => {
    const presented = await makePresentation()
    const error = await verify(presented, { challenges: undefined }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).code).toBe('ERR_INPUT_INVALID')
  })
})

describe('holder binding', () => {
  it("refuses an agent presenting someone else's credential (ERR_HOLDER_MISMATCH)", async () => {
    const stolen = await makeCredential({ subject: OTHER_AGENT.did })
    expectRefused(
      await verify(await makePresentation({ credentials: [stolen] })),
      'ERR_HOLDER_MISMATCH',
      'vc[0].holder',
    )
  })

  it('refuses a presentation whose holder claim is not its signer (ERR_HOLDER_MISMATCH)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { holder: OTHER_AGENT.did } })),
      'ERR_HOLDER_MISMATCH',
      'vp.holder',
    )
  })

  it('refuses a presentation whose iss claim is not its signer (ERR_HOLDER_MISMATCH)', async () => {
    expectRefused(
      await verify(await makePresentation({ claims: { iss: OTHER_AGENT.did } })),
      'ERR_HOLDER_MISMATCH',
      'vp.iss',
    )
  })
})

describe('status', () => {
  const STATUS_ENTRY = {
    id: 'https://acme.example/status/1#94567',
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: '94567',
    statusListCredential: 'https://acme.example/status/1',
  }
  const withStatus = async () =>
    makePresentation({
      credentials: [await makeCredential({ claims: { credentialStatus: [STATUS_ENTRY] } })],
    })

  it('fails closed on a credentialStatus entry with no status checker (ERR_STATUS_UNCHECKABLE)', async () => {
    expectRefused(await verify(await withStatus()), 'ERR_STATUS_UNCHECKABLE', 'vc[0].credentialStatus[0]')
  })

  it('asks the checker about each entry, and accepts when it says ok', async () => {
    const asked: unknown[] = []
    const status: StatusChecker = {
      check: (request) => {
        asked.push(request)
        return { ok: true }
      },
    }
    const decision = await verify(await withStatus(), { status })
    expectAllowed(decision)
    expect(decision.checks).toContainEqual({ check: 'vc[0].credentialStatus[0]', ok: true })
    expect(asked).toEqual([{ entry: STATUS_ENTRY, credentialId: expect.any(String), issuer: ISSUER.did }])
  })

  it.each([
    ['revoked', 'ERR_STATUS_REVOKED'],
    ['suspended', 'ERR_STATUS_SUSPENDED'],
  ] as const)('refuses a %s credential (%s)', async (word, code) => {
    const status: StatusChecker = { check: async () => ({ ok: false, code, message: `credential ${word}` }) }
    expectRefused(await verify(await withStatus(), { status }), code, 'vc[0].credentialStatus[0]')
  })

  it('fails closed when the checker throws or rejects (ERR_STATUS_UNCHECKABLE)', async () => {
    const throwing: StatusChecker = {
      check: () => {
        throw new Error('status list unreachable')
      },
    }
    const rejecting: StatusChecker = { check: () => Promise.reject(new Error('timeout')) }
    for (const status of [throwing, rejecting]) {
      expectRefused(
        await verify(await withStatus(), { status }),
        'ERR_STATUS_UNCHECKABLE',
        'vc[0].credentialStatus[0]',
      )
    }
  })
})

describe('trust', () => {
  it('refuses an issuer in no organisation of the bundle (ERR_TRUST_ISSUER_UNKNOWN)', async () => {
    const credential = await makeCredential({ issuer: UNTRUSTED })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_TRUST_ISSUER_UNKNOWN',
      'vc[0].trust',
    )
  })

  it('refuses a role the organisation may not grant (ERR_TRUST_ROLE_NOT_ALLOWED)', async () => {
    // Initech may grant `auditor` only
    const credential = await makeCredential({ issuer: ISSUER_B })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_TRUST_ROLE_NOT_ALLOWED',
      'vc[0].trust',
    )
  })

  it('refuses a self-issued credential (issuer = subject = holder) even from a trusted issuer (ERR_TRUST_SELF_ISSUED)', async () => {
    const trust = addTrust(TRUST, { org: 'Acme', issuer: HOLDER.did })
    const credential = await makeCredential({ issuer: HOLDER })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] }), { trust }),
      'ERR_TRUST_SELF_ISSUED',
      'vc[0].trust',
    )
  })

  it('denies everything with an empty trust bundle', async () => {
    const decision = await verify(await makePresentation(), { trust: emptyTrustBundle() })
    expectRefused(decision, 'ERR_TRUST_ISSUER_UNKNOWN', 'vc[0].trust')
    expect(decision.credentials).toEqual([])
  })
})

describe('malformed credential content', () => {
  const present = async (options: CredentialOptions) =>
    verify(await makePresentation({ credentials: [await makeCredential(options)] }))

  it('refuses a credential without the AgentRoleCredential type (ERR_VC_MALFORMED)', async () => {
    expectRefused(
      await present({ claims: { type: ['VerifiableCredential'] } }),
      'ERR_VC_MALFORMED',
      'vc[0].role',
    )
  })

  it.each([
    ['not an array', 'read:tickets/*'],
    ['empty', []],
    ['a permission with an extra key', [{ action: 'read', resource: 'tickets/*', effect: 'allow' }]],
    ['a wildcard in the middle', [{ action: 'read', resource: 'tickets/*/comments' }]],
    ['a permission as text', ['read:tickets/*']],
  ])('refuses permissions %s (ERR_VC_MALFORMED)', async (_name, permissions) => {
    expectRefused(await present({ permissions }), 'ERR_VC_MALFORMED', 'vc[0].role')
  })

  it('refuses a credentialSubject without a role (ERR_VC_MALFORMED)', async () => {
    const credentialSubject = { id: HOLDER.did, permissions: [{ action: 'read', resource: 'tickets/*' }] }
    expectRefused(await present({ claims: { credentialSubject } }), 'ERR_VC_MALFORMED', 'vc[0].role')
  })

  it('refuses the VC-JWT 1.1 shape: a vc claim wrapper and the v1 context first (ERR_VC_MALFORMED)', async () => {
    const v11 = await makeCredential({
      rawPayload: () =>
        JSON.stringify({
          iss: ISSUER.did,
          sub: HOLDER.did,
          nbf: numericDate(at(-DAY)),
          exp: numericDate(at(30 * DAY)),
          vc: {
            '@context': ['https://www.w3.org/2018/credentials/v1'],
            type: ['VerifiableCredential', 'AgentRoleCredential'],
            credentialSubject: {
              id: HOLDER.did,
              role: 'support-agent',
              permissions: [{ action: 'read', resource: 'tickets/*' }],
            },
          },
        }),
    })
    const decision = await verify(await makePresentation({ credentials: [v11] }))
    expectRefused(decision, 'ERR_VC_MALFORMED', 'vc[0].claims')
    expect(decision.checks).toContainEqual(
      expect.objectContaining({ check: 'vc[0].@context', ok: false, code: 'ERR_VC_MALFORMED' }),
    )
  })

  it('refuses a v1 context first, even in an otherwise VC 2.0 payload (ERR_VC_MALFORMED)', async () => {
    expectRefused(
      await present({ claims: { '@context': ['https://www.w3.org/2018/credentials/v1', V2] } }),
      'ERR_VC_MALFORMED',
      'vc[0].@context',
    )
  })

  it('refuses a plain embedded (unsecured) credential in the presentation (ERR_VP_MALFORMED)', async () => {
    const plain = {
      '@context': [V2],
      type: ['VerifiableCredential', 'AgentRoleCredential'],
      issuer: ISSUER.did,
      credentialSubject: {
        id: HOLDER.did,
        role: 'support-agent',
        permissions: [{ action: 'read', resource: 'tickets/*' }],
      },
    }
    expectRefused(
      await verify(await makePresentation({ claims: { verifiableCredential: [plain] } })),
      'ERR_VP_MALFORMED',
      'vp.verifiableCredential',
    )
  })

  it('refuses a presentation with zero credentials, or none at all (ERR_POLICY_NO_CREDENTIALS)', async () => {
    for (const verifiableCredential of [[], undefined]) {
      const decision = await verify(await makePresentation({ claims: { verifiableCredential } }))
      expectRefused(decision, 'ERR_POLICY_NO_CREDENTIALS', 'vp.verifiableCredential')
      expect(decision.credentials).toEqual([])
    }
  })
})

describe('prototype pollution (raw JSON text, never object literals)', () => {
  afterEach(() => {
    expect(polluted()).toBeUndefined()
  })

  const permissionsJson = JSON.stringify([{ action: 'read', resource: 'tickets/*' }])
  /** A credential whose credentialSubject is the given JSON text. */
  const subjectText = (text: string) =>
    makeCredential({
      claims: { credentialSubject: 'SUBJECT' },
      rawPayload: (j) => j.replace('"SUBJECT"', text),
    })

  it('a credentialSubject whose id, role and permissions sit under __proto__ is malformed (ERR_VC_MALFORMED)', async () => {
    const credential = await subjectText(
      `{"__proto__":{"id":"${HOLDER.did}","role":"support-agent","permissions":${permissionsJson},"polluted":"yes"}}`,
    )
    const decision = await verify(await makePresentation({ credentials: [credential] }))
    expectRefused(decision, 'ERR_VC_MALFORMED', 'vc[0].role')
    expect(polluted()).toBeUndefined()
  })

  it('a credentialSubject whose role and permissions sit under constructor / prototype is malformed (ERR_VC_MALFORMED)', async () => {
    for (const key of ['constructor', 'prototype']) {
      const credential = await subjectText(
        `{"id":"${HOLDER.did}","${key}":{"role":"support-agent","permissions":${permissionsJson}}}`,
      )
      expectRefused(
        await verify(await makePresentation({ credentials: [credential] })),
        'ERR_VC_MALFORMED',
        'vc[0].role',
      )
    }
  })

  it('a permission carrying a __proto__ member is malformed (ERR_VC_MALFORMED)', async () => {
    for (const permission of [
      '{"action":"read","resource":"tickets/*","__proto__":{"polluted":"yes"}}',
      '{"__proto__":{"action":"read","resource":"tickets/*"}}',
    ]) {
      const credential = await subjectText(
        `{"id":"${HOLDER.did}","role":"support-agent","permissions":[${permission}]}`,
      )
      expectRefused(
        await verify(await makePresentation({ credentials: [credential] })),
        'ERR_VC_MALFORMED',
        'vc[0].role',
      )
    }
  })

  it('a credential type under __proto__ does not count (ERR_VC_MALFORMED)', async () => {
    const credential = await makeCredential({
      claims: { type: undefined },
      rawPayload: (j) =>
        `{"__proto__":{"type":["VerifiableCredential","AgentRoleCredential"],"polluted":"yes"},${j.slice(1)}`,
    })
    expectRefused(
      await verify(await makePresentation({ credentials: [credential] })),
      'ERR_VC_MALFORMED',
      'vc[0].type',
    )
  })

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])(
    'a role named %s never matches a trust bundle role (ERR_TRUST_ROLE_NOT_ALLOWED)',
    async (role) => {
      const credential = await makeCredential({ role })
      expectRefused(
        await verify(await makePresentation({ credentials: [credential] })),
        'ERR_TRUST_ROLE_NOT_ALLOWED',
        'vc[0].trust',
      )
    },
  )

  it.each([
    ['kid', 'ERR_JWS_KID'],
    ['alg', 'ERR_JWS_ALG'],
    ['typ', 'ERR_JWS_TYP'],
  ] as const)(
    'a header %s under __proto__ / constructor / prototype does not count (%s)',
    async (name, code) => {
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const presented = await makePresentation({
          header: { [name]: undefined },
          rawHeader: (j) => {
            const inherited = JSON.stringify({
              alg: 'EdDSA',
              typ: 'vp+jwt',
              kid: HOLDER.kid,
              polluted: 'yes',
            })
            return `{"${key}":${inherited},${j.slice(1)}`
          },
        })
        expectRefused(await verify(presented), code, 'vp.jws')
      }
    },
  )

  it('a nonce or aud under __proto__ does not count (ERR_CHALLENGE_MISSING, ERR_DOMAIN_MISMATCH)', async () => {
    const hidden = (member: 'nonce' | 'aud') => {
      const challenge = store.issue(DOMAIN, 300, NOW)
      return makePresentation({
        challenge,
        claims: { [member]: undefined },
        rawPayload: (j) =>
          `{"__proto__":{"nonce":"${challenge}","aud":"${DOMAIN}","polluted":"yes"},${j.slice(1)}`,
      })
    }
    const noNonce = await hidden('nonce')
    expect(Buffer.from(noNonce.token.split('.')[1] ?? '', 'base64url').toString()).toContain(
      `"__proto__":{"nonce":"${noNonce.challenge}"`,
    )
    expectRefused(await verify(noNonce), 'ERR_CHALLENGE_MISSING', 'vp.nonce')
    expectRefused(await verify(await hidden('aud')), 'ERR_DOMAIN_MISMATCH', 'vp.aud')
  })

  it('credentials under __proto__ are not presented (ERR_POLICY_NO_CREDENTIALS)', async () => {
    const credential = await makeCredential()
    const presented = await makePresentation({
      claims: { verifiableCredential: undefined },
      rawPayload: (j) =>
        `{"__proto__":{"verifiableCredential":[${JSON.stringify(envelope(credential))}]},${j.slice(1)}`,
    })
    expectRefused(await verify(presented), 'ERR_POLICY_NO_CREDENTIALS', 'vp.verifiableCredential')
  })

  it('an envelope whose type sits under __proto__ is malformed (ERR_VP_MALFORMED)', async () => {
    const credential = await makeCredential()
    const entry = `{"@context":"${V2}","__proto__":{"type":"EnvelopedVerifiableCredential"},"id":"data:application/vc+jwt,${credential}"}`
    const presented = await makePresentation({
      claims: { verifiableCredential: 'ENVELOPES' },
      rawPayload: (j) => j.replace('"ENVELOPES"', `[${entry}]`),
    })
    expectRefused(await verify(presented), 'ERR_VP_MALFORMED', 'vp.verifiableCredential')
  })

  it.each(['__proto__', 'constructor', 'prototype'])(
    'a trust bundle naming an organisation or role %s is refused as invalid options (InputError ERR_TRUST_BUNDLE_INVALID)',
    async (name) => {
      const texts = [
        `{"type":"TesseraTrustBundle","version":1,"organisations":{"${name}":{"issuers":["${ISSUER.did}"],"roles":{"support-agent":{"ceiling":["read:tickets/*"]}}}}}`,
        `{"type":"TesseraTrustBundle","version":1,"organisations":{"Acme":{"issuers":["${ISSUER.did}"],"roles":{"${name}":{"ceiling":["read:tickets/*"]},"support-agent":{"ceiling":["read:tickets/*"]}}}}}`,
      ]
      for (const text of texts) {
        const trust = JSON.parse(text) as TrustBundle
        const error = await verify(await makePresentation(), { trust }).catch((err: unknown) => err)
        expect(error).toBeInstanceOf(InputError)
        expect((error as InputError).code).toBe('ERR_TRUST_BUNDLE_INVALID')
      }
    },
  )
})

describe('bad input is a Decision, bad options throw', () => {
  it.each([
    ['a number', 42],
    ['undefined', undefined],
    ['null', null],
    ['an array', ['a.b.c']],
  ])(
    'returns ERR_JWS_MALFORMED for %s as the presentation, without throwing',
    async (_name, presentation) => {
      const decision = await verifyPresentation({
        presentation: presentation as unknown as string,
        domain: DOMAIN,
        trust: TRUST,
        request: REQUEST,
        now: NOW,
      })
      expectRefused(decision, 'ERR_JWS_MALFORMED', 'vp.jws')
      expect(decision.credentials).toEqual([])
    },
  )

  it('returns ERR_VP_UNSIGNED for an object with no proof (a Data Integrity presentation must be secured)', async () => {
    const decision = await verifyPresentation({
      presentation: { token: 'a.b.c' },
      domain: DOMAIN,
      trust: TRUST,
      request: REQUEST,
      now: NOW,
    })
    expectRefused(decision, 'ERR_VP_UNSIGNED', 'vp.proof')
    expect(decision.credentials).toEqual([])
  })

  it.each([
    ['an empty string', ''],
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['padding', 'eyJhIjoxfQ==.eyJhIjoxfQ.c2ln'],
  ])('returns ERR_JWS_MALFORMED for %s', async (_name, presentation) => {
    expectRefused(
      await verify({ token: presentation, challenge: 'unused-challenge' }),
      'ERR_JWS_MALFORMED',
      'vp.jws',
    )
  })

  it('throws InputError when no trust bundle is given (a JS caller, a lost worker message): never verified without trust', async () => {
    const presented = await makePresentation()
    const error = await verify(presented, {
      trust: undefined as unknown as TrustBundle,
      request: undefined,
    }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).code).toBe('ERR_INPUT_INVALID')
  })

  it('throws InputError for an allow-list naming a symmetric algorithm (a programmer error, not a Decision)', async () => {
    const presented = await makePresentation()
    const error = await verify(presented, { algorithms: ['HS256' as JwsAlg] }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).code).toBe('ERR_INPUT_INVALID')
  })

  it('throws InputError for impossible limits (a programmer error, not a Decision)', async () => {
    for (const limits of [
      { maxJsonDepth: 0 },
      { maxPresentationTokenLength: -1 },
      { maxCredentialsPerPresentation: 1.5 },
    ]) {
      const error = await verify(await makePresentation(), { limits }).catch((err: unknown) => err)
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).code).toBe('ERR_INPUT_INVALID')
    }
  })
})

// ---------------------------------------------------------------------------------------------------------

describe('interop with jose', () => {
  it('(b) verifies a credential and presentation built entirely with jose (CompactSign, SignJWT) to VC-JOSE-COSE', async () => {
    const id = 'urn:uuid:3f0d8f2e-9a4b-4c5d-8e6f-7a8b9c0d1e2f'
    const credential = await makeCredential({ id })
    // the fixture credential is a plain jose CompactSign token, and jose verifies it with the issuer's key
    const issuerKey = await importJWK(publicKeyJwk(parseDidKey(ISSUER.did)) as JWK, 'EdDSA')
    const { protectedHeader } = await compactVerify(credential, issuerKey)
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'vc+jwt', kid: ISSUER.kid })
    // the presentation is made with jose's JWT API, as any JOSE library would
    const challenge = store.issue(DOMAIN, 300, NOW)
    const token = await new SignJWT({
      '@context': [V2],
      type: ['VerifiablePresentation'],
      holder: HOLDER.did,
      verifiableCredential: [envelope(credential)],
      nonce: challenge,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'vp+jwt', kid: HOLDER.kid })
      .setIssuer(HOLDER.did)
      .setAudience(DOMAIN)
      .setIssuedAt(numericDate(NOW))
      .setExpirationTime(numericDate(at(300)))
      .sign(HOLDER.privateKey)
    const decision = await verify({ token, challenge })
    expectAllowed(decision)
    expect(decision.grantedBy?.credentialId).toBe(id)
    expect(decision.checks.map((c) => c.check)).toEqual([
      ...CHECKS_OF_VP,
      ...checksOfCredential(0),
      'challenge.single-use',
      'authorize',
    ])
  })

  describe('(a) a credential issued by our issuer', () => {
    let root: string
    let home: Home
    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'tessera-verify-'))
      const dir = join(root, 'home')
      await initHome({ dir, org: 'Acme', env: {}, migrations: credentialsMigrations })
      home = await openHome({ dir, env: {}, migrations: credentialsMigrations })
    })
    afterAll(async () => {
      await home?.close()
      rmSync(root, { recursive: true, force: true })
    })

    it('verifies with jose compactVerify / jwtVerify from the DID key, with typ vc+jwt; the round trip verifies with ours', async () => {
      const agent = await createAgentIdentity(home, { name: 'Helpdesk bot', type: 'support-agent' })
      const issued = await issueRoleCredential(
        home,
        { agent: agent.did, role: 'support-agent', permissions: [{ action: 'read', resource: 'tickets/*' }] },
        { now: NOW },
      )
      const orgKey = await importJWK(publicKeyJwk(parseDidKey(home.org.did)) as JWK, 'EdDSA')
      const { protectedHeader } = await compactVerify(issued.jwt, orgKey)
      expect(protectedHeader).toEqual({
        alg: 'EdDSA',
        typ: 'vc+jwt',
        kid: `${home.org.did}#${home.org.did.slice('did:key:'.length)}`,
      })
      const { payload } = await jwtVerify(issued.jwt, orgKey, {
        typ: 'vc+jwt',
        algorithms: ['EdDSA'],
        issuer: home.org.did,
        subject: agent.did,
        currentDate: NOW,
      })
      expect(payload).toMatchObject({
        '@context': [V2],
        id: issued.id,
        jti: issued.id,
        type: ['VerifiableCredential', 'AgentRoleCredential'],
        issuer: home.org.did,
        credentialSubject: { id: agent.did, role: 'support-agent' },
      })
      // jose refuses it as anything but a vc+jwt
      await expect(jwtVerify(issued.jwt, orgKey, { typ: 'vp+jwt', currentDate: NOW })).rejects.toThrow()

      // the whole loop: our presenter, jose checks the presentation, our verifier decides
      const challenge = store.issue(DOMAIN, 300, NOW)
      const token = await createPresentation(home, {
        holder: agent.did,
        credentials: [issued.jwt],
        challenge,
        domain: DOMAIN,
        now: NOW,
      })
      const agentKey = await importJWK(publicKeyJwk(parseDidKey(agent.did)) as JWK, 'EdDSA')
      const vp = await jwtVerify(token, agentKey, { typ: 'vp+jwt', audience: DOMAIN, currentDate: NOW })
      expect(vp.payload.nonce).toBe(challenge)
      expect(decodeJwt(token).iss).toBe(agent.did)
      const trust = addTrust(emptyTrustBundle(), {
        org: 'Acme',
        issuer: home.org.did,
        role: 'support-agent',
        permissions: ['read:tickets/*'],
      })
      const decision = await verify({ token, challenge }, { trust })
      expectAllowed(decision)
      expect(decision.grantedBy).toMatchObject({ credentialId: issued.id, issuer: home.org.did })
    })
  })
})
