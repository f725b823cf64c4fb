/**
 * Loading Veramo's DIDComm v2 plugin and wiring it to an organisation home: a Veramo agent over the home's key
 * manager and DID manager (the same keys and DIDs as `home.agent`), Tessera's offline did:key resolver, and
 * `@veramo/did-comm`'s `DIDComm` plugin.
 */
import type { Home } from '@tessera/identity'
import { getDidKeyResolver } from '@tessera/identity/did-key'
import { createAgent, type IDIDManager, type IKeyManager, type IResolver, type TAgent } from '@veramo/core'
import type { IDIDComm } from '@veramo/did-comm'
import { DIDResolverPlugin } from '@veramo/did-resolver'
import { Resolver } from 'did-resolver'

/** A Veramo agent that can pack and unpack DIDComm v2 messages with a home's keys. */
export type DidCommAgent = TAgent<IKeyManager & IDIDManager & IResolver & IDIDComm>

type DidCommModule = typeof import('@veramo/did-comm')

let loading: Promise<DidCommModule> | undefined

/**
 * `@veramo/did-comm`, loaded on first use so that commands which never message do not pay for it. (It imports
 * `@noble/hashes` without declaring it; pnpm-workspace.yaml's `packageExtensions` declares it for them.)
 */
export function loadDidComm(): Promise<DidCommModule> {
  loading ??= import('@veramo/did-comm')
  return loading
}

const agents = new WeakMap<Home, DidCommAgent>()

/**
 * The home's DIDComm agent (one per home): Veramo's `DIDComm` plugin with the home's key manager (its KMS
 * turns the Ed25519 did:key private key into the X25519 key of the DID's `keyAgreement` for ECDH, did:key
 * v0.9 "Derive Encryption Key Algorithm") and DID manager, and the offline did:key resolver of
 * `@tessera/identity/did-key`, whose documents list that derived X25519 key under `keyAgreement`. It has no
 * transports: Tessera moves packed messages itself.
 */
export async function didCommAgent(home: Home): Promise<DidCommAgent> {
  const cached = agents.get(home)
  if (cached !== undefined) return cached
  const { DIDComm } = await loadDidComm()
  const agent = createAgent<IKeyManager & IDIDManager & IResolver & IDIDComm>({
    plugins: [
      home.keyManager,
      home.didManager,
      new DIDResolverPlugin({ resolver: new Resolver(getDidKeyResolver()) }),
      new DIDComm({ transports: [] }),
    ],
  })
  agents.set(home, agent)
  return agent
}
