import { randomBytes } from 'node:crypto'
import { InputError, toNumericDate } from '@tessera/core'
import type { Home } from '@tessera/identity'

/** A verifier's challenge: a random nonce bound to a domain, usable once before it expires. */
export interface Challenge {
  challenge: string
  domain: string
  expiresAt: string
}

/** Outcome of redeeming a challenge. */
export type ChallengeOutcome = 'ok' | 'unknown' | 'used' | 'expired' | 'domain-mismatch'

/** Where a verifier keeps its challenges so each is accepted once, across processes. */
export interface ChallengeStore {
  /** Atomically mark `challenge` used if it exists, is unused, unexpired and bound to `domain`. */
  consume(request: { challenge: string; domain: string; now: Date }): Promise<ChallengeOutcome>
}

/** Default lifetime of a challenge: 5 minutes. */
export const DEFAULT_CHALLENGE_TTL_SEC = 300
const DOMAIN_MAX = 253

/** Validate a domain the verifier binds presentations to (a host name or URL-like string, no whitespace). */
export function validateDomain(domain: unknown): string {
  if (
    typeof domain !== 'string' ||
    domain.length === 0 ||
    domain.length > DOMAIN_MAX ||
    /[\s\p{Cc}]/u.test(domain)
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"domain" must be 1 to ${DOMAIN_MAX} characters without whitespace, got ${JSON.stringify(domain)}`,
    )
  }
  return domain
}

/** Issue a challenge: 256 random bits, base64url, stored with its domain and expiry in the home's database. */
export async function createChallenge(
  home: Home,
  options: { domain: string; ttlSec?: number; now?: Date },
): Promise<Challenge> {
  const domain = validateDomain(options.domain)
  const now = options.now ?? new Date()
  const ttl = options.ttlSec ?? DEFAULT_CHALLENGE_TTL_SEC
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400) {
    throw new InputError('ERR_INPUT_INVALID', `"ttl" must be between 1 second and 1 day, got ${ttl}`)
  }
  const challenge = randomBytes(32).toString('base64url')
  const created = toNumericDate(now)
  await home.transaction(async () => {
    // expired challenges are of no use to anyone: drop them as new ones are made
    await home.dataSource.query(`DELETE FROM "tessera_challenge" WHERE "expires_at" < ?`, [created - 86_400])
    await home.dataSource.query(
      `INSERT INTO "tessera_challenge" ("nonce", "domain", "created_at", "expires_at") VALUES (?, ?, ?, ?)`,
      [challenge, domain, created, created + ttl],
    )
  })
  return { challenge, domain, expiresAt: new Date((created + ttl) * 1000).toISOString() }
}

/** The home's challenge store: one conditional UPDATE, atomic across processes sharing the database. */
export function homeChallengeStore(home: Home): ChallengeStore {
  return {
    consume: ({ challenge, domain, now }) =>
      home.transaction(async () => {
        const t = toNumericDate(now)
        const updated = (await home.dataSource.query(
          `UPDATE "tessera_challenge" SET "used_at" = ?
           WHERE "nonce" = ? AND "domain" = ? AND "used_at" IS NULL AND "expires_at" >= ? RETURNING "nonce"`,
          [t, challenge, domain, t],
        )) as unknown[]
        if (updated.length === 1) return 'ok'
        const rows = (await home.dataSource.query(`SELECT * FROM "tessera_challenge" WHERE "nonce" = ?`, [
          challenge,
        ])) as { domain: string; expires_at: number; used_at: number | null }[]
        const row = rows[0]
        if (!row) return 'unknown'
        if (row.used_at !== null) return 'used'
        if (row.domain !== domain) return 'domain-mismatch'
        return 'expired'
      }),
  }
}

/** An in-memory challenge store for one process (tests, embedded verifiers). */
export function memoryChallengeStore(): ChallengeStore & {
  issue(domain: string, ttlSec?: number, now?: Date): string
} {
  const entries = new Map<string, { domain: string; expiresAt: number; used: boolean }>()
  return {
    issue(domain, ttlSec = DEFAULT_CHALLENGE_TTL_SEC, now = new Date()) {
      const challenge = randomBytes(32).toString('base64url')
      entries.set(challenge, {
        domain: validateDomain(domain),
        expiresAt: toNumericDate(now) + ttlSec,
        used: false,
      })
      return challenge
    },
    async consume({ challenge, domain, now }) {
      const entry = entries.get(challenge)
      if (!entry) return 'unknown'
      if (entry.used) return 'used'
      if (entry.domain !== domain) return 'domain-mismatch'
      if (entry.expiresAt < toNumericDate(now)) return 'expired'
      entry.used = true
      return 'ok'
    },
  }
}
