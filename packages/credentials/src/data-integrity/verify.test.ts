/**
 * The verifier on Data Integrity (eddsa-rdfc-2022) credentials and presentations: the same checks and result
 * shapes as vc+jwt, every negative asserting its code and check. Keys are node:crypto ones (test fixtures);
 * the Veramo-backed signer is covered in sign.test.ts and the cross-package suite.
 */
import type { ErrorCode } from '@tessera/core'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { beforeAll, describe, expect, it } from 'vitest'
import { forgeProof, type TestKey, testKey } from '../../../../test/data-integrity-fixtures.js'
import { memoryChallengeStore } from '../challenge.js'
import { signCredentialJwt } from '../issue.js'
import { signCompactJws } from '../jws.js'
import { envelopeCredential } from '../present.js'
import type { StatusChecker } from '../status-check.js'
import {
  type CredentialVerification,
  type Decision,
  type PresentationVerification,
  verifyCredential,
  verifyPresentation,
  verifyPresentationWithOptionalTrust,
} from '../verify.js'
import { CREDENTIALS_V2_CONTEXT_URL, ROLE_CREDENTIAL_DI_CONTEXTS } from './contexts.js'
import { signDataIntegrityCredential, signDataIntegrityPresentation } from './sign.js'

const DOMAIN = 'api.globex.example'
const ROLE = 'support-agent'
const NOW = new Date('2026-03-01T12:00:00Z')
const REQUEST = { action: 'read', resource: 'tickets/42' }
const STATUS_ID = 'https://acme.tessera.invalid/status/1-revocation#7'

let issuer: TestKey
let agent: TestKey
let other: TestKey
let trust: TrustBundle
const revoked = new Set<string>()
const status: StatusChecker = {
  check: ({ entry }) => {
    const id = (entry as { id?: unknown }).id
    return typeof id === 'string' && revoked.has(id)
      ? { ok: false, code: 'ERR_STATUS_REVOKED', message: `${id} is revoked` }
      : { ok: true }
  },
}

beforeAll(() => {
  issuer = testKey()
  agent = testKey()
  other = testKey()
  trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: issuer.did,
    role: ROLE,
    permissions: ['read:tickets/*'],
  })
})

function roleCredential(overrides: Record<string, unknown> = {}, subject: Record<string, unknown> = {}) {
  return {
    '@context': [...ROLE_CREDENTIAL_DI_CONTEXTS],
    id: 'urn:uuid:3f0a7c2e-8d5b-4e1a-9c6f-2b7d4e8a1c30',
    type: ['VerifiableCredential', 'AgentRoleCredential'],
    issuer: issuer.did,
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2026-12-31T00:00:00Z',
    credentialSubject: {
      id: agent.did,
      role: ROLE,
      permissions: [{ action: 'read', resource: 'tickets/*' }],
      ...subject,
    },
    ...overrides,
  }
}

const CREATED = new Date('2026-03-01T11:59:00Z')

function issue(credential: Record<string, unknown> = roleCredential(), signer = issuer.signer) {
  return signDataIntegrityCredential({ credential, signer, created: CREATED })
}

function presentation(credentials: unknown[], holder = agent.did): Record<string, unknown> {
  return {
    '@context': [CREDENTIALS_V2_CONTEXT_URL],
    type: ['VerifiablePresentation'],
    holder,
    verifiableCredential: credentials,
  }
}

function present(
  credentials: unknown[],
  options: { signer?: TestKey; challenge?: string; domain?: string; holder?: string; created?: Date } = {},
) {
  const signer = options.signer ?? agent
  return signDataIntegrityPresentation({
    presentation: presentation(credentials, options.holder ?? signer.did),
    signer: signer.signer,
    ...(options.challenge === undefined ? {} : { challenge: options.challenge }),
    domain: options.domain ?? DOMAIN,
    created: options.created ?? CREATED,
  })
}

type Result = CredentialVerification | PresentationVerification | Decision

function codes(result: Result): ErrorCode[] {
  return result.errors.map((e) => e.code)
}

/** Refused with `code`, and the failing check is `check`. */
function expectRefused(result: Result, code: ErrorCode, check: string): void {
  expect(result.verified).toBe(false)
  expect(codes(result)).toContain(code)
  expect(result.checks).toContainEqual(expect.objectContaining({ check, ok: false, code }))
}

const verifyVc = (credential: unknown, extra: Partial<Parameters<typeof verifyCredential>[0]> = {}) =>
  verifyCredential({ credential: credential as Record<string, unknown>, now: NOW, status, ...extra })

describe('verifyCredential on a Data Integrity credential', () => {
  it('verifies: proof, purpose, did:key method, canonical hash, signature, then the vc+jwt checks', async () => {
    const credential = await issue()
    const before = JSON.stringify(credential)
    const result = await verifyVc(credential, { trust, holder: agent.did })
    expect(result.errors).toEqual([])
    expect(result.verified).toBe(true)
    expect(result.notEvaluated).toEqual([])
    expect(result.checks.map((c) => c.check)).toEqual([
      'vc.document',
      'vc.proof',
      'vc.proofPurpose',
      'vc.verificationMethod',
      'vc.jsonld',
      'vc.signature',
      'vc.proof.created',
      'vc.@context',
      'vc.type',
      'vc.claims',
      'vc.id',
      'vc.issuer',
      'vc.credentialSubject',
      'vc.validFrom',
      'vc.validUntil',
      'vc.validityPeriod',
      'vc.issuerKey',
      'vc.role',
      'vc.holder',
      'vc.trust',
    ])
    expect(result.credential).toMatchObject({
      id: 'urn:uuid:3f0a7c2e-8d5b-4e1a-9c6f-2b7d4e8a1c30',
      issuer: issuer.did,
      subject: agent.did,
      role: ROLE,
      permissions: [{ action: 'read', resource: 'tickets/*' }],
      org: 'Acme',
      effective: [{ action: 'read', resource: 'tickets/*' }],
      securedBy: 'eddsa-rdfc-2022',
    })
    expect(result.credential?.credential).toEqual(credential)
    expect(JSON.stringify(credential)).toBe(before)
  })

  it('refuses a tampered claim (ERR_PROOF_SIGNATURE): role, permission, subject, validUntil', async () => {
    const credential = await issue()
    const subject = credential.credentialSubject as Record<string, unknown>
    for (const tampered of [
      { ...credential, credentialSubject: { ...subject, role: 'admin' } },
      { ...credential, credentialSubject: { ...subject, permissions: [{ action: '*', resource: '*' }] } },
      { ...credential, credentialSubject: { ...subject, id: other.did } },
      { ...credential, validUntil: '2036-12-31T00:00:00Z' },
    ]) {
      const result = await verifyVc(tampered, { trust })
      expectRefused(result, 'ERR_PROOF_SIGNATURE', 'vc.signature')
      expect(result.credential).toBeUndefined()
    }
  })

  it('refuses a tampered proof: proofValue, created (ERR_PROOF_SIGNATURE); a malformed proofValue (ERR_PROOF_MALFORMED)', async () => {
    const credential = await issue()
    const proof = credential.proof as Record<string, string>
    const value = proof.proofValue as string
    const flipped = `${value.slice(0, 10)}${value[10] === 'A' ? 'B' : 'A'}${value.slice(11)}`
    expectRefused(
      await verifyVc({ ...credential, proof: { ...proof, proofValue: flipped } }),
      'ERR_PROOF_SIGNATURE',
      'vc.signature',
    )
    expectRefused(
      await verifyVc({ ...credential, proof: { ...proof, created: '2026-03-01T11:58:00Z' } }),
      'ERR_PROOF_SIGNATURE',
      'vc.signature',
    )
    for (const proofValue of [`u${value.slice(1)}`, 'z', 'z0OIl', `z${value.slice(1, 40)}`, 42]) {
      expectRefused(
        await verifyVc({ ...credential, proof: { ...proof, proofValue } }),
        'ERR_PROOF_MALFORMED',
        'vc.proof',
      )
    }
  })

  it('accepts only DataIntegrityProof with eddsa-rdfc-2022 (ERR_PROOF_CRYPTOSUITE)', async () => {
    const credential = roleCredential()
    for (const proof of [
      { cryptosuite: 'ecdsa-rdfc-2019' },
      { cryptosuite: 'eddsa-jcs-2022' },
      { cryptosuite: 'bbs-2023' },
      { type: 'Ed25519Signature2020', cryptosuite: undefined },
      { type: 'JsonWebSignature2020' },
    ]) {
      const forged = await forgeProof(credential, issuer, proof)
      expectRefused(await verifyVc(forged), 'ERR_PROOF_CRYPTOSUITE', 'vc.proof')
    }
  })

  it('refuses a missing proof, a proof set, and proofs missing members (ERR_PROOF_MALFORMED)', async () => {
    const credential = await issue()
    const proof = credential.proof as Record<string, unknown>
    const { verificationMethod: _vm, ...noVm } = proof
    const { proofPurpose: _pp, ...noPurpose } = proof
    for (const bad of [
      roleCredential(),
      { ...credential, proof: [proof, proof] },
      { ...credential, proof: 'z123' },
      { ...credential, proof: noVm },
      { ...credential, proof: noPurpose },
      { ...credential, proof: { ...proof, created: '2026-03-01' } },
      { ...credential, proof: { ...proof, domain: 42 } },
      { ...credential, proof: { ...proof, previousProof: 'urn:uuid:1' } },
      { ...credential, proof: { ...proof, '@context': ['https://www.w3.org/ns/credentials/v2'] } },
    ]) {
      expectRefused(await verifyVc(bad), 'ERR_PROOF_MALFORMED', 'vc.proof')
    }
  })

  it('refuses a validly signed proof with the wrong purpose (ERR_PROOF_PURPOSE)', async () => {
    for (const proofPurpose of ['authentication', 'capabilityInvocation', 'keyAgreement']) {
      const forged = await forgeProof(roleCredential(), issuer, { proofPurpose })
      expectRefused(await verifyVc(forged), 'ERR_PROOF_PURPOSE', 'vc.proofPurpose')
    }
  })

  it("refuses a proof by another DID's key (ERR_VC_ISSUER_MISMATCH): the proof's controller must be the issuer", async () => {
    const forged = await forgeProof(roleCredential(), other)
    const result = await verifyVc(forged, { trust })
    expectRefused(result, 'ERR_VC_ISSUER_MISMATCH', 'vc.issuerKey')
    // The signature itself is fine: it is the binding to the issuer that fails.
    expect(result.checks).toContainEqual({ check: 'vc.signature', ok: true })
  })

  it('refuses a verification method that is not a did:key signing key (ERR_DID_*)', async () => {
    const fragment = issuer.did.slice('did:key:'.length)
    for (const [verificationMethod, code] of [
      [issuer.did, 'ERR_DID_INVALID'],
      [`${issuer.did}#key-1`, 'ERR_DID_INVALID'],
      [`did:web:acme.example#${fragment}`, 'ERR_DID_METHOD_NOT_SUPPORTED'],
      [`https://acme.example/issuers/1#${fragment}`, 'ERR_DID_INVALID'],
    ] as const) {
      const forged = await forgeProof(roleCredential(), issuer, { verificationMethod })
      const result = await verifyVc(forged)
      expectRefused(result, code, 'vc.verificationMethod')
      expect(codes(result)).toEqual([code])
    }
  })

  it('refuses a context that is not bundled (ERR_CONTEXT_UNKNOWN) and undefined terms (ERR_JSONLD_INVALID)', async () => {
    const credential = await issue()
    const unknown = { ...credential, '@context': [CREDENTIALS_V2_CONTEXT_URL, 'https://schema.org/'] }
    expectRefused(await verifyVc(unknown), 'ERR_CONTEXT_UNKNOWN', 'vc.jsonld')
    const inline = {
      ...credential,
      '@context': [CREDENTIALS_V2_CONTEXT_URL, { '@import': 'https://evil.example/ctx' }],
    }
    expect(codes(await verifyVc(inline))).toContain('ERR_CONTEXT_UNKNOWN')
    const undefinedTerms = { ...credential, '@context': [CREDENTIALS_V2_CONTEXT_URL] }
    expectRefused(await verifyVc(undefinedTerms), 'ERR_JSONLD_INVALID', 'vc.jsonld')
  })

  it('refuses an expired or not yet valid credential (ERR_VC_EXPIRED / ERR_VC_NOT_YET_VALID), proof times too', async () => {
    const credential = await issue()
    expectRefused(
      await verifyVc(credential, { now: new Date('2027-01-01T00:00:00Z') }),
      'ERR_VC_EXPIRED',
      'vc.validUntil',
    )
    expectRefused(
      await verifyVc(credential, { now: new Date('2025-12-01T00:00:00Z') }),
      'ERR_VC_NOT_YET_VALID',
      'vc.validFrom',
    )
    const expiring = await forgeProof(roleCredential(), issuer, { expires: '2026-02-01T00:00:00Z' })
    expectRefused(await verifyVc(expiring), 'ERR_VC_EXPIRED', 'vc.proof.expires')
    const future = await forgeProof(roleCredential(), issuer, { created: '2026-06-01T00:00:00Z' })
    expectRefused(await verifyVc(future), 'ERR_VC_NOT_YET_VALID', 'vc.proof.created')
  })

  it('checks status entries: revoked (ERR_STATUS_REVOKED), no checker (ERR_STATUS_UNCHECKABLE)', async () => {
    const entry = {
      id: STATUS_ID,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '7',
      statusListCredential: 'https://acme.tessera.invalid/status/1-revocation',
    }
    const credential = await issue(roleCredential({ credentialStatus: [entry] }))
    expect((await verifyVc(credential, { trust })).verified).toBe(true)
    revoked.add(STATUS_ID)
    try {
      expectRefused(await verifyVc(credential, { trust }), 'ERR_STATUS_REVOKED', 'vc.credentialStatus[0]')
    } finally {
      revoked.delete(STATUS_ID)
    }
    expectRefused(
      await verifyCredential({ credential, now: NOW }),
      'ERR_STATUS_UNCHECKABLE',
      'vc.credentialStatus[0]',
    )
  })

  it('refuses an untrusted issuer, a role the issuer may not grant, a holder mismatch', async () => {
    const untrustedIssuer = testKey()
    const foreign = await issue(roleCredential({ issuer: untrustedIssuer.did }), untrustedIssuer.signer)
    expectRefused(await verifyVc(foreign, { trust }), 'ERR_TRUST_ISSUER_UNKNOWN', 'vc.trust')
    const admin = await issue(roleCredential({}, { role: 'admin' }))
    expectRefused(await verifyVc(admin, { trust }), 'ERR_TRUST_ROLE_NOT_ALLOWED', 'vc.trust')
    expectRefused(await verifyVc(await issue(), { holder: other.did }), 'ERR_HOLDER_MISMATCH', 'vc.holder')
  })

  it('without trust, any VC DM 2.0 credential verifies and nothing is trusted', async () => {
    const credential = await issue({
      '@context': [CREDENTIALS_V2_CONTEXT_URL, 'https://www.w3.org/ns/credentials/examples/v2'],
      type: ['VerifiableCredential', 'ExampleAlumniCredential'],
      issuer: issuer.did,
      validFrom: '2026-01-01T00:00:00Z',
      credentialSubject: { id: agent.did, alumniOf: 'The School of Examples' },
    })
    const result = await verifyVc(credential)
    expect(result.errors).toEqual([])
    expect(result.notEvaluated).toEqual(['trust', 'holder'])
    expect(result.credential).toMatchObject({
      role: undefined,
      org: undefined,
      effective: [],
      securedBy: 'eddsa-rdfc-2022',
    })
  })

  it('caps size and depth before any JSON-LD processing (ERR_SIZE_LIMIT), refuses non-JSON values (ERR_VC_MALFORMED)', async () => {
    const credential = await issue()
    const big = { ...credential, name: 'x'.repeat(20_000) }
    expectRefused(await verifyVc(big), 'ERR_SIZE_LIMIT', 'vc.document')
    let deep: unknown = 'leaf'
    for (let i = 0; i < 40; i++) deep = { a: deep }
    expectRefused(await verifyVc({ ...credential, evidence: deep }), 'ERR_SIZE_LIMIT', 'vc.document')
    const cyclic: Record<string, unknown> = { ...credential }
    cyclic.self = cyclic
    expectRefused(await verifyVc(cyclic), 'ERR_SIZE_LIMIT', 'vc.document')
    for (const value of [new Date(), () => 1, Number.NaN, undefined]) {
      expectRefused(await verifyVc({ ...credential, extra: value }), 'ERR_VC_MALFORMED', 'vc.document')
    }
    expect(
      codes(await verifyCredential({ credential, now: NOW, limits: { maxCredentialTokenLength: 500 } })),
    ).toEqual(['ERR_SIZE_LIMIT'])
  })

  it('takes an EnvelopedVerifiableCredential (vc+jwt) as well, and refuses a malformed envelope (ERR_VC_MALFORMED)', async () => {
    const jwt = await signCredentialJwt({ credential: roleCredential(), signer: issuer.jws, now: CREATED })
    const result = await verifyVc(envelopeCredential(jwt), { trust, holder: agent.did })
    expect(result.errors).toEqual([])
    expect(result.checks[0]).toEqual({ check: 'vc.envelope', ok: true })
    expect(result.credential?.securedBy).toBe('vc+jwt')
    const bad = { ...envelopeCredential(jwt), id: `data:application/vc+sd-jwt,${jwt}` }
    expectRefused(await verifyVc(bad), 'ERR_VC_MALFORMED', 'vc.envelope')
    expectRefused(await verifyVc(42), 'ERR_JWS_MALFORMED', 'vc.jws')
  })
})

describe('verifyPresentation on a Data Integrity presentation', () => {
  it('verifies and allows: the presentation proof, its challenge and domain, each credential, single use', async () => {
    const challenges = memoryChallengeStore()
    const challenge = challenges.issue(DOMAIN, 300, NOW)
    const vp = await present([await issue()], { challenge })
    const decision = await verifyPresentation({
      presentation: vp,
      domain: DOMAIN,
      challenge,
      challenges,
      trust,
      status,
      request: REQUEST,
      now: NOW,
    })
    expect(decision.errors).toEqual([])
    expect(decision.verified).toBe(true)
    expect(decision.allowed).toBe(true)
    expect(decision.holder).toBe(agent.did)
    expect(decision.grantedBy).toMatchObject({ role: ROLE, issuer: issuer.did })
    const names = decision.checks.map((c) => c.check)
    for (const name of [
      'vp.document',
      'vp.proof',
      'vp.proofPurpose',
      'vp.verificationMethod',
      'vp.jsonld',
      'vp.signature',
      'vp.@context',
      'vp.type',
      'vp.holder',
      'vp.challenge',
      'vp.domain',
      'vp.created',
      'vp.freshness',
      'vp.verifiableCredential',
      'vc[0].signature',
      'vc[0].holder',
      'vc[0].trust',
      'challenge.single-use',
      'authorize',
    ]) {
      expect(names).toContain(name)
    }
    // Single use: the same presentation again is refused.
    const replay = await verifyPresentation({
      presentation: vp,
      domain: DOMAIN,
      challenge,
      challenges,
      trust,
      status,
      now: NOW,
    })
    expectRefused(replay, 'ERR_CHALLENGE_USED', 'challenge.single-use')
  })

  it('carries enveloped vc+jwt credentials, alone or mixed with Data Integrity ones', async () => {
    const jwt = await signCredentialJwt({ credential: roleCredential(), signer: issuer.jws, now: CREATED })
    const di = await issue(roleCredential({ id: 'urn:uuid:second' }))
    for (const credentials of [[envelopeCredential(jwt)], [envelopeCredential(jwt), di]]) {
      const decision = await verifyPresentation({
        presentation: await present(credentials),
        domain: DOMAIN,
        trust,
        request: REQUEST,
        now: NOW,
      })
      expect(decision.errors).toEqual([])
      expect(decision.allowed).toBe(true)
      expect(decision.credentials).toHaveLength(credentials.length)
    }
  })

  it('refuses a wrong or missing challenge (ERR_CHALLENGE_MISMATCH / _MISSING) without using the challenge up', async () => {
    const challenges = memoryChallengeStore()
    const challenge = challenges.issue(DOMAIN, 300, NOW)
    const credential = await issue()
    const wrong = await present([credential], { challenge: 'another-challenge-0123456789' })
    const verify = (presentation: Record<string, unknown>) =>
      verifyPresentation({ presentation, domain: DOMAIN, challenge, challenges, trust, now: NOW })
    expectRefused(await verify(wrong), 'ERR_CHALLENGE_MISMATCH', 'vp.challenge')
    expectRefused(await verify(await present([credential])), 'ERR_CHALLENGE_MISSING', 'vp.challenge')
    const good = await verify(await present([credential], { challenge }))
    expect(good.errors).toEqual([])
  })

  it('refuses a wrong or missing domain (ERR_DOMAIN_MISMATCH); a domain list including ours is fine', async () => {
    const credential = await issue()
    const verify = async (presentation: Record<string, unknown>) =>
      verifyPresentation({ presentation, domain: DOMAIN, trust, now: NOW })
    expectRefused(
      await verify(await present([credential], { domain: 'api.other.example' })),
      'ERR_DOMAIN_MISMATCH',
      'vp.domain',
    )
    const forged = (proof: Record<string, unknown>) =>
      forgeProof(presentation([credential]), agent, {
        proofPurpose: 'authentication',
        created: CREATED.toISOString(),
        ...proof,
      })
    expectRefused(await verify(await forged({})), 'ERR_DOMAIN_MISMATCH', 'vp.domain')
    expect((await verify(await forged({ domain: ['api.other.example', DOMAIN] }))).errors).toEqual([])
  })

  it('refuses a validly signed presentation proof with purpose assertionMethod (ERR_PROOF_PURPOSE)', async () => {
    const forged = await forgeProof(presentation([await issue()]), agent, {
      domain: DOMAIN,
      created: CREATED.toISOString(),
    })
    expectRefused(
      await verifyPresentation({ presentation: forged, domain: DOMAIN, trust, now: NOW }),
      'ERR_PROOF_PURPOSE',
      'vp.proofPurpose',
    )
  })

  it("refuses a presentation signed by another DID's key than its holder's (ERR_HOLDER_MISMATCH)", async () => {
    const credential = await issue()
    // holder says agent, proof by other: the holder claim fails, and so does the credential's subject binding.
    const forged = await forgeProof(presentation([credential], agent.did), other, {
      proofPurpose: 'authentication',
      domain: DOMAIN,
      created: CREATED.toISOString(),
    })
    const decision = await verifyPresentation({ presentation: forged, domain: DOMAIN, trust, now: NOW })
    expectRefused(decision, 'ERR_HOLDER_MISMATCH', 'vp.holder')
    expectRefused(decision, 'ERR_HOLDER_MISMATCH', 'vc[0].holder')
    expect(decision.holder).toBe(other.did)
    // Without a holder claim, only the subject binding fails.
    const anonymous = await present([credential], { signer: other, holder: other.did })
    expectRefused(
      await verifyPresentation({ presentation: anonymous, domain: DOMAIN, trust, now: NOW }),
      'ERR_HOLDER_MISMATCH',
      'vc[0].holder',
    )
  })

  it('refuses a tampered presentation or embedded credential (ERR_PROOF_SIGNATURE)', async () => {
    const vp = await present([await issue()])
    const [credential] = vp.verifiableCredential as Record<string, unknown>[]
    const subject = credential?.credentialSubject as Record<string, unknown>
    const tampered = {
      ...vp,
      verifiableCredential: [{ ...credential, credentialSubject: { ...subject, role: 'admin' } }],
    }
    const decision = await verifyPresentation({ presentation: tampered, domain: DOMAIN, trust, now: NOW })
    expectRefused(decision, 'ERR_PROOF_SIGNATURE', 'vp.signature')
    expect(decision.credentials).toEqual([])
  })

  it('bounds presentations in time: an old proof (ERR_VP_EXPIRED), a long-lived one (ERR_VP_LIFETIME), a future one', async () => {
    const credential = await issue()
    const verify = (presentation: Record<string, unknown>) =>
      verifyPresentation({ presentation, domain: DOMAIN, trust, now: NOW })
    expectRefused(
      await verify(await present([credential], { created: new Date('2026-03-01T11:00:00Z') })),
      'ERR_VP_EXPIRED',
      'vp.freshness',
    )
    const forged = (proof: Record<string, unknown>) =>
      forgeProof(presentation([credential]), agent, {
        proofPurpose: 'authentication',
        domain: DOMAIN,
        ...proof,
      })
    expectRefused(
      await verify(await forged({ expires: '2026-03-02T12:00:00Z' })),
      'ERR_VP_LIFETIME',
      'vp.freshness',
    )
    expectRefused(
      await verify(await forged({ expires: '2026-03-01T11:00:00Z' })),
      'ERR_VP_EXPIRED',
      'vp.expires',
    )
    expectRefused(
      await verify(await forged({ created: '2026-03-01T13:00:00Z' })),
      'ERR_VP_NOT_YET_VALID',
      'vp.created',
    )
    expectRefused(await verify(await forged({ created: undefined })), 'ERR_VP_EXPIRED', 'vp.freshness')
  })

  it('refuses unsecured credentials (ERR_VP_MALFORMED), too many (ERR_VP_TOO_MANY_CREDENTIALS), none (ERR_POLICY_NO_CREDENTIALS)', async () => {
    const verify = async (credentials: unknown[], limits = {}) =>
      verifyPresentation({
        presentation: await present(credentials),
        domain: DOMAIN,
        trust,
        now: NOW,
        limits,
      })
    expectRefused(await verify([roleCredential()]), 'ERR_VP_MALFORMED', 'vp.verifiableCredential')
    const credential = await issue()
    expectRefused(
      await verify([credential, credential], { maxCredentialsPerPresentation: 1 }),
      'ERR_VP_TOO_MANY_CREDENTIALS',
      'vp.verifiableCredential',
    )
    expectRefused(await verify([]), 'ERR_POLICY_NO_CREDENTIALS', 'vp.verifiableCredential')
  })

  it('never accepts an unsigned presentation (ERR_VP_UNSIGNED)', async () => {
    const decision = await verifyPresentation({
      presentation: presentation([await issue()]),
      domain: DOMAIN,
      trust,
      now: NOW,
    })
    expectRefused(decision, 'ERR_VP_UNSIGNED', 'vp.proof')
    expect(decision.credentials).toEqual([])
  })

  it('takes an EnvelopedVerifiablePresentation (vp+jwt)', async () => {
    const jwt = await signCredentialJwt({ credential: roleCredential(), signer: issuer.jws, now: CREATED })
    const iat = Math.floor(NOW.getTime() / 1000)
    const vpJwt = await signCompactJws({
      header: { alg: 'EdDSA', typ: 'vp+jwt', kid: agent.vmId },
      payload: { ...presentation([envelopeCredential(jwt)]), aud: DOMAIN, iat, exp: iat + 60 },
      sign: agent.jws.sign,
    })
    const envelope = {
      '@context': CREDENTIALS_V2_CONTEXT_URL,
      type: 'EnvelopedVerifiablePresentation',
      id: `data:application/vp+jwt,${vpJwt}`,
    }
    const decision = await verifyPresentation({
      presentation: envelope,
      domain: DOMAIN,
      trust,
      request: REQUEST,
      now: NOW,
    })
    expect(decision.errors).toEqual([])
    expect(decision.allowed).toBe(true)
    expect(decision.checks[0]).toEqual({ check: 'vp.envelope', ok: true })
  })
})

describe('verifyPresentationWithOptionalTrust: Data Integrity and unsigned presentations', () => {
  it('verifies a Data Integrity presentation without a trust bundle (notEvaluated: trust)', async () => {
    const result = await verifyPresentationWithOptionalTrust({
      presentation: await present([await issue()], { challenge: 'c-0123456789abcdef' }),
      domain: DOMAIN,
      challenge: 'c-0123456789abcdef',
      now: NOW,
    })
    expect(result.errors).toEqual([])
    expect(result.verified).toBe(true)
    expect(result.securedBy).toBe('eddsa-rdfc-2022')
    expect(result.notEvaluated).toEqual(['trust', 'challenge.single-use'])
    expect(result.holder).toBe(agent.did)
    expect(result.credentials[0]?.securedBy).toBe('eddsa-rdfc-2022')
  })

  it('accepts an unsigned presentation only with allowUnsigned and no challenge; holder is then not evaluated', async () => {
    // Subject: someone else entirely. Without a proof nothing binds the credentials to anyone.
    const credential = await issue(roleCredential({}, { id: other.did }))
    const unsigned = presentation([credential])
    const base = { presentation: unsigned, domain: DOMAIN, trust, now: NOW }
    expectRefused(await verifyPresentationWithOptionalTrust(base), 'ERR_VP_UNSIGNED', 'vp.proof')
    expectRefused(
      await verifyPresentationWithOptionalTrust({
        ...base,
        allowUnsigned: true,
        challenge: 'c-0123456789abcdef',
      }),
      'ERR_VP_UNSIGNED',
      'vp.proof',
    )
    const result = await verifyPresentationWithOptionalTrust({ ...base, allowUnsigned: true })
    expect(result.errors).toEqual([])
    expect(result.verified).toBe(true)
    expect(result.securedBy).toBe('unsigned')
    expect(result.notEvaluated).toEqual(['holder'])
    expect(result.holder).toBeUndefined()
    expect(result.credentials.map((c) => c.subject)).toEqual([other.did])
    expect(result.checks.map((c) => c.check)).not.toContain('vc[0].holder')
    // The credentials inside are still verified.
    const subject = credential.credentialSubject as Record<string, unknown>
    const tampered = presentation([{ ...credential, credentialSubject: { ...subject, role: 'admin' } }])
    expectRefused(
      await verifyPresentationWithOptionalTrust({ ...base, presentation: tampered, allowUnsigned: true }),
      'ERR_PROOF_SIGNATURE',
      'vc[0].signature',
    )
    await expect(
      verifyPresentationWithOptionalTrust({ ...base, allowUnsigned: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })
})
