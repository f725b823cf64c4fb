import { createAgentIdentity } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { createPair, type TestPair } from '../../../test/messaging-fixtures.js'
import {
  AUTHCRYPT_ALG,
  AUTHCRYPT_ENC,
  DIDCOMM_ENCRYPTED,
  MAX_MESSAGE_LENGTH,
  packMessage,
  packPlaintext,
  unpackMessage,
} from './envelope.js'
import { homeReplayStore, memoryReplayStore } from './replay.js'
import { didCommAgent } from './veramo-didcomm.js'

let pair: TestPair
let acme: string
let globex: string

beforeAll(async () => {
  pair = await createPair()
  acme = pair.acme.agent
  globex = pair.globex.agent
})
afterAll(async () => {
  await pair.close()
})

const type = 'https://tessera.invalid/test/1.0/ping'
const pack = (options: Partial<Parameters<typeof packMessage>[1]> = {}) =>
  packMessage(pair.acme.home, { from: acme, to: globex, type, body: { hello: 'world' }, ...options })
const unpack = (packed: string, options: { now?: Date } = {}) =>
  unpackMessage(pair.globex.home, { recipient: globex, packed, replay: memoryReplayStore(), ...options })

function header(packed: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(JSON.parse(packed).protected, 'base64url').toString('utf8'))
}

describe('packMessage / unpackMessage', () => {
  it('authcrypts with ECDH-1PU+A256KW and A256CBC-HS512 to the X25519 key derived from the did:key', async () => {
    const { message, packed } = await pack()
    const h = header(packed)
    expect(h).toMatchObject({ alg: AUTHCRYPT_ALG, enc: AUTHCRYPT_ENC, typ: DIDCOMM_ENCRYPTED })
    // skid and the recipient kid are the keyAgreement (X25519, z6LS...) keys of the two did:keys
    expect(h.skid).toMatch(new RegExp(`^${acme}#z6LS`))
    expect(JSON.parse(packed).recipients[0].header.kid).toMatch(new RegExp(`^${globex}#z6LS`))
    expect(packed).not.toContain('world')
    const opened = await unpack(packed)
    expect(opened.sender).toBe(acme)
    expect(opened.message).toEqual(message)
    expect(message.expires_time - message.created_time).toBe(60)
  })

  it('refuses plaintext, signed and anoncrypt messages (ERR_MSG_NOT_AUTHCRYPT)', async () => {
    const agent = await didCommAgent(pair.acme.home)
    const message = { id: 'm-1', type, from: acme, to: [globex], body: {} }
    for (const packing of ['none', 'jws', 'anoncrypt'] as const) {
      const { message: packed } = await agent.packDIDCommMessage({ packing, message })
      expect(await codeOf(unpack(packed))).toBe('ERR_MSG_NOT_AUTHCRYPT')
    }
  })

  it('refuses a tampered ciphertext, tag or protected header (ERR_MSG_DECRYPT)', async () => {
    const { packed } = await pack()
    const jwe = JSON.parse(packed)
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url')
      bytes.writeUInt8((bytes.readUInt8(bytes.length >> 1) ^ 0x01) & 0xff, bytes.length >> 1)
      return bytes.toString('base64url')
    }
    for (const member of ['ciphertext', 'tag', 'iv']) {
      expect(await codeOf(unpack(JSON.stringify({ ...jwe, [member]: flip(jwe[member]) })))).toBe(
        'ERR_MSG_DECRYPT',
      )
    }
    const recipients = [{ ...jwe.recipients[0], encrypted_key: flip(jwe.recipients[0].encrypted_key) }]
    expect(await codeOf(unpack(JSON.stringify({ ...jwe, recipients })))).toBe('ERR_MSG_DECRYPT')
  })

  it('refuses a message encrypted to someone else, even another agent of the same home (ERR_MSG_DECRYPT)', async () => {
    const other = (await createAgentIdentity(pair.globex.home, { name: 'other', type: 'partner-desk' })).did
    const { packed } = await pack({ to: other })
    expect(await codeOf(unpack(packed))).toBe('ERR_MSG_DECRYPT')
    // and the rightful recipient opens it
    const opened = await unpackMessage(pair.globex.home, {
      recipient: other,
      packed,
      replay: memoryReplayStore(),
    })
    expect(opened.sender).toBe(acme)
  })

  it('refuses a message whose "from" is not the authenticated sender (ERR_MSG_SENDER_MISMATCH)', async () => {
    const mallory = (await createAgentIdentity(pair.acme.home, { name: 'mallory', type: 'x' })).did
    const now = Math.floor(Date.now() / 1000)
    const plaintext = {
      id: 'm-2',
      type,
      from: mallory,
      to: [globex],
      created_time: now,
      expires_time: now + 60,
      body: {},
    }
    // Veramo picks the sender key (skid) from `from`; the serialized plaintext then claims to be Acme's agent.
    const forged = { ...plaintext, toJSON: () => ({ ...plaintext, from: acme }) }
    const packed = await packPlaintext(pair.acme.home, forged)
    expect(header(packed).skid).toMatch(new RegExp(`^${mallory}#`))
    expect(await codeOf(unpack(packed))).toBe('ERR_MSG_SENDER_MISMATCH')
    const honest = await unpack(await packPlaintext(pair.acme.home, { ...plaintext, id: 'm-2b' }))
    expect(honest.sender).toBe(mallory)
  })

  it('refuses a replayed message id, in memory and in the home (ERR_MSG_REPLAY)', async () => {
    const { packed } = await pack()
    const replay = memoryReplayStore()
    await unpackMessage(pair.globex.home, { recipient: globex, packed, replay })
    expect(await codeOf(unpackMessage(pair.globex.home, { recipient: globex, packed, replay }))).toBe(
      'ERR_MSG_REPLAY',
    )
    const persisted = homeReplayStore(pair.globex.home)
    await unpackMessage(pair.globex.home, { recipient: globex, packed, replay: persisted })
    // a second store over the same home (another process, or after a restart) remembers it too
    const again = homeReplayStore(pair.globex.home)
    expect(await codeOf(unpackMessage(pair.globex.home, { recipient: globex, packed, replay: again }))).toBe(
      'ERR_MSG_REPLAY',
    )
    // a new id from the same sender is fine
    const fresh = await pack()
    await unpackMessage(pair.globex.home, { recipient: globex, packed: fresh.packed, replay: again })
  })

  it('refuses a message past its expires_time (ERR_MSG_EXPIRED), within the clock tolerance', async () => {
    const sent = new Date(Date.now() - 10 * 60_000)
    const { packed } = await pack({ now: sent, ttlSec: 60 })
    expect(await codeOf(unpack(packed))).toBe('ERR_MSG_EXPIRED')
    const late = await pack({ now: new Date(Date.now() - 80_000), ttlSec: 60 })
    expect((await unpack(late.packed)).sender).toBe(acme) // 20 s late: within the 30 s tolerance
  })

  it('refuses malformed messages (ERR_MSG_MALFORMED) and oversized ones (ERR_SIZE_LIMIT)', async () => {
    expect(await codeOf(unpack('not json'))).toBe('ERR_MSG_MALFORMED')
    expect(await codeOf(unpack('[]'))).toBe('ERR_MSG_MALFORMED')
    expect(await codeOf(unpack('{"protected":"!!"}'))).toBe('ERR_MSG_MALFORMED')
    expect(await codeOf(unpack('x'.repeat(MAX_MESSAGE_LENGTH + 1)))).toBe('ERR_SIZE_LIMIT')
    const now = Math.floor(Date.now() / 1000)
    const base = {
      id: 'm-3',
      type,
      from: acme,
      to: [globex],
      created_time: now,
      expires_time: now + 60,
      body: {},
    }
    const variants: Record<string, unknown>[] = [
      { ...base, expires_time: undefined },
      { ...base, expires_time: now + 3600 },
      { ...base, created_time: now + 600, expires_time: now + 660 },
      { ...base, body: 'text' },
      { ...base, to: ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', ...[]], id: 'm-4' },
      { ...base, id: '' },
    ]
    for (const variant of variants) {
      const packed = await packPlaintext(pair.acme.home, { ...variant, to: [globex], toJSON: () => variant })
      expect(await codeOf(unpack(packed))).toBe('ERR_MSG_MALFORMED')
    }
    // an algorithm pair other than authcrypt's required one
    const agent = await didCommAgent(pair.acme.home)
    const { message: gcm } = await agent.packDIDCommMessage({
      packing: 'authcrypt',
      message: { ...base, id: 'm-5' } as never,
      options: { alg: 'ECDH-1PU+A256KW', enc: 'A256GCM' },
    })
    expect(await codeOf(unpack(gcm))).toBe('ERR_MSG_MALFORMED')
  })

  it('refuses a "to" that is not a did:key when packing (ERR_INPUT_INVALID)', async () => {
    expect(await codeOf(pack({ to: 'did:web:example.com' }))).toBe('ERR_INPUT_INVALID')
    expect(await codeOf(pack({ ttlSec: 3600 }))).toBe('ERR_INPUT_INVALID')
  })
})
