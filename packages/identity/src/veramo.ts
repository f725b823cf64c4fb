import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto'
import type { IKey, TKeyType } from '@veramo/core'
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
import type { AbstractPrivateKeyStore } from '@veramo/key-manager'
import { KeyManager } from '@veramo/key-manager'
import { KeyManagementSystem, SecretBox } from '@veramo/kms-local'
import { Resolver } from 'did-resolver'
import { getResolver as getKeyDidResolver } from 'key-did-resolver'
import type { DataSource } from 'typeorm'

/** The Veramo agent of a home: keys, DIDs and DID resolution; plugins added by other packages widen it. */
export type VeramoAgent = TAgent<IKeyManager & IDIDManager & IResolver>

const KEY_CACHE_SIZE = 1_000

/**
 * Veramo's local KMS, signing Ed25519 with node:crypto instead of did-jwt's pure-JS signer (about 10× faster
 * here), with the decrypted key kept as a non-extractable-in-practice `KeyObject` for the home's lifetime (a
 * bounded cache; the stored copy stays SecretBox-encrypted). Output is identical: a base64url Ed25519 signature
 * (RFC 8032 is deterministic). Other key types and algorithms go to Veramo's implementation.
 */
export class NodeKeyManagementSystem extends KeyManagementSystem {
  readonly #store: AbstractPrivateKeyStore
  readonly #keys = new Map<string, KeyObject>()

  constructor(store: AbstractPrivateKeyStore) {
    super(store)
    this.#store = store
  }

  override async sign(args: {
    keyRef: Pick<IKey, 'kid'>
    algorithm?: string
    data: Uint8Array
  }): Promise<string> {
    if (args.algorithm !== undefined && args.algorithm !== 'EdDSA' && args.algorithm !== 'Ed25519')
      return super.sign(args)
    let key = this.#keys.get(args.keyRef.kid)
    if (!key) {
      let managed: { type: TKeyType; privateKeyHex: string }
      try {
        managed = await this.#store.getKey({ alias: args.keyRef.kid })
      } catch {
        return super.sign(args) // Veramo reports key_not_found its own way
      }
      if (managed.type !== 'Ed25519') return super.sign(args)
      const bytes = Buffer.from(managed.privateKeyHex, 'hex') // seed (32) || public key (32)
      key = createPrivateKey({
        format: 'jwk',
        key: {
          kty: 'OKP',
          crv: 'Ed25519',
          d: bytes.subarray(0, 32).toString('base64url'),
          x: bytes.subarray(32, 64).toString('base64url'),
        },
      })
      if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value as string)
      this.#keys.set(args.keyRef.kid, key)
    }
    return cryptoSign(null, args.data, key).toString('base64url')
  }

  override async deleteKey(args: { kid: string }): Promise<boolean> {
    this.#keys.delete(args.kid)
    return super.deleteKey(args)
  }
}

/** Veramo's key metadata store with a read-through cache: key metadata never changes after import. */
export class CachedKeyStore extends KeyStore {
  readonly #keys = new Map<string, IKey>()

  override async getKey(args: { kid: string }): Promise<IKey> {
    const cached = this.#keys.get(args.kid)
    if (cached) return { ...cached }
    const key = await super.getKey(args)
    if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value as string)
    this.#keys.set(args.kid, Object.freeze({ ...key, meta: key.meta ? structuredClone(key.meta) : key.meta }))
    return key
  }

  override async deleteKey(args: { kid: string }): Promise<boolean> {
    this.#keys.delete(args.kid)
    return super.deleteKey(args)
  }
}

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
}): { agent: VeramoAgent; keyManager: KeyManager; didManager: DIDManager } {
  const { dataSource, secret } = options
  const keyManager = new KeyManager({
    store: new CachedKeyStore(dataSource),
    kms: {
      [KMS_NAME]: new NodeKeyManagementSystem(new PrivateKeyStore(dataSource, new SecretBox(secret))),
    },
  })
  const didManager = new DIDManager({
    store: new DIDStore(dataSource),
    defaultProvider: 'did:key',
    providers: { 'did:key': new KeyDIDProvider({ defaultKms: KMS_NAME }) },
  })
  const agent = createAgent<IKeyManager & IDIDManager & IResolver>({
    plugins: [
      keyManager,
      didManager,
      new DIDResolverPlugin({ resolver: new Resolver(getKeyDidResolver()) }),
      ...(options.plugins ?? []),
    ],
  })
  return { agent, keyManager, didManager }
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
