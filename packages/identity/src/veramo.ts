import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  diffieHellman,
  type KeyObject,
} from 'node:crypto'
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

/** DER prefixes of an X25519 private key (PKCS #8, RFC 8410 §7) and public key (SPKI, RFC 8410 §4). */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

/**
 * The X25519 private key of an Ed25519 seed (RFC 8032 §5.1.5 step 1-2: the clamped first half of SHA-512 of the
 * seed), the scalar whose X25519 public key is the birational image of the Ed25519 public key (RFC 7748 §4.1):
 * the key of the did:key's derived `keyAgreement` method. Same result as Veramo's
 * `convertEd25519PrivateKeyToX25519`.
 */
function x25519FromEd25519Seed(seed: Uint8Array): Buffer {
  const scalar = createHash('sha512').update(seed).digest().subarray(0, 32)
  scalar.writeUInt8(scalar.readUInt8(0) & 248, 0)
  scalar.writeUInt8((scalar.readUInt8(31) & 127) | 64, 31)
  return scalar
}

/**
 * Veramo's local KMS, signing Ed25519 (and computing X25519 shared secrets) with node:crypto instead of the
 * pure-JS implementations (about 10× faster here), with the decrypted key kept as a non-extractable-in-practice `KeyObject` for the home's lifetime (a
 * bounded cache; the stored copy stays SecretBox-encrypted). Output is identical: a base64url Ed25519 signature
 * (RFC 8032 is deterministic). Other key types and algorithms go to Veramo's implementation.
 */
export class NodeKeyManagementSystem extends KeyManagementSystem {
  readonly #store: AbstractPrivateKeyStore
  readonly #keys = new Map<string, KeyObject>()
  readonly #agreementKeys = new Map<string, KeyObject>()

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

  /**
   * ECDH with node:crypto's X25519 (used by DIDComm authcrypt and anoncrypt): an Ed25519 key is turned into its
   * X25519 key as Veramo's KMS does (see {@link x25519FromEd25519Seed}), kept as a `KeyObject` for the home's
   * lifetime (bounded cache). The peer's key must be X25519 here; anything else goes to Veramo's implementation,
   * as do keys the store does not hold. Output is identical: the 32-byte shared secret, hex.
   */
  override async sharedSecret(args: {
    myKeyRef: Pick<IKey, 'kid'>
    theirKey: Pick<IKey, 'type' | 'publicKeyHex'>
  }): Promise<string> {
    const theirs = args.theirKey
    if (
      theirs?.type !== 'X25519' ||
      typeof theirs.publicKeyHex !== 'string' ||
      !/^[0-9a-f]{64}$/i.test(theirs.publicKeyHex)
    ) {
      return super.sharedSecret(args)
    }
    let mine = this.#agreementKeys.get(args.myKeyRef.kid)
    if (!mine) {
      let managed: { type: TKeyType; privateKeyHex: string }
      try {
        managed = await this.#store.getKey({ alias: args.myKeyRef.kid })
      } catch {
        return super.sharedSecret(args)
      }
      const bytes = Buffer.from(managed.privateKeyHex, 'hex')
      let scalar: Buffer
      if (managed.type === 'Ed25519') scalar = x25519FromEd25519Seed(bytes.subarray(0, 32))
      else if (managed.type === 'X25519' && bytes.length === 32) scalar = bytes
      else return super.sharedSecret(args)
      mine = createPrivateKey({
        key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]),
        format: 'der',
        type: 'pkcs8',
      })
      if (this.#agreementKeys.size >= KEY_CACHE_SIZE) {
        this.#agreementKeys.delete(this.#agreementKeys.keys().next().value as string)
      }
      this.#agreementKeys.set(args.myKeyRef.kid, mine)
    }
    const publicKey = createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, Buffer.from(theirs.publicKeyHex, 'hex')]),
      format: 'der',
      type: 'spki',
    })
    // node:crypto refuses a small-order public key (an all-zero shared secret), as Veramo's noble path does.
    return diffieHellman({ privateKey: mine, publicKey }).toString('hex')
  }

  override async deleteKey(args: { kid: string }): Promise<boolean> {
    this.#keys.delete(args.kid)
    this.#agreementKeys.delete(args.kid)
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
