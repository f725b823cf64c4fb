/**
 * Loading Veramo's DIDComm v2 plugin and wiring it to an organisation home: a Veramo agent over the home's key
 * manager and DID manager (the same keys and DIDs as `home.agent`), Tessera's offline did:key resolver, and
 * `@veramo/did-comm`'s `DIDComm` plugin.
 */
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'
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
 * `@veramo/did-comm` 7.0.1 imports `@noble/hashes/utils` (and `/hmac`, `/sha512`) without declaring
 * `@noble/hashes` as a dependency. Under pnpm it then resolves to whatever version is hoisted, and
 * `@noble/hashes` 2.x exports only `./utils.js`, so the import fails with `ERR_PACKAGE_PATH_NOT_EXPORTED`.
 * This resolve hook (node:module `register`, Node >= 20.6) retries exactly those failed imports from the
 * location of the `@noble/curves` that did-comm does declare, whose own `@noble/hashes` is the 1.x it was
 * written against. Every other import, and any import that resolves on its own, is left alone.
 * The proper fix is a `pnpm.packageExtensions` entry giving `@veramo/did-comm` its missing dependency.
 */
function registerNobleHashesFallback(): void {
  const fromHere = createRequire(import.meta.url)
  const curves = createRequire(fromHere.resolve('@veramo/did-comm')).resolve('@noble/curves/ed25519')
  const base = JSON.stringify(pathToFileURL(curves).href)
  const hook = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (err) {
    if (err?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' || !specifier.startsWith('@noble/hashes/') ||
        !String(context.parentURL).includes('/@veramo/did-comm/')) throw err
    return next(specifier, { ...context, parentURL: ${base} })
  }
}`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
}

/** `@veramo/did-comm`, loaded once per process (see {@link registerNobleHashesFallback}). */
export function loadDidComm(): Promise<DidCommModule> {
  if (loading === undefined) {
    registerNobleHashesFallback()
    loading = import('@veramo/did-comm')
  }
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
