import { IdentityError, TesseraError } from '@tessera/core'
import type { IDIDManager, IIdentifier, IKeyManager, TAgent } from '@veramo/core'

/** A JWS signer bound to one key: signs the JWS Signing Input, returns the raw signature. */
export interface JwsSigner {
  /** The verification method the signature can be checked with (the JOSE `kid`). */
  kid: string
  alg: 'EdDSA'
  sign: (signingInput: Uint8Array) => Promise<Uint8Array>
}

/**
 * The Veramo agent methods a {@link veramoSigner} needs: a home's agent, or the `context.agent` a Veramo plugin
 * receives (e.g. `IssuerAgentContext`, which only picks these two).
 */
export type SigningAgent = TAgent<Pick<IKeyManager, 'keyManagerSign'> & Pick<IDIDManager, 'didManagerGet'>>

/**
 * A signer that goes through Veramo's key manager: the private key never leaves the KMS.
 * `did` must be a did:key managed by the agent; its Ed25519 key signs.
 */
export async function veramoSigner(options: { agent: SigningAgent; did: string }): Promise<JwsSigner> {
  const { agent, did } = options
  const key = await managedEd25519Key(agent, did)
  return {
    kid: `${did}#${did.slice('did:key:'.length)}`,
    alg: 'EdDSA',
    sign: async (data) => {
      let signature: string
      try {
        // `keyManagerSign` takes a string and decodes it with `encoding`: hex with 'base16' is byte-exact for any
        // input (a latin1 string with 'utf-8' would turn every byte >= 0x80 into two bytes).
        signature = await agent.keyManagerSign({
          keyRef: key.kid,
          algorithm: 'EdDSA',
          data: Buffer.from(data).toString('hex'),
          encoding: 'base16',
        })
      } catch (err) {
        throw new TesseraError(
          'ERR_KEYSTORE_LOCKED',
          `signing with ${did} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        )
      }
      // kms-local returns the EdDSA signature base64url-encoded (64 bytes for Ed25519, RFC 8032 §5.1.6).
      const bytes = Buffer.from(signature, 'base64url')
      if (bytes.length !== 64) {
        throw new TesseraError(
          'ERR_INTERNAL',
          `the key manager returned a ${bytes.length}-byte Ed25519 signature`,
        )
      }
      return new Uint8Array(bytes)
    },
  }
}

/** The Ed25519 key of a did:key the agent manages, or ERR_DID_NOT_MANAGED. */
async function managedEd25519Key(agent: SigningAgent, did: string): Promise<{ kid: string }> {
  let identifier: IIdentifier
  try {
    identifier = await agent.didManagerGet({ did })
  } catch (err) {
    throw new IdentityError('ERR_DID_NOT_MANAGED', `${did} is not a DID managed by this home`, { cause: err })
  }
  const key = identifier.keys.find((k) => k.type === 'Ed25519')
  if (!key || !did.startsWith('did:key:')) {
    throw new IdentityError('ERR_DID_NOT_MANAGED', `${did} has no Ed25519 did:key in this home`)
  }
  return key
}

/**
 * A signer in the shape Digital Bazaar's Data Integrity suites call (`@digitalbazaar/data-integrity`
 * `DataIntegrityProof({ signer })`): `id` is the verification method written into the proof, `sign({ data })`
 * returns the raw signature over exactly `data`.
 */
export interface DataIntegritySigner {
  /** The did:key Multikey verification method, `did:key:z6Mk...#z6Mk...` (the proof's `verificationMethod`). */
  id: string
  /** The DID that controls the key: the credential's `issuer`, or the presentation's `holder`. */
  controller: string
  /** `Ed25519`, the `requiredAlgorithm` of the eddsa-rdfc-2022 cryptosuite. */
  algorithm: 'Ed25519'
  sign: (options: { data: Uint8Array }) => Promise<Uint8Array>
}

/**
 * A Data Integrity signer backed by Veramo's key manager ({@link veramoSigner}, byte-exact): the private key
 * never leaves the KMS. eddsa-rdfc-2022 signs the 64 bytes `SHA-256(canonical proof options) ||
 * SHA-256(canonical document)` (VC Data Integrity EdDSA Cryptosuites v1.0 §3.2.6 "Proof Serialization").
 *
 * @param options.did - A did:key managed by the agent; its Ed25519 key signs.
 * @throws IdentityError `ERR_DID_NOT_MANAGED` when the agent does not hold an Ed25519 key for `did`;
 *   `sign` rejects with `ERR_KEYSTORE_LOCKED` when the key manager fails.
 */
export async function dataIntegritySigner(options: {
  agent: SigningAgent
  did: string
}): Promise<DataIntegritySigner> {
  const signer = await veramoSigner(options)
  return {
    id: signer.kid,
    controller: options.did,
    algorithm: 'Ed25519',
    sign: ({ data }) => signer.sign(data),
  }
}
