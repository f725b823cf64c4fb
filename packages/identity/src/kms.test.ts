import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { x25519 } from '@noble/curves/ed25519.js'
import { PrivateKeyStore } from '@veramo/data-store'
import { KeyManagementSystem, SecretBox } from '@veramo/kms-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgentIdentity } from './agents.js'
import { parseDidKey, resolveDidKey } from './did-key.js'
import { type Home, initHome, openHome } from './home.js'
import { loadSecret } from './secret.js'

let root: string
let home: Home
let veramoKms: KeyManagementSystem

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-kms-'))
  const dir = join(root, 'home')
  await initHome({ dir, org: 'Acme', env: {} })
  home = await openHome({ dir, env: {} })
  // Veramo's own local KMS over the same encrypted key store: the independent implementation to agree with
  const { secret } = loadSecret(dir, {})
  veramoKms = new KeyManagementSystem(new PrivateKeyStore(home.dataSource, new SecretBox(secret)))
})
afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

/** The X25519 key of a did:key's keyAgreement method (did:key v0.9 "Derive Encryption Key Algorithm"). */
function agreementKeyHex(did: string): string {
  const method = resolveDidKey(did).keyAgreement?.[0]
  if (typeof method !== 'object') throw new Error('no embedded keyAgreement method')
  return Buffer.from(parseDidKey(`did:key:${method.publicKeyMultibase}`).publicKey).toString('hex')
}

describe('NodeKeyManagementSystem.sharedSecret (node:crypto X25519)', () => {
  it("agrees with Veramo's KMS, with the peer's side of the exchange, and with noble's X25519", async () => {
    const a = await createAgentIdentity(home, { name: 'a', type: 't' })
    const b = await createAgentIdentity(home, { name: 'b', type: 't' })
    // Veramo's did:key provider names a key by its public key, hex
    const [aKid = '', bKid = ''] = [a.did, b.did].map((did) =>
      Buffer.from(parseDidKey(did).publicKey).toString('hex'),
    )
    const bPub = { type: 'X25519' as const, publicKeyHex: agreementKeyHex(b.did) }
    const aPub = { type: 'X25519' as const, publicKeyHex: agreementKeyHex(a.did) }
    const ours = await home.keyManager.keyManagerSharedSecret({ secretKeyRef: aKid, publicKey: bPub })
    const veramo = await veramoKms.sharedSecret({ myKeyRef: { kid: aKid }, theirKey: bPub })
    const peer = await home.keyManager.keyManagerSharedSecret({ secretKeyRef: bKid, publicKey: aPub })
    expect(ours).toMatch(/^[0-9a-f]{64}$/)
    expect(ours).toBe(veramo)
    expect(ours).toBe(peer)
    // an ephemeral key, as in ECDH-ES / ECDH-1PU: noble computes the same secret from the other side
    const ephemeral = x25519.utils.randomSecretKey()
    const ephemeralPub = Buffer.from(x25519.getPublicKey(ephemeral)).toString('hex')
    const fromNoble = Buffer.from(
      x25519.getSharedSecret(ephemeral, Buffer.from(aPub.publicKeyHex, 'hex')),
    ).toString('hex')
    expect(
      await home.keyManager.keyManagerSharedSecret({
        secretKeyRef: aKid,
        publicKey: { type: 'X25519', publicKeyHex: ephemeralPub },
      }),
    ).toBe(fromNoble)
  })

  it('refuses a small-order public key, as Veramo does', async () => {
    const a = await createAgentIdentity(home, { name: 'c', type: 't' })
    const kid = Buffer.from(parseDidKey(a.did).publicKey).toString('hex')
    const zero = { type: 'X25519' as const, publicKeyHex: '00'.repeat(32) }
    await expect(
      home.keyManager.keyManagerSharedSecret({ secretKeyRef: kid, publicKey: zero }),
    ).rejects.toThrow()
    await expect(veramoKms.sharedSecret({ myKeyRef: { kid }, theirKey: zero })).rejects.toThrow()
  })
})
