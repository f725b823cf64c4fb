/**
 * Interop at the HTTP level with an independent implementation, Digital Bazaar's `@digitalbazaar/vc`:
 * - a credential the server issues (`POST /credentials/issue`, Data Integrity eddsa-rdfc-2022) verifies with
 *   `vc.verifyCredential` given only Tessera's bundled document loader; its status is read with Digital
 *   Bazaar's own Bitstring decoder from the list the server serves, and a revocation through the server shows;
 * - a credential and a presentation Digital Bazaar's library secures with its own did:key verify on the server.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { documentLoader, UNDEFINED_TERMS_V2_CONTEXT } from '@tessera/credentials'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digitalBazaarKey } from './data-integrity-fixtures.js'
import { type Served, serveFresh, unsignedCredential, V2 } from './server-helpers.js'

// Digital Bazaar's libraries are dependencies of the credentials and status packages: load them from there.
const fromPackage = (pkg: string) => {
  const require = createRequire(new URL(`../packages/${pkg}/package.json`, import.meta.url))
  return (name: string) => import(pathToFileURL(require.resolve(name)).href)
}
const fromCredentials = fromPackage('credentials')
const vc = await fromCredentials('@digitalbazaar/vc')
const { DataIntegrityProof } = await fromCredentials('@digitalbazaar/data-integrity')
const { cryptosuite } = await fromCredentials('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')
const Ed25519Multikey = await fromCredentials('@digitalbazaar/ed25519-multikey')
const { Bitstring } = await fromPackage('status')('@digitalbazaar/bitstring')

let s: Served
beforeAll(async () => {
  s = await serveFresh()
})
afterAll(async () => {
  await s.close()
})

type Entry = { statusPurpose: string; statusListCredential: string; statusListIndex: string }

/**
 * Digital Bazaar's `checkStatus` hook, written with its Bitstring decoder: fetch the list from the URL in the
 * entry (served by Tessera), read the bit. (The list is a vc+jwt; its signature is Tessera's concern here.)
 */
async function dbCheckStatus({ credential }: { credential: { credentialStatus: Entry[] } }) {
  for (const entry of credential.credentialStatus) {
    const jwt = await (await fetch(entry.statusListCredential)).text()
    const list = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())
    const bits = await Bitstring.decodeBits({ encoded: list.credentialSubject.encodedList.slice(1) })
    const bitstring = new Bitstring({ buffer: bits })
    if (bitstring.get(Number(entry.statusListIndex))) {
      return { verified: false, error: new Error(`${entry.statusPurpose} bit is set`) }
    }
  }
  return { verified: true }
}

describe('Tessera server -> Digital Bazaar', () => {
  it('a credential issued over HTTP verifies with vc.verifyCredential and only the bundled loader; so does its revocation', async () => {
    const r = await s.call('/credentials/issue', { body: { credential: unsignedCredential(s.home.org.did) } })
    expect(r.status).toBe(201)
    const credential = (r.body as { verifiableCredential: Record<string, unknown> & { id: string } })
      .verifiableCredential
    expect(credential.proof).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022' })

    const verify = (c: unknown) =>
      vc.verifyCredential({
        credential: c,
        suite: new DataIntegrityProof({ cryptosuite }),
        documentLoader,
        checkStatus: dbCheckStatus,
      })
    const result = await verify(credential)
    expect(result.error).toBeUndefined()
    expect(result.verified).toBe(true)

    const tampered = { ...credential, credentialSubject: { id: 'did:example:alice', memberOf: 'Evil Club' } }
    expect((await verify(tampered)).verified).toBe(false)

    const revoked = await s.call('/credentials/status', {
      body: {
        credentialId: credential.id,
        credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation' },
        status: true,
      },
    })
    expect(revoked.status).toBe(200)
    const after = await verify(credential)
    expect(after.verified).toBe(false)
    expect(after.statusResult?.verified).toBe(false)
  })
})

describe('Digital Bazaar -> Tessera server', () => {
  it('a credential secured by Digital Bazaar with its own did:key verifies at POST /credentials/verify', async () => {
    const issuer = await digitalBazaarKey(Ed25519Multikey)
    const credential = await vc.issue({
      credential: {
        '@context': [V2, UNDEFINED_TERMS_V2_CONTEXT],
        id: 'urn:uuid:2f3b3f0e-6c55-4d0d-9d7a-3c2d3b2f1a10',
        type: ['VerifiableCredential', 'ExampleAlumniCredential'],
        issuer: issuer.did,
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: { id: 'did:example:alice', alumniOf: 'Example University' },
      },
      suite: new DataIntegrityProof({ signer: issuer.keyPair.signer(), cryptosuite }),
      documentLoader: vc.defaultDocumentLoader,
    })
    const r = await s.call('/credentials/verify', { body: { verifiableCredential: credential }, token: null })
    expect((r.body as { errors: unknown[] }).errors).toEqual([])
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ verified: true, credential: { issuer: issuer.did } })
    const checks = (r.body as { checks: { check: string; ok: boolean }[] }).checks
    expect(
      checks.find((c) => c.check === 'vc.proof.signature' || c.check === 'vc.signature')?.ok ?? true,
    ).toBe(true)

    const forged = { ...credential, credentialSubject: { id: 'did:example:alice', alumniOf: 'Elsewhere' } }
    const refused = await s.call('/credentials/verify', { body: { verifiableCredential: forged } })
    expect(refused.status).toBe(400)
    expect((refused.body as { errors: { code: string }[] }).errors.map((e) => e.code)).toContain(
      'ERR_PROOF_SIGNATURE',
    )
  })

  it('a presentation Digital Bazaar signs, bound to a server challenge, verifies at POST /presentations/verify', async () => {
    const issuer = await digitalBazaarKey(Ed25519Multikey)
    const holder = await digitalBazaarKey(Ed25519Multikey)
    const credential = await vc.issue({
      credential: {
        '@context': [V2, UNDEFINED_TERMS_V2_CONTEXT],
        type: ['VerifiableCredential', 'ExampleAlumniCredential'],
        issuer: issuer.did,
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: { id: holder.did, alumniOf: 'Example University' },
      },
      suite: new DataIntegrityProof({ signer: issuer.keyPair.signer(), cryptosuite }),
      documentLoader: vc.defaultDocumentLoader,
    })
    const { challenge } = (await s.call('/challenges', { method: 'POST', token: null })).body as {
      challenge: string
    }
    const presentation = await vc.signPresentation({
      presentation: vc.createPresentation({ verifiableCredential: credential, holder: holder.did }),
      suite: new DataIntegrityProof({ signer: holder.keyPair.signer(), cryptosuite }),
      challenge,
      domain: s.domain,
      documentLoader: vc.defaultDocumentLoader,
    })
    const r = await s.call('/presentations/verify', {
      body: { verifiablePresentation: presentation, options: { challenge, domain: s.domain } },
      token: null,
    })
    expect((r.body as { errors: unknown[] }).errors).toEqual([])
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ verified: true, holder: holder.did })
    // single use
    const again = await s.call('/presentations/verify', {
      body: { verifiablePresentation: presentation, options: { challenge } },
    })
    expect((again.body as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual([
      'ERR_CHALLENGE_USED',
    ])
  })
})
