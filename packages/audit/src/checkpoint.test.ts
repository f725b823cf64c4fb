import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { credentialsMigrations, signCompactJws, veramoSigner } from '@tessera/credentials'
import { type Home, initHome, openHome } from '@tessera/identity'
import { parseDidKey, publicKeyJwk } from '@tessera/identity/did-key'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHECKPOINT_TYP, signCheckpoint, verifyCheckpoint } from './checkpoint.js'
import { EMPTY_ROOT } from './merkle.js'
import { appendAudit, auditMigrations, createCheckpoint, listCheckpoints, verifyAudit } from './store.js'

const migrations = [...credentialsMigrations, ...auditMigrations]
let root: string
let home: Home
let other: Home

async function makeHome(name: string): Promise<Home> {
  await initHome({ dir: join(root, name), org: name, env: {}, migrations })
  return openHome({ dir: join(root, name), env: {}, migrations })
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-audit-checkpoint-'))
  home = await makeHome('acme')
  other = await makeHome('globex')
})
afterAll(async () => {
  await home.close()
  await other.close()
  rmSync(root, { recursive: true, force: true })
})

const append = (h: Home, n: number) =>
  appendAudit(
    h,
    Array.from({ length: n }, (_, i) => ({ actor: h.org.did, type: 'access.allowed' as const, data: { i } })),
  )

/** A JWS signed by `h`'s organisation key with any header and payload (what a confused signer could produce). */
async function signRaw(h: Home, header: Record<string, unknown>, payload: Record<string, unknown>) {
  const signer = await veramoSigner({ agent: h.agent, did: h.org.did })
  return signCompactJws({ header: { alg: 'EdDSA', kid: signer.kid, ...header }, payload, sign: signer.sign })
}

describe('checkpoints', () => {
  it('signs { iss, size, root, iat } as a tessera-checkpoint+jwt that jose verifies with the did:key', async () => {
    const empty = await createCheckpoint(home)
    expect(empty.payload).toMatchObject({ iss: home.org.did, size: 0, root: EMPTY_ROOT.toString('hex') })
    await append(home, 10)
    const { token, payload } = await createCheckpoint(home)
    expect(payload.size).toBe(10)
    expect(verifyCheckpoint(token, { orgDid: home.org.did })).toEqual(payload)

    // a third party with a standard JOSE library and nothing but the organisation's DID
    const key = await jose.importJWK(publicKeyJwk(parseDidKey(home.org.did)) as jose.JWK, 'EdDSA')
    const verified = await jose.compactVerify(token, key, { algorithms: ['EdDSA'] })
    expect(verified.protectedHeader).toEqual({
      alg: 'EdDSA',
      typ: CHECKPOINT_TYP,
      kid: `${home.org.did}#${home.org.did.slice('did:key:'.length)}`,
    })
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload)
  })

  it('reuses the checkpoint of a size already signed and extends the tree from the last one', async () => {
    const first = await createCheckpoint(home)
    expect((await createCheckpoint(home)).token).toBe(first.token)
    await append(home, 7)
    const later = await createCheckpoint(home)
    const historical = await createCheckpoint(home, { size: 3 })
    expect(later.payload.size).toBe(17)
    expect(historical.payload.size).toBe(3)
    // what the incremental path signed is what verifying everything from scratch computes
    const report = await verifyAudit(home)
    expect(report).toMatchObject({ ok: true, size: 17, root: later.payload.root })
    expect(report.checkpoints).toBe((await listCheckpoints(home)).length)
    await expect(createCheckpoint(home, { size: 18 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })

  it('rejects every checkpoint that is not one of this organisation (ERR_AUDIT_CHECKPOINT_INVALID)', async () => {
    const { token } = await createCheckpoint(home)
    const [h, p, s] = token.split('.') as [string, string, string]
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
    const globex = await createCheckpoint(other)
    const payloadOf = (iss: string, extra: Record<string, unknown> = {}) => ({
      iss,
      size: 1,
      root: 'ab'.repeat(32),
      iat: 1,
      ...extra,
    })
    const cases: [string, string, string | undefined][] = [
      ['a flipped signature bit', flipped, 'ERR_JWS_SIGNATURE'],
      ['a payload swapped in', `${h}.${globex.token.split('.')[1]}.${s}`, 'ERR_JWS_SIGNATURE'],
      ["another organisation's checkpoint", globex.token, 'ERR_JWS_KID'],
      ['not a JWS', 'not.a.jws', 'ERR_JWS_MALFORMED'],
      ['a vc+jwt', await signRaw(home, { typ: 'vc+jwt' }, payloadOf(home.org.did)), 'ERR_JWS_TYP'],
      ['no typ', await signRaw(home, {}, payloadOf(home.org.did)), 'ERR_JWS_TYP'],
      ['another iss', await signRaw(home, { typ: CHECKPOINT_TYP }, payloadOf(other.org.did)), undefined],
      [
        'a negative size',
        await signRaw(home, { typ: CHECKPOINT_TYP }, payloadOf(home.org.did, { size: -1 })),
        undefined,
      ],
      [
        'an upper-case root',
        await signRaw(home, { typ: CHECKPOINT_TYP }, payloadOf(home.org.did, { root: 'AB'.repeat(32) })),
        undefined,
      ],
      [
        'no iat',
        await signRaw(home, { typ: CHECKPOINT_TYP }, payloadOf(home.org.did, { iat: 'now' })),
        undefined,
      ],
      ['an oversized token', `${token}${'A'.repeat(5000)}`, 'ERR_SIZE_LIMIT'],
    ]
    for (const [what, bad, reason] of cases) {
      let caught: unknown
      try {
        verifyCheckpoint(bad, { orgDid: home.org.did })
      } catch (err) {
        caught = err
      }
      expect(caught, what).toMatchObject({ code: 'ERR_AUDIT_CHECKPOINT_INVALID' })
      if (reason !== undefined) expect((caught as { details?: unknown }).details, what).toEqual({ reason })
    }
    expect(() => verifyCheckpoint(token, { orgDid: 'did:web:example.com' })).toThrow(
      expect.objectContaining({ code: 'ERR_DID_METHOD_NOT_SUPPORTED' }),
    )
  })

  it('refuses to sign a bad size or root', async () => {
    await expect(signCheckpoint(home, { size: -1, root: 'ab'.repeat(32) })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    })
    await expect(signCheckpoint(home, { size: 1, root: 'xyz' })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    })
  })
})
