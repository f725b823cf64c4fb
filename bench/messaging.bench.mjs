// The agent-to-agent channel (@tessera/messaging), every figure against a reference measured in this same process:
// 1. a full handshake in-process (openChannel over memoryTransport: 4 authcrypt messages packed and unpacked,
//    2 presentations signed, 2 verified with trust bundle and status checks, 2 single-use challenges issued and
//    redeemed in the homes' SQLite, 4 replay-store inserts, 2 audit appends), against two trust-loop
//    verifications (verifyPresentation of the same presentations' kind: 1 credential, trust bundle, status);
// 2. pack + unpack of a 1 KiB authcrypt message (ECDH-1PU+A256KW, A256CBC-HS512, through Veramo's DIDComm plugin,
//    with every receiver check and the replay store in memory), against node:crypto doing the same cryptography
//    (X25519 key generation and 4 ECDH, Concat KDF, A256KW wrap and unwrap, AES-256-CBC + HMAC-SHA-512 both ways).
// Needs the built packages (`npx tsc -b`). Temporary homes under os.tmpdir(), removed at the end.
//
//   node bench/run.mjs messaging
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { auditMigrations, enableAudit } from '../packages/audit/dist/index.js'
import {
  createPresentation,
  credentialsMigrations,
  issueRoleCredential,
  signCredentialJwt,
  veramoSigner,
  verifyPresentation,
} from '../packages/credentials/dist/index.js'
import { createAgentIdentity, initHome, openHome } from '../packages/identity/dist/index.js'
import {
  createAgentEndpoint,
  memoryReplayStore,
  memoryTransport,
  messagingMigrations,
  openChannel,
  packMessage,
  unpackMessage,
} from '../packages/messaging/dist/index.js'
import { addTrust, emptyTrustBundle } from '../packages/policy/dist/index.js'
import {
  createStatusCache,
  directorySource,
  enableStatusLists,
  publishHomeStatusLists,
  statusChecker,
  statusMigrations,
} from '../packages/status/dist/index.js'
import { measurePaired, report } from './lib.mjs'

const migrations = [...credentialsMigrations, ...statusMigrations, ...auditMigrations, ...messagingMigrations]

/** Alternating short runs of each side (see measurePaired in lib.mjs). */
const paired = (a, b, options) => measurePaired(a, b, { rounds: 9, runMs: 300, ...options })

async function organisation(root, name, role, permissions) {
  const dir = join(root, name)
  await initHome({ dir, org: name, env: {}, migrations })
  const home = await openHome({ dir, env: {}, migrations })
  enableStatusLists(home)
  enableAudit(home)
  const agent = (await createAgentIdentity(home, { name: `${name} bot`, type: role })).did
  const { jwt } = await issueRoleCredential(home, { agent, role, permissions })
  const published = join(root, `${name}-status`)
  mkdirSync(published)
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  await publishHomeStatusLists(home, {
    outDir: published,
    signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
  })
  return { home, agent, credential: jwt, published }
}

function statusOf(trust, peer) {
  return statusChecker(
    createStatusCache({ sources: [directorySource(peer.published)], trust, maxStalenessMs: 86_400_000 }),
  )
}

/** One authcrypt message (sender → recipient) and back out, in node:crypto: the cryptography of figure 2. */
function rawAuthcrypt(plaintext, sender, recipient) {
  const kdf = (ze, zs) =>
    createHash('sha256')
      .update(Buffer.from([0, 0, 0, 1]))
      .update(ze)
      .update(zs)
      .digest()
  const WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex')
  const aad = Buffer.from('eyJhbGciOiJFQ0RILTFQVStBMjU2S1ciLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0')
  // sender
  const ephemeral = generateKeyPairSync('x25519')
  const kek = kdf(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.publicKey }),
    diffieHellman({ privateKey: sender.privateKey, publicKey: recipient.publicKey }),
  )
  const cek = randomBytes(64)
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-256-cbc', cek.subarray(32), iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const mac = (key) =>
    createHmac('sha512', key).update(aad).update(iv).update(ciphertext).digest().subarray(0, 32)
  const tag = mac(cek.subarray(0, 32))
  const wrap = createCipheriv('id-aes256-wrap', kek, WRAP_IV)
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()])
  // recipient
  const kek2 = kdf(
    diffieHellman({ privateKey: recipient.privateKey, publicKey: ephemeral.publicKey }),
    diffieHellman({ privateKey: recipient.privateKey, publicKey: sender.publicKey }),
  )
  const unwrap = createDecipheriv('id-aes256-wrap', kek2, WRAP_IV)
  const cek2 = Buffer.concat([unwrap.update(wrapped), unwrap.final()])
  if (!timingSafeEqual(mac(cek2.subarray(0, 32)), tag)) throw new Error('raw authcrypt: tag mismatch')
  const decipher = createDecipheriv('aes-256-cbc', cek2.subarray(32), iv)
  const out = Buffer.concat([decipher.update(ciphertext), decipher.final()])
  if (out.length !== plaintext.length) throw new Error('raw authcrypt: wrong plaintext')
}

const root = mkdtempSync(join(tmpdir(), 'tessera-bench-messaging-'))
try {
  const acme = await organisation(root, 'acme', 'support-agent', [{ action: 'read', resource: 'tickets/*' }])
  const globex = await organisation(root, 'globex', 'partner-desk', [
    { action: 'read', resource: 'orders/*' },
  ])
  try {
    const globexTrust = addTrust(emptyTrustBundle(), {
      org: 'Acme',
      issuer: acme.home.org.did,
      role: 'support-agent',
      permissions: ['read:tickets/*'],
    })
    const acmeTrust = addTrust(emptyTrustBundle(), {
      org: 'Globex',
      issuer: globex.home.org.did,
      role: 'partner-desk',
      permissions: ['read:orders/*'],
    })
    const acmeStatus = statusOf(acmeTrust, globex)
    const globexStatus = statusOf(globexTrust, acme)
    const endpoint = await createAgentEndpoint({
      self: { home: globex.home, did: globex.agent, credentials: [globex.credential] },
      trust: globexTrust,
      status: globexStatus,
      handlers: { read: () => ({ ok: true }) },
    })
    const transport = memoryTransport(endpoint)

    // --- 1. the full handshake -----------------------------------------------------------------------------
    const handshake = async () => {
      const channel = await openChannel({
        self: { home: acme.home, did: acme.agent, credentials: [acme.credential] },
        peer: globex.agent,
        transport,
        trust: acmeTrust,
        status: acmeStatus,
      })
      if (!channel.peerDecision.verified) throw new Error('bench handshake: peer not verified')
    }
    await handshake()
    // Reference: the two presentations a handshake verifies, verified by the trust loop (no challenge: a
    // single-use challenge would refuse every repeat; aud, times, signatures, holder, status and trust run).
    const vpGlobex = await createPresentation(globex.home, {
      holder: globex.agent,
      credentials: [globex.credential],
      challenge: randomBytes(32).toString('base64url'),
      domain: acme.agent,
    })
    const vpAcme = await createPresentation(acme.home, {
      holder: acme.agent,
      credentials: [acme.credential],
      challenge: randomBytes(32).toString('base64url'),
      domain: globex.agent,
    })
    const verifyBoth = async () => {
      const a = await verifyPresentation({
        presentation: vpGlobex,
        domain: acme.agent,
        trust: acmeTrust,
        status: acmeStatus,
      })
      const b = await verifyPresentation({
        presentation: vpAcme,
        domain: globex.agent,
        trust: globexTrust,
        status: globexStatus,
      })
      if (!a.verified || !b.verified) throw new Error('bench presentations did not verify')
    }
    await verifyBoth()
    const {
      a: handshakes,
      b: verifications,
      cpuRatio,
    } = await paired(handshake, verifyBoth, {
      rounds: 7,
      runMs: 600,
    })
    report({
      name: 'full handshake in-process (openChannel: 4 authcrypt messages, 2 presentations signed and verified)',
      value: handshakes,
      unit: 'handshakes/s',
      reference: {
        label: 'two trust-loop verifications (verifyPresentation x2, trust bundle and status)',
        value: verifications,
        unit: 'pairs/s',
      },
      note:
        'the handshake also issues and redeems 2 single-use challenges and writes 4 replay rows and 2 audit entries ' +
        `in the two SQLite homes; ratio by CPU time per op: ${cpuRatio.toFixed(3)}`,
    })

    // --- 2. pack + unpack of a 1 KiB authcrypt message ----------------------------------------------------
    const body = { data: 'x'.repeat(1024) }
    const replay = memoryReplayStore({ maxEntries: 10_000_000 })
    const packUnpack = async () => {
      const { packed } = await packMessage(acme.home, {
        from: acme.agent,
        to: globex.agent,
        type: 'https://tessera.invalid/bench/1.0/blob',
        body,
      })
      const { sender } = await unpackMessage(globex.home, { recipient: globex.agent, packed, replay })
      if (sender !== acme.agent) throw new Error('bench message: wrong sender')
    }
    await packUnpack()
    const plaintext = Buffer.from(JSON.stringify({ id: 'x', type: 't', body }))
    const senderKeys = generateKeyPairSync('x25519')
    const recipientKeys = generateKeyPairSync('x25519')
    const raw = () => rawAuthcrypt(plaintext, senderKeys, recipientKeys)
    raw()
    const { a: messages, b: rawMessages, cpuRatio: messageCpu } = await paired(packUnpack, raw)
    report({
      name: 'pack + unpack of a 1 KiB authcrypt message (Veramo DIDComm, every receiver check, replay store in memory)',
      value: messages,
      unit: 'messages/s',
      reference: {
        label: 'node:crypto, same cryptography (X25519 keygen + 4 ECDH, A256KW, A256CBC-HS512)',
        value: rawMessages,
        unit: 'messages/s',
      },
      note: `ratio by CPU time per op: ${messageCpu.toFixed(3)}`,
    })
  } finally {
    await acme.home.close()
    await globex.home.close()
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
