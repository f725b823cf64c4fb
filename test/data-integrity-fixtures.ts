/**
 * Test keys and proofs for the Data Integrity tests: Ed25519 did:keys held in node:crypto (an implementation
 * independent of Veramo's KMS), and a proof forger that signs ANY proof options validly, so that a negative test
 * proves its check refused the proof, not merely its signature.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import type { DataIntegritySigner, JwsSigner } from '@tessera/credentials'
import { dataIntegrityHashData } from '@tessera/credentials/offline'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import { base58btc as base58 } from 'multiformats/bases/base58'

export interface TestKey {
  did: string
  /** `did:key:z6Mk...#z6Mk...`. */
  vmId: string
  privateKey: KeyObject
  /** A DataIntegritySigner on node:crypto. */
  signer: DataIntegritySigner
  /** A JWS signer on node:crypto (for vc+jwt credentials and vp+jwt presentations). */
  jws: JwsSigner
}

/** A fresh Ed25519 did:key. */
export function testKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x as string
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(x, 'base64url') })
  const vmId = `${did}#${did.slice('did:key:'.length)}`
  const signBytes = async (data: Uint8Array) => new Uint8Array(sign(null, data, privateKey))
  return {
    did,
    vmId,
    privateKey,
    signer: { id: vmId, controller: did, algorithm: 'Ed25519', sign: ({ data }) => signBytes(data) },
    jws: { kid: vmId, alg: 'EdDSA', sign: signBytes },
  }
}

/** base58btc (the Bitcoin alphabet), without the multibase `z`. */
export function base58btc(bytes: Uint8Array): string {
  return base58.baseEncode(bytes)
}

/**
 * Secure `document` with a proof made of `proof` (merged over eddsa-rdfc-2022 defaults for `key`), signed with
 * `key` over the spec's hash data: a valid signature over whatever the proof says.
 */
export async function forgeProof(
  document: Record<string, unknown>,
  key: TestKey,
  proof: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const { proof: _existing, ...unsecured } = document
  // A member given as undefined is left out (to forge a proof without `created`, say).
  const options: Record<string, unknown> = Object.fromEntries(
    Object.entries({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      verificationMethod: key.vmId,
      proofPurpose: 'assertionMethod',
      ...proof,
    }).filter(([, value]) => value !== undefined),
  )
  const hashData = await dataIntegrityHashData({ document: unsecured, proof: options })
  return {
    ...unsecured,
    proof: { ...options, proofValue: `z${base58btc(sign(null, hashData, key.privateKey))}` },
  }
}

/** The part of `@digitalbazaar/ed25519-multikey` that {@link digitalBazaarKey} uses. */
interface Ed25519MultikeyModule {
  generate(): Promise<{
    publicKeyMultibase: string
    export(options: { publicKey: true; secretKey: true; includeContext: true }): Promise<object>
  }>
  from(key: object): Promise<unknown>
}

/**
 * A did:key issuer made entirely with Digital Bazaar's library (its Ed25519Multikey key pair, which is its
 * signer): the module is passed in, since the package tests and the cross-package tests load it differently.
 */
export async function digitalBazaarKey<M extends Ed25519MultikeyModule>(
  Ed25519Multikey: M,
): Promise<{ did: string; keyPair: Awaited<ReturnType<M['from']>> }> {
  const generated = await Ed25519Multikey.generate()
  const did = `did:key:${generated.publicKeyMultibase}`
  const exported = await generated.export({ publicKey: true, secretKey: true, includeContext: true })
  const keyPair = (await Ed25519Multikey.from({
    ...exported,
    id: `${did}#${generated.publicKeyMultibase}`,
    controller: did,
  })) as Awaited<ReturnType<M['from']>>
  return { did, keyPair }
}
