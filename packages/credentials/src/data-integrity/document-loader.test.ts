/// <reference path="./vendor.d.ts" />
import { generateKeyPairSync } from 'node:crypto'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import jsonld from 'jsonld'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../../../../test/expect-error.js'
import {
  BUNDLED_CONTEXTS,
  CREDENTIALS_EXAMPLES_V2_CONTEXT,
  CREDENTIALS_V2_CONTEXT_URL,
  DATA_INTEGRITY_V2_CONTEXT,
  DID_V1_CONTEXT,
  MULTIKEY_V1_CONTEXT,
  ROLE_CREDENTIAL_DI_CONTEXTS,
  UNDEFINED_TERMS_V2_CONTEXT,
} from './contexts.js'
import { contextLoader, createDocumentLoader, documentLoader } from './document-loader.js'
import { clearDataIntegrityCache, dataIntegrityHashData } from './proof.js'

function ed25519Did(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
  return didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(jwk.x as string, 'base64url') })
}

const SUBJECT = ed25519Did()

function roleCredential(context: readonly string[]): Record<string, unknown> {
  return {
    '@context': [...context],
    id: 'urn:uuid:6a1e3c1e-4b1f-4d7c-9d0e-1f2a3b4c5d6e',
    type: ['VerifiableCredential', 'AgentRoleCredential'],
    issuer: ed25519Did(),
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: SUBJECT,
      role: 'support-agent',
      agentType: 'support-agent',
      permissions: [{ action: 'read', resource: 'tickets/*' }],
    },
  }
}

describe('bundled contexts', () => {
  it('serves exactly the bundled contexts, deeply frozen', async () => {
    expect([...BUNDLED_CONTEXTS.keys()].sort()).toEqual(
      [
        CREDENTIALS_V2_CONTEXT_URL,
        UNDEFINED_TERMS_V2_CONTEXT,
        CREDENTIALS_EXAMPLES_V2_CONTEXT,
        DATA_INTEGRITY_V2_CONTEXT,
        MULTIKEY_V1_CONTEXT,
        DID_V1_CONTEXT,
      ].sort(),
    )
    for (const url of BUNDLED_CONTEXTS.keys()) {
      const remote = await documentLoader(url)
      expect(remote.documentUrl).toBe(url)
      const document = remote.document as { '@context': Record<string, unknown> }
      expect(document['@context']).toBeTypeOf('object')
      expect(Object.isFrozen(document)).toBe(true)
      expect(Object.isFrozen(document['@context'])).toBe(true)
    }
  })

  it('refuses every other URL with ERR_CONTEXT_UNKNOWN: nothing is fetched', async () => {
    for (const url of [
      'https://www.w3.org/2018/credentials/v1',
      'https://w3id.org/security/v2',
      'http://www.w3.org/ns/credentials/v2',
      'https://example.org/context.jsonld',
      'did:web:example.org',
      'file:///etc/passwd',
      'x'.repeat(5000),
    ]) {
      expect(await codeOf(documentLoader(url))).toBe('ERR_CONTEXT_UNKNOWN')
    }
  })

  it('takes extra contexts the caller vouches for, but never in place of a bundled one', async () => {
    const extra = { '@context': { foo: 'https://example.org/foo' } }
    const loader = createDocumentLoader({ contexts: new Map([['https://example.org/ctx', extra]]) })
    expect((await loader('https://example.org/ctx')).document).toBe(extra)
    expect(await codeOf(documentLoader('https://example.org/ctx'))).toBe('ERR_CONTEXT_UNKNOWN')
    expect(
      await codeOf(
        (async () => createDocumentLoader({ contexts: new Map([[CREDENTIALS_V2_CONTEXT_URL, extra]]) }))(),
      ),
    ).toBe('ERR_INPUT_INVALID')
  })
})

describe('did:key through the loader (offline)', () => {
  it('serves the DID document with the DID v1 and Multikey contexts, and its verification methods', async () => {
    const did = ed25519Did()
    const fragment = did.slice('did:key:'.length)
    const { document } = await documentLoader(did)
    const doc = document as Record<string, unknown>
    expect(doc['@context']).toEqual([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT])
    expect(doc.id).toBe(did)
    expect(doc.assertionMethod).toEqual([`${did}#${fragment}`])
    expect(doc.authentication).toEqual([`${did}#${fragment}`])

    const vm = (await documentLoader(`${did}#${fragment}`)).document as Record<string, unknown>
    expect(vm).toEqual({
      '@context': MULTIKEY_V1_CONTEXT,
      id: `${did}#${fragment}`,
      type: 'Multikey',
      controller: did,
      publicKeyMultibase: fragment,
    })
    // The key agreement key derived from the Ed25519 key is embedded, and loadable too.
    const agreement = (doc.keyAgreement as { id: string }[])[0]
    expect(agreement).toBeDefined()
    expect(((await documentLoader(agreement?.id ?? '')).document as { type: string }).type).toBe('Multikey')
    // The document is valid JSON-LD under the bundled contexts (nothing is dropped in safe mode).
    await expect(jsonld.expand(doc, { documentLoader, safe: true })).resolves.toHaveLength(1)
  })

  it('refuses malformed did:key URLs and unknown fragments with ERR_DID_INVALID', async () => {
    const did = ed25519Did()
    expect(await codeOf(documentLoader(`${did}#key-1`))).toBe('ERR_DID_INVALID')
    expect(await codeOf(documentLoader('did:key:z6MkNOTAKEY'))).toBe('ERR_DID_INVALID')
  })

  it('the canonicalization loader serves contexts only: a DID is not a JSON-LD context', async () => {
    const did = ed25519Did()
    expect(await codeOf(contextLoader(did))).toBe('ERR_CONTEXT_UNKNOWN')
    const credential = roleCredential([CREDENTIALS_V2_CONTEXT_URL, did])
    const proof = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022' }
    expect(await codeOf(dataIntegrityHashData({ document: credential, proof }))).toBe('ERR_CONTEXT_UNKNOWN')
  })
})

describe('AgentRoleCredential terms under JSON-LD', () => {
  const ROLE = 'https://www.w3.org/ns/credentials/undefined-term#'

  it('the base context alone defines no role terms: safe mode refuses to drop them (ERR_JSONLD_INVALID)', async () => {
    const credential = roleCredential([CREDENTIALS_V2_CONTEXT_URL])
    const proof = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022' }
    expect(await codeOf(dataIntegrityHashData({ document: credential, proof }))).toBe('ERR_JSONLD_INVALID')
  })

  it('with the Undefined Terms context, expansion keeps role, permissions and agentType', async () => {
    const credential = roleCredential(ROLE_CREDENTIAL_DI_CONTEXTS)
    const expanded = (
      await jsonld.expand(credential, { documentLoader: contextLoader, safe: true })
    )[0] as Record<string, unknown>
    expect(expanded['@type']).toEqual([
      'https://www.w3.org/2018/credentials#VerifiableCredential',
      `${ROLE}AgentRoleCredential`,
    ])
    const subjects = expanded['https://www.w3.org/2018/credentials#credentialSubject'] as Record<
      string,
      unknown
    >[]
    const subject = subjects[0]
    expect(subject?.[`${ROLE}role`]).toEqual([{ '@value': 'support-agent' }])
    expect(subject?.[`${ROLE}agentType`]).toEqual([{ '@value': 'support-agent' }])
    expect(subject?.[`${ROLE}permissions`]).toEqual([
      { [`${ROLE}action`]: [{ '@value': 'read' }], [`${ROLE}resource`]: [{ '@value': 'tickets/*' }] },
    ])
  })

  it('a changed role or permission changes the hash data (the terms are signed)', async () => {
    const credential = roleCredential(ROLE_CREDENTIAL_DI_CONTEXTS)
    const proof = {
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      created: '2025-01-01T00:00:00Z',
    }
    const base = await dataIntegrityHashData({ document: credential, proof })
    const subject = credential.credentialSubject as Record<string, unknown>
    const otherRole = { ...credential, credentialSubject: { ...subject, role: 'admin' } }
    const otherPermission = {
      ...credential,
      credentialSubject: { ...subject, permissions: [{ action: 'delete', resource: 'tickets/*' }] },
    }
    expect(base).toHaveLength(64)
    expect((await dataIntegrityHashData({ document: otherRole, proof })).equals(base)).toBe(false)
    expect((await dataIntegrityHashData({ document: otherPermission, proof })).equals(base)).toBe(false)
    // The proof options are hashed too (its first 32 bytes).
    const later = await dataIntegrityHashData({
      document: credential,
      proof: { ...proof, created: '2025-01-02T00:00:00Z' },
    })
    expect(later.subarray(0, 32).equals(base.subarray(0, 32))).toBe(false)
    expect(later.subarray(32).equals(base.subarray(32))).toBe(true)
  })
})

describe('dataIntegrityHashData cache (per exact input, bundled contexts only)', () => {
  const proof = {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-rdfc-2022',
    created: '2025-01-01T00:00:00Z',
  }

  it('returns the same bytes as an uncached computation, and a copy the caller cannot corrupt', async () => {
    clearDataIntegrityCache()
    const credential = roleCredential(ROLE_CREDENTIAL_DI_CONTEXTS)
    const uncached = await dataIntegrityHashData({ document: credential, proof })
    const first = await dataIntegrityHashData({ document: credential, proof, cache: true })
    expect(first.equals(uncached)).toBe(true)
    first.fill(0)
    const second = await dataIntegrityHashData({ document: credential, proof, cache: true })
    expect(second.equals(uncached)).toBe(true)
  })

  it('never serves a stale result: any change to the document or the proof options is another key', async () => {
    const credential = roleCredential(ROLE_CREDENTIAL_DI_CONTEXTS)
    const base = await dataIntegrityHashData({ document: credential, proof, cache: true })
    const subject = credential.credentialSubject as Record<string, unknown>
    const changed = { ...credential, credentialSubject: { ...subject, role: 'admin' } }
    expect((await dataIntegrityHashData({ document: changed, proof, cache: true })).equals(base)).toBe(false)
    const later = { ...proof, created: '2025-01-02T00:00:00Z' }
    expect(
      (await dataIntegrityHashData({ document: credential, proof: later, cache: true })).equals(base),
    ).toBe(false)
  })

  it('is bypassed with a caller-supplied loader, whose contexts may change', async () => {
    const credential = roleCredential(ROLE_CREDENTIAL_DI_CONTEXTS)
    await dataIntegrityHashData({ document: credential, proof, cache: true })
    const refusing = async (url: string) => {
      throw Object.assign(new Error(`refused ${url}`), { name: 'Refused' })
    }
    expect(
      await codeOf(
        dataIntegrityHashData({ document: credential, proof, cache: true, documentLoader: refusing }),
      ),
    ).toBe('ERR_JSONLD_INVALID')
  })
})
