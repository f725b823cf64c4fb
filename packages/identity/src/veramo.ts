import {
  createAgent,
  type IAgentPlugin,
  type IDIDManager,
  type IKeyManager,
  type IResolver,
  type TAgent,
} from '@veramo/core'
import { DIDStore, KeyStore, PrivateKeyStore } from '@veramo/data-store'
import { DIDManager } from '@veramo/did-manager'
import { KeyDIDProvider } from '@veramo/did-provider-key'
import { DIDResolverPlugin } from '@veramo/did-resolver'
import { KeyManager } from '@veramo/key-manager'
import { KeyManagementSystem, SecretBox } from '@veramo/kms-local'
import { Resolver } from 'did-resolver'
import { getResolver as getKeyDidResolver } from 'key-did-resolver'
import type { DataSource } from 'typeorm'

/** The Veramo agent of a home: keys, DIDs and DID resolution; plugins added by other packages widen it. */
export type VeramoAgent = TAgent<IKeyManager & IDIDManager & IResolver>

/** Name of the local KMS in the key manager. */
export const KMS_NAME = 'local'

/**
 * Wire a Veramo 7 agent over the home's database: private keys encrypted with SecretBox (XSalsa20-Poly1305)
 * in Veramo's `private-key` table, did:key as the only DID provider, did:key resolution offline.
 */
export function createVeramoAgent(options: {
  dataSource: DataSource
  secret: string
  plugins?: readonly IAgentPlugin[]
}): VeramoAgent {
  const { dataSource, secret } = options
  return createAgent<IKeyManager & IDIDManager & IResolver>({
    plugins: [
      new KeyManager({
        store: new KeyStore(dataSource),
        kms: { [KMS_NAME]: new KeyManagementSystem(new PrivateKeyStore(dataSource, new SecretBox(secret))) },
      }),
      new DIDManager({
        store: new DIDStore(dataSource),
        defaultProvider: 'did:key',
        providers: { 'did:key': new KeyDIDProvider({ defaultKms: KMS_NAME }) },
      }),
      new DIDResolverPlugin({ resolver: new Resolver(getKeyDidResolver()) }),
      ...(options.plugins ?? []),
    ],
  })
}

/** Decrypt one private key to prove the secret is right (SecretBox fails to open with any other key). */
export async function checkSecretOpensKey(options: {
  dataSource: DataSource
  secret: string
  kid: string
}): Promise<boolean> {
  const store = new PrivateKeyStore(options.dataSource, new SecretBox(options.secret))
  try {
    const key = await store.getKey({ alias: options.kid })
    return typeof key.privateKeyHex === 'string' && key.privateKeyHex.length > 0
  } catch {
    return false
  }
}
