import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TesseraError } from '@tessera/core'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { verificationKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import {
  createAgent,
  type ICredentialPlugin,
  type IDIDManager,
  type IKeyManager,
  type IResolver,
  type IssuerAgentContext,
  type IVerifyResult,
  type TAgent,
  type VerifiableCredential,
} from '@veramo/core'
import { CredentialProviderJWT } from '@veramo/credential-jwt'
import { CredentialPlugin } from '@veramo/credential-w3c'
import { compactVerify, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryChallengeStore } from './challenge.js'
import { credentialsMigrations } from './migrations.js'
import { VcJoseCredentialProvider, type VcJoseVerifyResult } from './provider.js'
import type { StatusChecker } from './status-check.js'

type Agent = TAgent<ICredentialPlugin & IKeyManager & IDIDManager & IResolver>

const DOMAIN = 'api.partner.example'
const V2 = 'https://www.w3.org/ns/credentials/v2'
const HOUR = 3_600_000

let root: string
let home: Home
let agent: Agent
let orgDid: string
let agentDid: string
let trust: TrustBundle
const challenges = memoryChallengeStore()
const revoked = new Set<string>()
const status: StatusChecker = {
  check: ({ entry }) => {
    const id = (entry as { id?: unknown }).id
    return typeof id === 'string' && revoked.has(id)
      ? { ok: false, code: 'ERR_STATUS_REVOKED', message: `${id} is revoked` }
      : { ok: true }
  },
}
/** A verifier-only Veramo agent (no keys, no trust bundle): only the credential plugin. */
const untrusted = new VcJoseCredentialProvider({ status })
const verifierOnly = createAgent<ICredentialPlugin>({ plugins: [new CredentialPlugin([untrusted])] })

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-provider-'))
  const dir = join(root, 'home')
  orgDid = (await initHome({ dir, org: 'Acme', env: {}, migrations: credentialsMigrations })).did
  trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: orgDid,
    role: 'support-agent',
    permissions: ['read:tickets/*'],
  })
  // Ours first: Veramo's JWT provider claims every string and every object with proof.jwt.
  const provider = new VcJoseCredentialProvider({ trust, challenges, status })
  home = await openHome({
    dir,
    env: {},
    migrations: credentialsMigrations,
    plugins: [new CredentialPlugin([provider, new CredentialProviderJWT()])],
  })
  agent = home.agent as unknown as Agent
  agentDid = (await createAgentIdentity(home, { name: 'Support bot', type: 'support-agent' })).did
})
afterAll(async () => {
  await home?.close()
  rmSync(root, { recursive: true, force: true })
})

function roleCredential(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@context': [V2],
    type: ['VerifiableCredential', 'AgentRoleCredential'],
    issuer: orgDid,
    validUntil: new Date(Date.now() + 24 * HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    credentialSubject: {
      id: agentDid,
      role: 'support-agent',
      permissions: [{ action: 'read', resource: 'tickets/*' }],
    },
    ...overrides,
  }
}

async function issue(overrides: Record<string, unknown> = {}): Promise<VerifiableCredential> {
  return agent.createVerifiableCredential({
    credential: roleCredential(overrides) as never,
    proofFormat: 'vc+jwt',
  })
}

async function present(credentials: unknown[], challenge?: string): Promise<string> {
  const vp = await agent.createVerifiablePresentation({
    presentation: { holder: agentDid, verifiableCredential: credentials as never },
    proofFormat: 'vp+jwt',
    domain: DOMAIN,
    ...(challenge === undefined ? {} : { challenge }),
  })
  return vp.proof.jwt as string
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

/** Change the payload of a compact JWS and keep its header and signature. */
function tamper(jwt: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, , signature] = jwt.split('.')
  const payload = payloadOf(jwt)
  change(payload)
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`
}

/** The error codes of a verification result (Tessera's `errors`, which Veramo's IVerifyResult leaves untyped). */
function codes(result: IVerifyResult): string[] {
  return ((result.errors as { code: string }[] | undefined) ?? []).map((e) => e.code)
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return (err as TesseraError).code
  }
  throw new Error('expected a TesseraError')
}

describe('VcJoseCredentialProvider: issuing through agent.createVerifiableCredential', () => {
  it('secures a VC DM 2.0 credential as vc+jwt, without the issuanceDate Veramo adds', async () => {
    const input = roleCredential()
    const vc = await agent.createVerifiableCredential({ credential: input as never, proofFormat: 'vc+jwt' })
    // Veramo's CredentialPlugin mutates the caller's object before calling us: a VC 1.1 issuanceDate, and
    // the VC 1.1 context unshifted into the @context array. Neither reaches the signed credential.
    expect(input.issuanceDate).toEqual(expect.any(String))
    expect(input['@context']).toEqual(['https://www.w3.org/2018/credentials/v1', V2])

    const jwt = vc.proof.jwt as string
    expect(vc).toEqual({
      '@context': V2,
      type: 'EnvelopedVerifiableCredential',
      id: `data:application/vc+jwt,${jwt}`,
      proof: { jwt },
    })
    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: 'EdDSA',
      typ: 'vc+jwt',
      kid: `${orgDid}#${orgDid.slice('did:key:'.length)}`,
    })
    // Independent check of the signature: jose with the issuer's did:key public key.
    const { payload } = await compactVerify(jwt, verificationKey(orgDid).keyObject)
    const credential = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
    expect(credential['@context']).toEqual([V2])
    expect(credential.type).toEqual(['VerifiableCredential', 'AgentRoleCredential'])
    expect(credential).not.toHaveProperty('issuanceDate')
    expect(credential).not.toHaveProperty('vc')
    expect(credential.validFrom).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(Math.abs(Date.parse(credential.validFrom as string) - Date.now())).toBeLessThan(60_000)
    expect(credential.validUntil).toBe(input.validUntil)
    expect(credential).toMatchObject({
      iss: orgDid,
      sub: agentDid,
      nbf: Date.parse(credential.validFrom as string) / 1000,
      exp: Date.parse(credential.validUntil as string) / 1000,
    })
  })

  it('keeps a given validFrom and accepts Date objects', async () => {
    const validFrom = new Date(Date.now() - HOUR)
    const vc = await issue({ validFrom })
    const credential = payloadOf(vc.proof.jwt as string)
    expect(credential.validFrom).toBe(`${validFrom.toISOString().slice(0, 19)}Z`)
  })

  it('refuses VC 1.1 inputs and other proof formats', async () => {
    const v1 = 'https://www.w3.org/2018/credentials/v1'
    expect(await codeOf(issue({ '@context': [V2, v1] }))).toBe('ERR_INPUT_INVALID')
    expect(await codeOf(issue({ expirationDate: new Date().toISOString() }))).toBe('ERR_INPUT_INVALID')
    expect(await codeOf(issue({ validUntil: 'next tuesday' }))).toBe('ERR_INPUT_INVALID')
    expect(await codeOf(issue({ credentialSubject: 'not an object' }))).toBe('ERR_INPUT_INVALID')
    expect(
      await codeOf(
        agent.createVerifiableCredential({ credential: roleCredential() as never, proofFormat: 'vp+jwt' }),
      ),
    ).toBe('ERR_INPUT_INVALID')
  })
})

describe('VcJoseCredentialProvider: issue → present → verify through the agent', () => {
  it('verifies a credential alone with trust evaluated (no holder binding)', async () => {
    const vc = await issue()
    const result = (await agent.verifyCredential({ credential: vc })) as VcJoseVerifyResult
    expect(result).toMatchObject({ verified: true, trust: 'evaluated', notEvaluated: ['holder'] })
    expect(result.credential).toMatchObject({
      issuer: orgDid,
      subject: agentDid,
      role: 'support-agent',
      org: 'Acme',
      effective: [{ action: 'read', resource: 'tickets/*' }],
    })
    expect(result.verifiableCredential).toMatchObject({ issuer: orgDid })
    // the compact JWS itself is accepted too
    expect((await agent.verifyCredential({ credential: vc.proof.jwt as string })).verified).toBe(true)
  })

  it('verifies the presentation and its credential, and redeems the challenge once', async () => {
    const vc = await issue()
    const challenge = challenges.issue(DOMAIN)
    const vp = await agent.createVerifiablePresentation({
      presentation: { holder: agentDid, verifiableCredential: [vc] },
      proofFormat: 'vp+jwt',
      challenge,
      domain: DOMAIN,
    })
    const jwt = vp.proof.jwt as string
    expect(vp).toEqual({
      '@context': V2,
      type: 'EnvelopedVerifiablePresentation',
      id: `data:application/vp+jwt,${jwt}`,
      proof: { jwt },
    })
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'EdDSA', typ: 'vp+jwt' })
    expect(payloadOf(jwt)).toMatchObject({ holder: agentDid, iss: agentDid, aud: DOMAIN, nonce: challenge })

    const result = (await agent.verifyPresentation({
      presentation: vp,
      challenge,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(result.errors).toEqual([])
    expect(result).toMatchObject({ verified: true, trust: 'evaluated', notEvaluated: [], holder: agentDid })
    expect(result.credentials).toEqual([expect.objectContaining({ role: 'support-agent', org: 'Acme' })])
    const passed = result.checks.filter((c) => c.ok).map((c) => c.check)
    expect(passed).toEqual(
      expect.arrayContaining([
        'vp.signature',
        'vc[0].signature',
        'vc[0].holder',
        'vc[0].trust',
        'challenge.single-use',
      ]),
    )

    const replay = (await agent.verifyPresentation({
      presentation: jwt,
      challenge,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(replay.verified).toBe(false)
    expect(codes(replay)).toEqual(['ERR_CHALLENGE_USED'])
    expect(replay.error).toMatchObject({ errorCode: 'ERR_CHALLENGE_USED' })
  })

  it('fails agent.verifyPresentation when an inner credential was tampered with (Veramo JWT does not)', async () => {
    const vc = await issue()
    const forged = tamper(vc.proof.jwt as string, (p) => {
      ;(p.credentialSubject as { permissions: unknown }).permissions = [{ action: '*', resource: '*' }]
    })
    const challenge = challenges.issue(DOMAIN)
    const vp = await present([forged], challenge)
    const result = (await agent.verifyPresentation({
      presentation: vp,
      challenge,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(result.verified).toBe(false)
    expect(codes(result)).toEqual(['ERR_JWS_SIGNATURE'])
    expect(result.checks).toContainEqual(expect.objectContaining({ check: 'vc[0].signature', ok: false }))

    // The gap this provider closes: the same tampering inside a VC 1.1 JWT presentation, verified by
    // Veramo's own CredentialProviderJWT (registered after ours in the same agent), passes.
    const v1 = await agent.createVerifiableCredential({
      credential: { issuer: { id: orgDid }, credentialSubject: { id: agentDid, role: 'support-agent' } },
      proofFormat: 'jwt',
    })
    const forgedV1 = tamper(v1.proof.jwt as string, (p) => {
      ;(p.vc as { credentialSubject: Record<string, unknown> }).credentialSubject.role = 'admin'
    })
    expect((await agent.verifyCredential({ credential: forgedV1 })).verified).toBe(false)
    const challengeV1 = challenges.issue(DOMAIN)
    const vpV1 = await agent.createVerifiablePresentation({
      presentation: { holder: agentDid, verifiableCredential: [forgedV1] },
      proofFormat: 'jwt',
      challenge: challengeV1,
      domain: DOMAIN,
    })
    const veramo = await agent.verifyPresentation({
      presentation: vpV1,
      challenge: challengeV1,
      domain: DOMAIN,
    })
    expect(veramo.verified).toBe(true)
  })

  it('fails an expired validUntil, alone and in a presentation', async () => {
    const vc = await issue({
      validFrom: new Date(Date.now() - 2 * HOUR),
      validUntil: new Date(Date.now() - HOUR),
    })
    const alone = (await agent.verifyCredential({ credential: vc })) as VcJoseVerifyResult
    expect(alone.verified).toBe(false)
    expect(codes(alone)).toContain('ERR_VC_EXPIRED')
    const challenge = challenges.issue(DOMAIN)
    const vp = await present([vc], challenge)
    const result = (await agent.verifyPresentation({
      presentation: vp,
      challenge,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(result.verified).toBe(false)
    expect(codes(result)).toContain('ERR_VC_EXPIRED')
    expect(result.checks).toContainEqual(expect.objectContaining({ check: 'vc[0].validUntil', ok: false }))
  })

  it('fails a wrong challenge without burning the right one', async () => {
    const vc = await issue()
    const challenge = challenges.issue(DOMAIN)
    const other = challenges.issue(DOMAIN)
    const vp = await present([vc], challenge)
    const wrong = (await agent.verifyPresentation({
      presentation: vp,
      challenge: other,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(wrong.verified).toBe(false)
    expect(codes(wrong)).toEqual(['ERR_CHALLENGE_MISMATCH'])
    const right = await agent.verifyPresentation({ presentation: vp, challenge, domain: DOMAIN })
    expect(right.verified).toBe(true)
  })

  it('fails a presentation for another verifier', async () => {
    const vp = await present([await issue()])
    const result = await agent.verifyPresentation({ presentation: vp, domain: 'other.example' })
    expect(result.verified).toBe(false)
    expect(codes(result)).toEqual(['ERR_DOMAIN_MISMATCH'])
  })

  it('enforces trust with a bundle: a self-issued role credential and a non-role credential are refused', async () => {
    const selfIssued = await issue({
      issuer: agentDid,
      credentialSubject: {
        id: agentDid,
        role: 'support-agent',
        permissions: [{ action: 'read', resource: 'tickets/*' }],
      },
    })
    const result = await agent.verifyCredential({ credential: selfIssued })
    expect(codes(result)).toEqual(['ERR_TRUST_SELF_ISSUED'])
    const plain = await agent.createVerifiableCredential({
      credential: { issuer: orgDid, credentialSubject: { id: agentDid, name: 'Support bot' } },
      proofFormat: 'vc+jwt',
    })
    expect(codes(await agent.verifyCredential({ credential: plain }))).toEqual(['ERR_VC_MALFORMED'])
  })

  it('checks credentialStatus with the provider StatusChecker, and fails closed without one', async () => {
    const entry = { id: 'urn:example:status:7', type: 'BitstringStatusListEntry' }
    const vc = await issue({ credentialStatus: entry })
    expect((await agent.verifyCredential({ credential: vc })).verified).toBe(true)
    revoked.add(entry.id)
    try {
      const result = (await agent.verifyCredential({ credential: vc })) as VcJoseVerifyResult
      expect(codes(result)).toEqual(['ERR_STATUS_REVOKED'])
      const challenge = challenges.issue(DOMAIN)
      const vp = await present([vc], challenge)
      const inVp = await agent.verifyPresentation({ presentation: vp, challenge, domain: DOMAIN })
      expect(codes(inVp)).toEqual(['ERR_STATUS_REVOKED'])
    } finally {
      revoked.delete(entry.id)
    }
    const noChecker = createAgent<ICredentialPlugin>({
      plugins: [new CredentialPlugin([new VcJoseCredentialProvider()])],
    })
    expect(codes(await noChecker.verifyCredential({ credential: vc }))).toEqual(['ERR_STATUS_UNCHECKABLE'])
  })
})

describe('VcJoseCredentialProvider without a trust bundle', () => {
  it('says trust was not evaluated and grants nothing effective', async () => {
    const vc = await issue()
    const result = (await verifierOnly.verifyCredential({ credential: vc })) as VcJoseVerifyResult
    expect(result).toMatchObject({
      verified: true,
      trust: 'not-evaluated',
      notEvaluated: ['trust', 'holder'],
    })
    expect(result.credential).toMatchObject({ role: 'support-agent', org: undefined, effective: [] })
    expect(result.checks.map((c) => c.check)).not.toContain('vc.trust')
  })

  it('still checks every signature, and reports a challenge it could not redeem', async () => {
    const vc = await issue()
    const challenge = challenges.issue(DOMAIN)
    const vp = await present([vc], challenge)
    const result = (await verifierOnly.verifyPresentation({
      presentation: vp,
      challenge,
      domain: DOMAIN,
    })) as VcJoseVerifyResult
    expect(result).toMatchObject({
      verified: true,
      trust: 'not-evaluated',
      notEvaluated: ['trust', 'challenge.single-use'],
    })
    const forged = tamper(vc.proof.jwt as string, (p) => {
      p.validUntil = '2999-01-01T00:00:00Z'
    })
    const bad = await verifierOnly.verifyPresentation({
      presentation: await present([forged]),
      domain: DOMAIN,
    })
    expect(codes(bad)).toEqual(['ERR_JWS_SIGNATURE'])
  })

  it('verifies credentials that are not role credentials', async () => {
    const plain = await agent.createVerifiableCredential({
      credential: { issuer: orgDid, credentialSubject: { id: agentDid, name: 'Support bot' } },
      proofFormat: 'vc+jwt',
    })
    const result = (await verifierOnly.verifyCredential({ credential: plain })) as VcJoseVerifyResult
    expect(result).toMatchObject({ verified: true, trust: 'not-evaluated' })
    expect(result.credential).toMatchObject({ subject: agentDid, role: undefined, permissions: [] })
  })
})

describe('VcJoseCredentialProvider: document shapes', () => {
  it('recognises vc+jwt / vp+jwt by header typ, envelopes and proof.jwt, and leaves VC 1.1 JWTs to others', async () => {
    const provider = new VcJoseCredentialProvider()
    const vc = await issue()
    const jwt = vc.proof.jwt as string
    const { proof: _proof, ...envelope } = vc
    const vp = await present([vc])
    const v1 = await agent.createVerifiableCredential({
      credential: { issuer: { id: orgDid }, credentialSubject: { id: agentDid, name: 'Support bot' } },
      proofFormat: 'jwt',
    })
    for (const document of [jwt, vc, envelope, { proof: { jwt } }, vp]) {
      expect(provider.canVerifyDocumentType({ document: document as never })).toBe(true)
    }
    for (const document of [v1, v1.proof.jwt, 'not.a.jwt', { foo: 1 }]) {
      expect(provider.canVerifyDocumentType({ document: document as never })).toBe(false)
    }
  })

  it('fails a credential whose proof.jwt is not its envelope token', async () => {
    const [a, b] = [await issue({ id: 'urn:example:a' }), await issue({ id: 'urn:example:b' })]
    const mixed = { ...a, proof: { jwt: b.proof.jwt } }
    const result = await agent.verifyCredential({ credential: mixed })
    expect(result.verified).toBe(false)
    expect(codes(result)).toEqual(['ERR_JWS_MALFORMED'])
  })

  it('takes bare EnvelopedVerifiableCredentials when called directly; Veramo plugin needs proof.jwt', async () => {
    const vc = await issue()
    const { proof: _proof, ...envelope } = vc
    // CredentialPlugin.createVerifiablePresentation reads `cred.proof.jwt` before any provider runs.
    await expect(
      agent.createVerifiablePresentation({
        presentation: { holder: agentDid, verifiableCredential: [envelope as never] },
        proofFormat: 'vp+jwt',
        domain: DOMAIN,
      }),
    ).rejects.toThrow(TypeError)
    const provider = new VcJoseCredentialProvider({ trust })
    const vp = await provider.createVerifiablePresentation(
      {
        presentation: { holder: agentDid, verifiableCredential: [envelope as never] },
        proofFormat: 'vp+jwt',
        domain: DOMAIN,
      },
      { agent } as unknown as IssuerAgentContext,
    )
    expect((await provider.verifyPresentation({ presentation: vp, domain: DOMAIN })).verified).toBe(true)
  })

  it('requires a domain to present and to verify', async () => {
    const vc = await issue()
    expect(
      await codeOf(
        agent.createVerifiablePresentation({
          presentation: { holder: agentDid, verifiableCredential: [vc] },
          proofFormat: 'vp+jwt',
        }),
      ),
    ).toBe('ERR_INPUT_INVALID')
    const vp = await present([vc])
    expect(await codeOf(agent.verifyPresentation({ presentation: vp }))).toBe('ERR_INPUT_INVALID')
    const withDefault = new VcJoseCredentialProvider({ trust, domain: DOMAIN })
    expect((await withDefault.verifyPresentation({ presentation: vp })).verified).toBe(true)
  })
})
