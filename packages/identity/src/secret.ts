import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EnvironmentError } from '@tessera/core'

/** Name of the key file inside a home, used when `TESSERA_SECRET` is not set. */
export const SECRET_FILE = 'secret.key'

/** Where the key-encryption secret came from. */
export type SecretSource = 'env' | 'file'

const SECRET_PATTERN = /^[0-9a-f]{64}$/

/**
 * Check a key-encryption secret: Veramo's SecretBox takes 32 bytes as 64 hex characters and, given
 * anything else, only fails later at signing time with `bad_key`. We fail here, early and clearly.
 */
export function validateSecret(secret: string, source: string): string {
  const trimmed = secret.trim().toLowerCase()
  if (!SECRET_PATTERN.test(trimmed)) {
    throw new EnvironmentError(
      'ERR_SECRET_INVALID',
      `the key-encryption secret from ${source} must be 64 hexadecimal characters (32 bytes), got ${trimmed.length} characters`,
    )
  }
  return trimmed
}

/** A fresh random secret, 64 hex characters. */
export function generateSecret(): string {
  return randomBytes(32).toString('hex')
}

/**
 * The secret of a home: `TESSERA_SECRET` wins; otherwise `secret.key` in the home, which must not be
 * readable by group or others. The secret is never stored in the database.
 */
export function loadSecret(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): { secret: string; source: SecretSource } {
  const fromEnv = env.TESSERA_SECRET
  if (fromEnv !== undefined && fromEnv !== '') {
    return { secret: validateSecret(fromEnv, 'TESSERA_SECRET'), source: 'env' }
  }
  const file = join(home, SECRET_FILE)
  if (!existsSync(file)) {
    throw new EnvironmentError(
      'ERR_KEYSTORE_LOCKED',
      `no key-encryption secret: set TESSERA_SECRET or provide ${file} (mode 0600)`,
    )
  }
  const mode = statSync(file).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new EnvironmentError(
      'ERR_SECRET_INVALID',
      `${file} must be readable by its owner only (mode 0600), got ${mode.toString(8).padStart(4, '0')}`,
    )
  }
  return { secret: validateSecret(readFileSync(file, 'utf8'), file), source: 'file' }
}

/** Write a new secret file with mode 0600 (never widened by the umask). */
export function writeSecretFile(home: string, secret: string): void {
  const file = join(home, SECRET_FILE)
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
}
