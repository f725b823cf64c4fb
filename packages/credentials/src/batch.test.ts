// createVerifierPool with real worker threads and real Ed25519 signatures (node:crypto).
//
// The workers run the built `dist/batch-worker.js` (Node 20 cannot start a `.ts` worker; see batch.ts), while
// the single-thread reference below runs the sources: `npx tsc -b` first, and again after editing verify.ts,
// or the comparison tests compare against a stale build.
import { generateKeyPairSync, sign } from 'node:crypto'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { InputError, type Permission, TesseraError } from '@tessera/core'
import { didKeyFromPublicKey } from '@tessera/identity/did-key'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BatchDecision,
  type BatchItem,
  createVerifierPool,
  type VerifierPool,
  verifierPoolWorkers,
} from './batch.js'
import type { ChallengeOutcome, ChallengeStore } from './challenge.js'
import { signCredentialJwt } from './issue.js'
import { signCompactJws } from './jws.js'
import { envelopeCredential } from './present.js'
import { buildRoleCredential, CREDENTIALS_V2 } from './role-credential.js'
import type { JwsSigner } from './signer.js'
import { type Decision, verifyPresentation } from './verify.js'

const DOMAIN = 'verifier.example'
const NOW = new Date('2026-03-01T12:00:00Z')
const IAT = Math.floor(NOW.getTime() / 1000)
const READ: Permission = { action: 'read', resource: 'tickets/42' }
const WRITE: Permission = { action: 'write', resource: 'tickets/42' }

interface Key {
  did: string
  signer: JwsSigner
}

function newKey(): Key {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x as string
  const did = didKeyFromPublicKey({ keyType: 'Ed25519', publicKey: Buffer.from(x, 'base64url') })
  return {
    did,
    signer: {
      alg: 'EdDSA',
      kid: `${did}#${did.slice('did:key:'.length)}`,
      sign: async (input) => sign(null, input, privateKey),
    },
  }
}

const issuer = newKey()
const stranger = newKey()
const holders = Array.from({ length: 5 }, newKey)
const trust: TrustBundle = addTrust(
  addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: issuer.did,
    role: 'support-agent',
    permissions: ['read:tickets/*'],
  }),
  { org: 'Acme', role: 'auditor', permissions: ['read:logs/*'] },
)

let serial = 0
async function credential(
  holder: Key,
  options: {
    by?: Key
    role?: string
    subject?: string
    validUntil?: Date
    credentialStatus?: Record<string, unknown>[]
  } = {},
): Promise<string> {
  return signCredentialJwt({
    credential: buildRoleCredential({
      id: `urn:uuid:batch-test-${serial++}`,
      issuer: (options.by ?? issuer).did,
      subject: options.subject ?? holder.did,
      role: options.role ?? 'support-agent',
      permissions: [{ action: 'read', resource: 'tickets/*' }],
      validFrom: new Date(NOW.getTime() - 2 * 86_400_000),
      validUntil: options.validUntil ?? new Date(NOW.getTime() + 86_400_000),
      credentialStatus: options.credentialStatus,
    }),
    signer: (options.by ?? issuer).signer,
    now: new Date(NOW.getTime() - 3_600_000),
  })
}

async function presentation(
  holder: Key,
  credentials: string[],
  options: { nonce?: string; aud?: string; iat?: number; exp?: number } = {},
): Promise<string> {
  const iat = options.iat ?? IAT
  return signCompactJws({
    header: { alg: 'EdDSA', typ: 'vp+jwt', kid: holder.signer.kid },
    payload: {
      '@context': [CREDENTIALS_V2],
      type: ['VerifiablePresentation'],
      holder: holder.did,
      verifiableCredential: credentials.map(envelopeCredential),
      iss: holder.did,
      aud: options.aud ?? DOMAIN,
      nonce: options.nonce ?? `nonce-${serial++}`,
      iat,
      exp: options.exp ?? iat + 300,
    },
    sign: holder.signer.sign,
  })
}

/** Change one character inside the signature (not the last, whose unused bits must stay zero): a forgery. */
function tamper(token: string): string {
  const at = token.length - 10
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

/** What a verifier would see in one run: valid and invalid presentations, each with the code it must fail with. */
async function mixedItems(): Promise<{ item: BatchItem; code: string | undefined }[]> {
  const [a, b, c, d, e] = holders as [Key, Key, Key, Key, Key]
  const good = await presentation(a, [await credential(a)])
  return [
    { item: { presentation: good, domain: DOMAIN, request: READ }, code: undefined },
    { item: { presentation: good, domain: DOMAIN, request: WRITE }, code: 'ERR_POLICY_DENIED' },
    { item: { presentation: await presentation(b, [await credential(b)]), domain: DOMAIN }, code: undefined },
    { item: { presentation: good, domain: 'other.example' }, code: 'ERR_DOMAIN_MISMATCH' },
    {
      item: {
        presentation: await presentation(c, [await credential(c)], { iat: IAT - 900, exp: IAT - 600 }),
        domain: DOMAIN,
      },
      code: 'ERR_VP_EXPIRED',
    },
    { item: { presentation: tamper(good), domain: DOMAIN }, code: 'ERR_JWS_SIGNATURE' },
    {
      item: { presentation: await presentation(d, [await credential(d, { by: stranger })]), domain: DOMAIN },
      code: 'ERR_TRUST_ISSUER_UNKNOWN',
    },
    {
      item: {
        presentation: await presentation(e, [
          await credential(e, {
            credentialStatus: [
              {
                id: 'https://status.example/1#7',
                type: 'BitstringStatusListEntry',
                statusPurpose: 'revocation',
                statusListIndex: '7',
                statusListCredential: 'https://status.example/1',
              },
            ],
          }),
        ]),
        domain: DOMAIN,
      },
      code: 'ERR_STATUS_UNCHECKABLE',
    },
    {
      item: { presentation: await presentation(a, [await credential(b)]), domain: DOMAIN },
      code: 'ERR_HOLDER_MISMATCH',
    },
    {
      item: {
        presentation: await presentation(b, [
          await credential(b, { validUntil: new Date(NOW.getTime() - 86_400_000) }),
        ]),
        domain: DOMAIN,
      },
      code: 'ERR_VC_EXPIRED',
    },
    {
      item: {
        presentation: await presentation(c, [await credential(c, { role: 'auditor' })]),
        domain: DOMAIN,
      },
      code: undefined,
    },
    {
      item: { presentation: await presentation(d, [await credential(d, { role: 'admin' })]), domain: DOMAIN },
      code: 'ERR_TRUST_ROLE_NOT_ALLOWED',
    },
    { item: { presentation: await presentation(e, []), domain: DOMAIN }, code: 'ERR_POLICY_NO_CREDENTIALS' },
    { item: { presentation: 'not-a-jws', domain: DOMAIN }, code: 'ERR_JWS_MALFORMED' },
    { item: { presentation: `${'a'.repeat(70_000)}.b.c`, domain: DOMAIN }, code: 'ERR_SIZE_LIMIT' },
  ]
}

function withoutNonce(decision: BatchDecision): Decision {
  const { nonce: _nonce, ...rest } = decision
  return rest
}

async function verifyOneByOne(items: readonly BatchItem[], challenges?: ChallengeStore): Promise<Decision[]> {
  const decisions: Decision[] = []
  for (const item of items) {
    decisions.push(
      await verifyPresentation({
        ...item,
        trust,
        now: NOW,
        ...(challenges === undefined ? {} : { challenges }),
      }),
    )
  }
  return decisions
}

/** A challenge store over a fixed set of challenges for one domain, recording what it was asked to redeem. */
function fixedChallengeStore(
  domain: string,
  challenges: readonly string[],
): ChallengeStore & { asked: string[] } {
  const known = new Set(challenges)
  const used = new Set<string>()
  const asked: string[] = []
  return {
    asked,
    async consume({ challenge, domain: requested }): Promise<ChallengeOutcome> {
      asked.push(challenge)
      if (!known.has(challenge)) return 'unknown'
      if (used.has(challenge)) return 'used'
      if (requested !== domain) return 'domain-mismatch'
      used.add(challenge)
      return 'ok'
    },
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('createVerifierPool', () => {
  let pool: VerifierPool
  let mix: { item: BatchItem; code: string | undefined }[]

  beforeAll(async () => {
    const worker = new URL('../dist/batch-worker.js', import.meta.url)
    if (!existsSync(worker)) throw new Error(`${worker.pathname} is missing: build first with \`npx tsc -b\``)
    pool = createVerifierPool({ threads: 2, trust })
    mix = await mixedItems()
  })

  afterAll(async () => {
    await pool?.close()
  })

  it('returns, item by item, what verifyPresentation returns, in input order', async () => {
    // 20 rounds of the mix: 300 items, cut into several chunks per thread.
    const items = Array.from({ length: 20 }, () => mix.map((m) => m.item)).flat()
    const [pooled, single] = await Promise.all([pool.verifyBatch(items, { now: NOW }), verifyOneByOne(items)])
    expect(pooled).toHaveLength(items.length)
    pooled.forEach((decision, i) => {
      expect(withoutNonce(decision)).toStrictEqual(single[i])
      const expected = mix[i % mix.length]?.code
      if (expected === undefined) expect(decision.verified).toBe(true)
      else expect(decision.errors.map((e) => e.code)).toContain(expected)
    })
    expect(pooled.filter((d) => d.verified)).toHaveLength(20 * 4)
  })

  it('reports the nonce of each presentation whose signature verified', async () => {
    const holder = holders[0] as Key
    const cred = await credential(holder)
    const items = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => ({
        presentation: await presentation(holder, [cred], { nonce: `order-${i}` }),
        domain: DOMAIN,
      })),
    )
    items[7] = { ...items[7], presentation: tamper((items[7] as BatchItem).presentation) } as BatchItem
    const decisions = await pool.verifyBatch(items, { now: NOW })
    decisions.forEach((decision, i) => {
      if (i === 7) {
        expect(decision.nonce).toBeUndefined()
        expect(decision.errors[0]?.code).toBe('ERR_JWS_SIGNATURE')
      } else {
        expect(decision.nonce).toBe(`order-${i}`)
        expect(decision.verified).toBe(true)
      }
    })
  })

  it('verifies concurrent batches independently', async () => {
    const items = mix.map((m) => m.item)
    const reversed = [...items].reverse()
    const [first, second, single] = await Promise.all([
      pool.verifyBatch(items, { now: NOW }),
      pool.verifyBatch(reversed, { now: NOW }),
      verifyOneByOne(items),
    ])
    expect(first.map(withoutNonce)).toStrictEqual(single)
    expect(second.map(withoutNonce)).toStrictEqual([...single].reverse())
  })

  it('resolves an empty batch to an empty list', async () => {
    await expect(pool.verifyBatch([])).resolves.toStrictEqual([])
  })

  it('redeems challenges in the main thread, in input order, only for authentic presentations', async () => {
    const [a, b] = holders as [Key, Key]
    const cred = await credential(a)
    const items: BatchItem[] = [
      {
        presentation: await presentation(a, [cred], { nonce: 'challenge-one-0001' }),
        challenge: 'challenge-one-0001',
      },
      // the same challenge again: used
      {
        presentation: await presentation(a, [cred], { nonce: 'challenge-one-0001' }),
        challenge: 'challenge-one-0001',
      },
      // the nonce is not the challenge: no redemption, so challenge-two stays usable
      {
        presentation: await presentation(a, [cred], { nonce: 'some-other-nonce-1' }),
        challenge: 'challenge-two-0002',
      },
      // a forgery cannot burn challenge-three
      {
        presentation: tamper(await presentation(a, [cred], { nonce: 'challenge-three-03' })),
        challenge: 'challenge-three-03',
      },
      {
        presentation: await presentation(a, [cred], { nonce: 'never-issued-00004' }),
        challenge: 'never-issued-00004',
      },
      // the credential fails, the presentation is authentic: the challenge is redeemed anyway, as verifyPresentation does
      {
        presentation: await presentation(b, [await credential(b, { by: stranger })], {
          nonce: 'challenge-four-004',
        }),
        challenge: 'challenge-four-004',
      },
      // no challenge: verified without one, its nonce reported
      { presentation: await presentation(a, [cred], { nonce: 'caller-redeems-005' }) },
    ].map((item) => ({ domain: DOMAIN, ...item }))
    const issued = ['challenge-one-0001', 'challenge-two-0002', 'challenge-three-03', 'challenge-four-004']
    const store = fixedChallengeStore(DOMAIN, issued)
    // Padding so the challenged items spread over several chunks and both threads.
    const padding = Array.from({ length: 40 }, () => mix.map((m) => m.item)).flat()
    const batch = [...padding.slice(0, 100), ...items, ...padding.slice(100)]
    const decisions = await pool.verifyBatch(batch, { now: NOW, challenges: store })
    const reference = fixedChallengeStore(DOMAIN, issued)
    const single = await verifyOneByOne(batch, reference)
    expect(decisions.map(withoutNonce)).toStrictEqual(single)
    expect(store.asked).toStrictEqual(reference.asked)
    expect(store.asked).toStrictEqual([
      'challenge-one-0001',
      'challenge-one-0001',
      'never-issued-00004',
      'challenge-four-004',
    ])
    const mine = decisions.slice(100, 100 + items.length)
    expect(mine.map((d) => d.errors.map((e) => e.code))).toStrictEqual([
      [],
      ['ERR_CHALLENGE_USED'],
      ['ERR_CHALLENGE_MISMATCH'],
      ['ERR_JWS_SIGNATURE'],
      ['ERR_CHALLENGE_UNKNOWN'],
      ['ERR_TRUST_ISSUER_UNKNOWN'],
      [],
    ])
    expect(mine[6]?.nonce).toBe('caller-redeems-005')
  })

  it('rejects a challenge without a challenge store, like verifyPresentation', async () => {
    const err = await rejection(pool.verifyBatch([{ ...(mix[0]?.item as BatchItem), challenge: 'abc' }]))
    expect(err).toBeInstanceOf(InputError)
    expect((err as InputError).code).toBe('ERR_INPUT_INVALID')
  })

  it('rejects bad items with InputError', async () => {
    const good = mix[0]?.item as BatchItem
    const cases: [unknown, unknown, string][] = [
      ['not a list', undefined, 'ERR_INPUT_INVALID'],
      [[null], undefined, 'ERR_INPUT_INVALID'],
      [[{ ...good, presentation: 42 }], undefined, 'ERR_INPUT_INVALID'],
      [[{ ...good, domain: '' }], undefined, 'ERR_INPUT_INVALID'],
      [[{ ...good, challenge: '' }], undefined, 'ERR_INPUT_INVALID'],
      [
        [{ ...good, request: { action: 'read', resource: 'tickets/*' } }],
        undefined,
        'ERR_PERMISSION_INVALID',
      ],
      [[good], { now: new Date(Number.NaN) }, 'ERR_INPUT_INVALID'],
      [[good], { challenges: {} }, 'ERR_INPUT_INVALID'],
    ]
    for (const [items, options, code] of cases) {
      const err = await rejection(pool.verifyBatch(items as BatchItem[], options as undefined))
      expect(err).toBeInstanceOf(InputError)
      expect((err as InputError).code).toBe(code)
    }
  })

  it('rejects the batch of a worker that crashes with ERR_INTERNAL and replaces the worker', async () => {
    const local = createVerifierPool({ threads: 2, trust })
    try {
      const items = Array.from({ length: 10 }, () => mix.map((m) => m.item)).flat()
      await local.verifyBatch(items, { now: NOW }) // both workers are up
      const [victim] = verifierPoolWorkers(local)
      // A message the worker cannot handle throws in its message handler: an uncaught exception kills it.
      victim?.postMessage({ type: 'verify', job: -1, now: 0, items: null })
      const err = await rejection(local.verifyBatch(items, { now: NOW }))
      expect(err).toBeInstanceOf(TesseraError)
      expect((err as TesseraError).code).toBe('ERR_INTERNAL')
      expect((err as TesseraError).message).toMatch(/worker thread stopped/)
      const workers = verifierPoolWorkers(local)
      expect(workers).toHaveLength(2)
      expect(workers).not.toContain(victim)
      const again = await local.verifyBatch(items, { now: NOW })
      expect(again.map(withoutNonce)).toStrictEqual(await verifyOneByOne(items))
    } finally {
      await local.close()
    }
  })

  it('close() stops the workers, rejects running batches, and refuses new ones', async () => {
    const local = createVerifierPool({ threads: 2, trust })
    const workers = verifierPoolWorkers(local)
    const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)))
    const items = Array.from({ length: 10 }, () => mix.map((m) => m.item)).flat()
    const running = rejection(local.verifyBatch(items, { now: NOW }))
    await local.close()
    await Promise.all(exited)
    const err = await running
    expect((err as InputError).code).toBe('ERR_INPUT_INVALID')
    expect(verifierPoolWorkers(local)).toHaveLength(0)
    const after = await rejection(local.verifyBatch(items))
    expect(after).toBeInstanceOf(InputError)
    expect((after as InputError).code).toBe('ERR_INPUT_INVALID')
    await expect(local.close()).resolves.toBeUndefined()
  })

  it('rejects bad options with InputError', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ threads: 0 }, 'ERR_INPUT_INVALID'],
      [{ threads: 1.5 }, 'ERR_INPUT_INVALID'],
      [{ threads: 100_000 }, 'ERR_INPUT_INVALID'],
      [{ algorithms: [] }, 'ERR_INPUT_INVALID'],
      [{ algorithms: ['HS256'] }, 'ERR_INPUT_INVALID'],
      [{ limits: { maxTokens: 3 } }, 'ERR_INPUT_INVALID'],
      [{ limits: { maxJsonDepth: 0 } }, 'ERR_INPUT_INVALID'],
      [{ clockToleranceSec: 301 }, 'ERR_INPUT_INVALID'],
      [{ trust: { type: 'TesseraTrustBundle', version: 2, organisations: {} } }, 'ERR_TRUST_BUNDLE_INVALID'],
    ]
    for (const [options, code] of cases) {
      let thrown: unknown
      try {
        createVerifierPool({ trust, ...options } as Parameters<typeof createVerifierPool>[0])
      } catch (err) {
        thrown = err
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(InputError)
      expect((thrown as InputError).code).toBe(code)
    }
    expect(() => createVerifierPool(null as never)).toThrow(InputError)
  })

  it('applies the pool options in the workers (limits, clock tolerance)', async () => {
    const late = {
      presentation: await presentation(holders[0] as Key, [await credential(holders[0] as Key)], {
        iat: IAT - 330,
        exp: IAT - 30,
      }),
      domain: DOMAIN,
    }
    const small = createVerifierPool({ threads: 1, trust, limits: { maxPresentationTokenLength: 100 } })
    const strict = createVerifierPool({ threads: 1, trust, clockToleranceSec: 0 })
    try {
      const [tooLong] = await small.verifyBatch([mix[0]?.item as BatchItem], { now: NOW })
      expect(tooLong?.errors.map((e) => e.code)).toStrictEqual(['ERR_SIZE_LIMIT'])
      const [tolerated] = await pool.verifyBatch([late], { now: NOW })
      expect(tolerated?.verified).toBe(true)
      const [expired] = await strict.verifyBatch([late], { now: NOW })
      expect(expired?.errors.map((e) => e.code)).toStrictEqual(['ERR_VP_EXPIRED'])
    } finally {
      await Promise.all([small.close(), strict.close()])
    }
  })

  it('starts os.availableParallelism() threads by default', async () => {
    const local = createVerifierPool({ trust })
    try {
      expect(local.threads).toBe(availableParallelism())
      expect(verifierPoolWorkers(local)).toHaveLength(availableParallelism())
    } finally {
      await local.close()
    }
  })
})
