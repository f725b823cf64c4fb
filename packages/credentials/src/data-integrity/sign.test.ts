import { verify as cryptoVerify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { verificationKey } from '@tessera/identity/did-key'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../../test/expect-error.js'
import { credentialsMigrations } from '../migrations.js'
import { type DataIntegritySigner, dataIntegritySigner, veramoSigner } from '../signer.js'
import { CREDENTIALS_V2_CONTEXT_URL, ROLE_CREDENTIAL_DI_CONTEXTS } from './contexts.js'
import { dataIntegrityHashData, readDataIntegrityProof, withoutProof } from './proof.js'
import { signDataIntegrityCredential, signDataIntegrityPresentation } from './sign.js'

let root: string
let home: Home
let orgDid: string
let agentDid: string
let orgSigner: DataIntegritySigner

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-di-sign-'))
  const dir = join(root, 'home')
  orgDid = (await initHome({ dir, org: 'Acme', env: {}, migrations: credentialsMigrations })).did
  home = await openHome({ dir, env: {}, migrations: credentialsMigrations })
  agentDid = (await createAgentIdentity(home, { name: 'Support bot', type: 'support-agent' })).did
  orgSigner = await dataIntegritySigner({ agent: home.agent, did: orgDid })
})
afterAll(async () => {
  await home?.close()
  rmSync(root, { recursive: true, force: true })
})

function roleCredential(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@context': [...ROLE_CREDENTIAL_DI_CONTEXTS],
    id: 'urn:uuid:0d7f6a8e-2f7b-4c59-9a52-1f0c3a9b6e21',
    type: ['VerifiableCredential', 'AgentRoleCredential'],
    issuer: orgDid,
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2035-01-01T00:00:00Z',
    credentialSubject: {
      id: agentDid,
      role: 'support-agent',
      permissions: [{ action: 'read', resource: 'tickets/*' }],
    },
    ...overrides,
  }
}

/** Every byte value, so that a signer that re-encodes bytes >= 0x80 signs something else. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)

describe('dataIntegritySigner (Veramo key manager, byte-exact)', () => {
  it('signs exactly the given bytes: node:crypto verifies the signature with the did:key', async () => {
    expect(orgSigner.id).toBe(`${orgDid}#${orgDid.slice('did:key:'.length)}`)
    expect(orgSigner.controller).toBe(orgDid)
    expect(orgSigner.algorithm).toBe('Ed25519')
    const signature = await orgSigner.sign({ data: ALL_BYTES })
    expect(signature).toHaveLength(64)
    const { keyObject } = verificationKey(orgDid)
    expect(cryptoVerify(null, ALL_BYTES, keyObject, signature)).toBe(true)
    expect(cryptoVerify(null, ALL_BYTES.subarray(1), keyObject, signature)).toBe(false)
  })

  it('the JWS signer it wraps is byte-exact too (a latin1 string decoded as utf-8 would not be)', async () => {
    const jws = await veramoSigner({ agent: home.agent, did: orgDid })
    const { keyObject } = verificationKey(orgDid)
    const signature = await jws.sign(ALL_BYTES)
    expect(cryptoVerify(null, ALL_BYTES, keyObject, signature)).toBe(true)
    // what a latin1-as-utf-8 signer would have signed instead: every byte >= 0x80 as two UTF-8 bytes
    const reencoded = Buffer.from(Buffer.from(ALL_BYTES).toString('latin1'), 'utf8')
    expect(cryptoVerify(null, reencoded, keyObject, signature)).toBe(false)
  })

  it('refuses a DID this home does not manage (ERR_DID_NOT_MANAGED)', async () => {
    expect(
      await codeOf(
        dataIntegritySigner({
          agent: home.agent,
          did: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
        }),
      ),
    ).toBe('ERR_DID_NOT_MANAGED')
  })
})

describe('signDataIntegrityCredential', () => {
  it('adds an eddsa-rdfc-2022 DataIntegrityProof for assertionMethod with the did:key Multikey method', async () => {
    const credential = roleCredential()
    const before = JSON.stringify(credential)
    const created = new Date('2026-01-02T03:04:05Z')
    const signed = await signDataIntegrityCredential({ credential, signer: orgSigner, created })
    expect(JSON.stringify(credential)).toBe(before)
    expect(withoutProof(signed)).toEqual(credential)
    const proof = signed.proof as Record<string, unknown>
    expect(proof).toMatchObject({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      proofPurpose: 'assertionMethod',
      verificationMethod: orgSigner.id,
      created: '2026-01-02T03:04:05Z',
    })
    expect(proof.proofValue).toMatch(/^z[1-9A-HJ-NP-Za-km-z]+$/)
    // The signature is over the spec's hash data, checked here with node:crypto.
    const read = readDataIntegrityProof(signed)
    const hashData = await dataIntegrityHashData({ document: withoutProof(signed), proof: read.raw })
    expect(cryptoVerify(null, hashData, verificationKey(orgDid).keyObject, read.signature)).toBe(true)
  })

  it('refuses an issuer that is not the signer, a credential with a proof, a non-object (ERR_INPUT_INVALID)', async () => {
    const signed = await signDataIntegrityCredential({ credential: roleCredential(), signer: orgSigner })
    for (const credential of [roleCredential({ issuer: agentDid }), signed, 'a string', null]) {
      expect(
        await codeOf(
          signDataIntegrityCredential({
            credential: credential as Record<string, unknown>,
            signer: orgSigner,
          }),
        ),
      ).toBe('ERR_INPUT_INVALID')
    }
    expect(
      await codeOf(
        signDataIntegrityCredential({
          credential: roleCredential(),
          signer: orgSigner,
          created: new Date(Number.NaN),
        }),
      ),
    ).toBe('ERR_INPUT_INVALID')
  })

  it('refuses a context that is not bundled (ERR_CONTEXT_UNKNOWN) and undefined terms (ERR_JSONLD_INVALID)', async () => {
    const unknown = roleCredential({ '@context': [CREDENTIALS_V2_CONTEXT_URL, 'https://example.org/ctx/v1'] })
    expect(await codeOf(signDataIntegrityCredential({ credential: unknown, signer: orgSigner }))).toBe(
      'ERR_CONTEXT_UNKNOWN',
    )
    const undefinedTerms = roleCredential({ '@context': [CREDENTIALS_V2_CONTEXT_URL] })
    expect(await codeOf(signDataIntegrityCredential({ credential: undefinedTerms, signer: orgSigner }))).toBe(
      'ERR_JSONLD_INVALID',
    )
  })
})

describe('signDataIntegrityPresentation', () => {
  it('binds the proof to the challenge and domain, purpose authentication, signed by the holder', async () => {
    const credential = await signDataIntegrityCredential({ credential: roleCredential(), signer: orgSigner })
    const holder = await dataIntegritySigner({ agent: home.agent, did: agentDid })
    const presentation = {
      '@context': [CREDENTIALS_V2_CONTEXT_URL],
      type: ['VerifiablePresentation'],
      holder: agentDid,
      verifiableCredential: [credential],
    }
    const signed = await signDataIntegrityPresentation({
      presentation,
      signer: holder,
      challenge: 'c-0123456789abcdef',
      domain: 'api.partner.example',
    })
    expect(signed.proof).toMatchObject({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      proofPurpose: 'authentication',
      verificationMethod: holder.id,
      challenge: 'c-0123456789abcdef',
      domain: 'api.partner.example',
    })
    const read = readDataIntegrityProof(signed)
    const hashData = await dataIntegrityHashData({ document: withoutProof(signed), proof: read.raw })
    expect(cryptoVerify(null, hashData, verificationKey(agentDid).keyObject, read.signature)).toBe(true)

    // Without a challenge the proof still states its purpose and domain.
    const unbound = await signDataIntegrityPresentation({
      presentation,
      signer: holder,
      domain: 'api.partner.example',
    })
    const proof = unbound.proof as Record<string, unknown>
    expect(proof.proofPurpose).toBe('authentication')
    expect(proof.domain).toBe('api.partner.example')
    expect(Object.hasOwn(proof, 'challenge')).toBe(false)
  })

  it('refuses a holder that is not the signer and an empty challenge (ERR_INPUT_INVALID)', async () => {
    const presentation = {
      '@context': [CREDENTIALS_V2_CONTEXT_URL],
      type: ['VerifiablePresentation'],
      holder: agentDid,
    }
    expect(
      await codeOf(signDataIntegrityPresentation({ presentation, signer: orgSigner, challenge: 'x' })),
    ).toBe('ERR_INPUT_INVALID')
    const holder = await dataIntegritySigner({ agent: home.agent, did: agentDid })
    expect(await codeOf(signDataIntegrityPresentation({ presentation, signer: holder, challenge: '' }))).toBe(
      'ERR_INPUT_INVALID',
    )
  })
})
