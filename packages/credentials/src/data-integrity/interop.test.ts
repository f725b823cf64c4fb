/// <reference path="./vendor.d.ts" />
/**
 * Interoperability with an independent implementation and with the spec: credentials and presentations Tessera
 * secures verify with Digital Bazaar's `@digitalbazaar/vc` given only Tessera's bundled loader; ones Digital
 * Bazaar's library secures (its own Ed25519Multikey key pair and signer, its own document loader) verify with
 * Tessera's verifier; and the W3C eddsa-rdfc-2022 test vector hashes and verifies as published.
 */
import { verify as cryptoVerify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import * as vc from '@digitalbazaar/vc'
import { verificationKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle } from '@tessera/policy'
import { describe, expect, it } from 'vitest'
import { digitalBazaarKey, type TestKey, testKey } from '../../../../test/data-integrity-fixtures.js'
import { verifyCredential, verifyPresentation } from '../verify.js'
import { CREDENTIALS_V2_CONTEXT_URL, ROLE_CREDENTIAL_DI_CONTEXTS } from './contexts.js'
import { contextLoader, documentLoader } from './document-loader.js'
import { dataIntegrityHashData, readDataIntegrityProof, withoutProof } from './proof.js'
import { signDataIntegrityCredential, signDataIntegrityPresentation } from './sign.js'

const VECTORS = new URL('../../../../test/vectors/data-integrity/', import.meta.url)
const DOMAIN = 'api.globex.example'
const ROLE = 'support-agent'

function roleCredential(issuer: string, subject: string): Record<string, unknown> {
  return {
    '@context': [...ROLE_CREDENTIAL_DI_CONTEXTS],
    id: 'urn:uuid:9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
    type: ['VerifiableCredential', 'AgentRoleCredential'],
    issuer,
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2099-01-01T00:00:00Z',
    credentialSubject: { id: subject, role: ROLE, permissions: [{ action: 'read', resource: 'tickets/*' }] },
  }
}

/** Digital Bazaar's verifier: eddsa-rdfc-2022 suite, Tessera's bundled loader and nothing else. */
const dbSuite = () => new DataIntegrityProof({ cryptosuite })

describe('Tessera -> Digital Bazaar', () => {
  it("a credential Tessera secures verifies with @digitalbazaar/vc's verifyCredential and the bundled loader", async () => {
    const issuer: TestKey = testKey()
    const credential = await signDataIntegrityCredential({
      credential: roleCredential(issuer.did, testKey().did),
      signer: issuer.signer,
    })
    const result = await vc.verifyCredential({ credential, suite: dbSuite(), documentLoader })
    expect(result.error).toBeUndefined()
    expect(result.verified).toBe(true)
    // And a tampered one does not.
    const tampered = { ...credential, validUntil: '2100-01-01T00:00:00Z' }
    expect(
      (await vc.verifyCredential({ credential: tampered, suite: dbSuite(), documentLoader })).verified,
    ).toBe(false)
  })

  it('a presentation Tessera secures verifies with @digitalbazaar/vc verify (challenge, domain, embedded credential)', async () => {
    const issuer = testKey()
    const holder = testKey()
    const credential = await signDataIntegrityCredential({
      credential: roleCredential(issuer.did, holder.did),
      signer: issuer.signer,
    })
    const presentation = await signDataIntegrityPresentation({
      presentation: {
        '@context': [CREDENTIALS_V2_CONTEXT_URL],
        type: ['VerifiablePresentation'],
        holder: holder.did,
        verifiableCredential: [credential],
      },
      signer: holder.signer,
      challenge: 'c-0123456789abcdef',
      domain: DOMAIN,
    })
    const result = await vc.verify({
      presentation,
      suite: dbSuite(),
      documentLoader,
      challenge: 'c-0123456789abcdef',
      domain: DOMAIN,
    })
    expect(result.error).toBeUndefined()
    expect(result.verified).toBe(true)
    const wrongChallenge = await vc.verify({
      presentation,
      suite: dbSuite(),
      documentLoader,
      challenge: 'other',
      domain: DOMAIN,
    })
    expect(wrongChallenge.verified).toBe(false)
  })
})

describe('Digital Bazaar -> Tessera', () => {
  it("a credential secured by Digital Bazaar's library (its key pair, signer and loader) verifies with Tessera", async () => {
    const { did, keyPair } = await digitalBazaarKey(Ed25519Multikey)
    const holder = testKey()
    const credential = await vc.issue({
      credential: roleCredential(did, holder.did),
      suite: new DataIntegrityProof({ signer: keyPair.signer(), cryptosuite }),
      documentLoader: vc.defaultDocumentLoader,
    })
    const trust = addTrust(emptyTrustBundle(), {
      org: 'Elsewhere',
      issuer: did,
      role: ROLE,
      permissions: ['read:tickets/*'],
    })
    const result = await verifyCredential({ credential, trust, holder: holder.did })
    expect(result.errors).toEqual([])
    expect(result.verified).toBe(true)
    expect(result.credential).toMatchObject({
      issuer: did,
      role: ROLE,
      org: 'Elsewhere',
      securedBy: 'eddsa-rdfc-2022',
    })
  })

  it("a presentation signed with Digital Bazaar's library verifies and decides with Tessera", async () => {
    const issuer = await digitalBazaarKey(Ed25519Multikey)
    const holder = await digitalBazaarKey(Ed25519Multikey)
    const credential = await vc.issue({
      credential: roleCredential(issuer.did, holder.did),
      suite: new DataIntegrityProof({ signer: issuer.keyPair.signer(), cryptosuite }),
      documentLoader: vc.defaultDocumentLoader,
    })
    const presentation = await vc.signPresentation({
      presentation: vc.createPresentation({ verifiableCredential: credential, holder: holder.did }),
      suite: new DataIntegrityProof({ signer: holder.keyPair.signer(), cryptosuite }),
      challenge: 'c-0123456789abcdef',
      domain: DOMAIN,
      documentLoader: vc.defaultDocumentLoader,
    })
    const trust = addTrust(emptyTrustBundle(), {
      org: 'Elsewhere',
      issuer: issuer.did,
      role: ROLE,
      permissions: ['read:tickets/*'],
    })
    const decision = await verifyPresentation({
      presentation,
      domain: DOMAIN,
      trust,
      request: { action: 'read', resource: 'tickets/7' },
    })
    expect(decision.errors).toEqual([])
    expect(decision.allowed).toBe(true)
    expect(decision.holder).toBe(holder.did)
  })
})

describe('W3C eddsa-rdfc-2022 test vector (test/vectors/data-integrity)', () => {
  const signed = JSON.parse(
    readFileSync(new URL('eddsa-rdfc-2022-signedDataInt.json', VECTORS), 'utf8'),
  ) as Record<string, unknown>
  const publicKeyMultibase = (
    JSON.parse(readFileSync(new URL('keyPair-public.json', VECTORS), 'utf8')) as {
      publicKeyMultibase: string
    }
  ).publicKeyMultibase

  it('canonicalizes the proof configuration and hashes to the published bytes', async () => {
    const proof = readDataIntegrityProof(signed)
    const { proofValue: _value, ...options } = proof.raw
    const canonical = await cryptosuite.canonize(
      { ...options, '@context': signed['@context'] },
      { documentLoader: contextLoader, safe: true, base: null },
    )
    expect(canonical).toBe(readFileSync(new URL('eddsa-rdfc-2022-proofCanonDataInt.txt', VECTORS), 'utf8'))
    const hashData = await dataIntegrityHashData({ document: withoutProof(signed), proof: proof.raw })
    expect(hashData.toString('hex')).toBe(
      readFileSync(new URL('eddsa-rdfc-2022-combinedHashDataInt.txt', VECTORS), 'utf8').trim(),
    )
  })

  it("the published signature verifies with the vector's public key; one changed claim does not", async () => {
    const proof = readDataIntegrityProof(signed)
    const { keyObject } = verificationKey(`did:key:${publicKeyMultibase}`)
    const hashData = await dataIntegrityHashData({ document: withoutProof(signed), proof: proof.raw })
    expect(cryptoVerify(null, hashData, keyObject, proof.signature)).toBe(true)
    const changed = { ...withoutProof(signed), name: 'Another Credential' }
    const other = await dataIntegrityHashData({ document: changed, proof: proof.raw })
    expect(cryptoVerify(null, other, keyObject, proof.signature)).toBe(false)
  })

  it('the full verifier refuses its https verification method (did:key only), with a code', async () => {
    const result = await verifyCredential({ credential: signed })
    expect(result.verified).toBe(false)
    expect(result.checks).toContainEqual(
      expect.objectContaining({ check: 'vc.verificationMethod', ok: false, code: 'ERR_DID_INVALID' }),
    )
  })
})
