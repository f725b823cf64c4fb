/**
 * The admin bearer token of a Tessera server (RFC 6750 §2.1 `Authorization: Bearer`): it guards the issuing and
 * status-changing endpoints. Only its SHA-256 is kept, in the home's config (`settings.serverAdminTokenHash`);
 * the token itself is shown once when it is minted. A presented token is hashed and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { InputError } from '@tessera/core'
import { type Home, writeHomeConfig } from '@tessera/identity'

/** The config setting that holds the token's hash. */
export const ADMIN_TOKEN_SETTING = 'serverAdminTokenHash'

const TOKEN_PREFIX = 'tsa_'
const HASH_PREFIX = 'sha256:'
const HASH = /^sha256:[0-9a-f]{64}$/

/** The stored form of a token: `sha256:<hex>`. */
export function hashAdminToken(token: string): string {
  if (typeof token !== 'string' || token.length === 0 || token.length > 256) {
    throw new InputError('ERR_INPUT_INVALID', '"token" must be a non-empty string of at most 256 characters')
  }
  return `${HASH_PREFIX}${createHash('sha256').update(token, 'utf8').digest('hex')}`
}

/** Validate a stored token hash (`sha256:` and 64 lowercase hex digits). */
export function validateAdminTokenHash(hash: unknown): string {
  if (typeof hash !== 'string' || !HASH.test(hash)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"adminTokenHash" must be "sha256:" and 64 lowercase hex digits, got ${typeof hash === 'string' ? JSON.stringify(hash.slice(0, 20)) : typeof hash}`,
    )
  }
  return hash
}

/**
 * Mint a new admin token for this home's server: 256 random bits. Its hash replaces any previous one in the
 * home's config (so the old token stops working at the next server start); the token is returned once and
 * never stored.
 */
export function createAdminToken(home: Pick<Home, 'dir' | 'config'>): { token: string; hash: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const hash = hashAdminToken(token)
  home.config.settings = { ...home.config.settings, [ADMIN_TOKEN_SETTING]: hash }
  writeHomeConfig(home.dir, home.config)
  return { token, hash }
}

/** The admin token hash stored in a home's config, if one was minted. */
export function storedAdminTokenHash(home: Pick<Home, 'config'>): string | undefined {
  const value = home.config.settings?.[ADMIN_TOKEN_SETTING]
  return value === undefined ? undefined : validateAdminTokenHash(value)
}

/** Outcome of checking an `Authorization` header. */
export type BearerCheck = 'ok' | 'missing' | 'wrong'

/**
 * Check an `Authorization` header against the stored hash, in constant time over the hashes. `missing` when
 * there is no `Bearer` credential at all (RFC 6750 §3: answer 401 with `WWW-Authenticate`), `wrong` for any
 * other token, or when no token was ever configured (403).
 */
export function checkBearer(header: string | undefined, expectedHash: string | undefined): BearerCheck {
  if (typeof header !== 'string') return 'missing'
  const match = /^Bearer ([\x21-\x7e]{1,256})$/i.exec(header.trim())
  if (match === null || match[1] === undefined) return 'missing'
  const token = match[1]
  const presented = Buffer.from(hashAdminToken(token), 'utf8')
  // Compare against something of the same length even when nothing is configured, so timing says nothing.
  const expected = Buffer.from(expectedHash ?? `${HASH_PREFIX}${'0'.repeat(64)}`, 'utf8')
  const equal = presented.length === expected.length && timingSafeEqual(presented, expected)
  return equal && expectedHash !== undefined ? 'ok' : 'wrong'
}
