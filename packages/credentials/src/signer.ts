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
  let identifier: IIdentifier
  try {
    identifier = await agent.didManagerGet({ did })
  } catch (err) {
    throw new IdentityError('ERR_DID_NOT_MANAGED', `${did} is not a DID managed by this home`, { cause: err })
  }
  const key = identifier.keys.find((k) => k.type === 'Ed25519')
  if (!key) throw new IdentityError('ERR_DID_NOT_MANAGED', `${did} has no Ed25519 key in this home`)
  const fragment = did.slice('did:key:'.length)
  return {
    kid: `${did}#${fragment}`,
    alg: 'EdDSA',
    sign: async (signingInput) => {
      try {
        const signature = await agent.keyManagerSign({
          keyRef: key.kid,
          algorithm: 'EdDSA',
          data: Buffer.from(signingInput).toString('latin1'),
          encoding: 'utf-8',
        })
        return Buffer.from(signature, 'base64url')
      } catch (err) {
        throw new TesseraError(
          'ERR_KEYSTORE_LOCKED',
          `signing with ${did} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        )
      }
    },
  }
}
