/**
 * Size caps applied before any untrusted token or JSON text is decoded, and the capped JSON parser.
 *
 * Everything a verifier receives (a presentation token, the credentials enveloped in it) is attacker
 * controlled; each cap bounds the work one request can cost before a signature has been checked.
 */
import { VerificationError } from '@tessera/core'

/** The caps a verifier applies. All lengths are in characters of the compact serialization (ASCII). */
export interface Limits {
  /** Longest accepted `vp+jwt` compact JWS, checked before anything else is decoded. */
  readonly maxPresentationTokenLength: number
  /** Longest accepted `vc+jwt` compact JWS, for each credential enveloped in a presentation. */
  readonly maxCredentialTokenLength: number
  /** Deepest accepted nesting of JSON objects and arrays in a JOSE Header or JWS Payload. */
  readonly maxJsonDepth: number
  /** Most `EnvelopedVerifiableCredential` entries accepted in one presentation. */
  readonly maxCredentialsPerPresentation: number
  /** Default allowance for clock skew when comparing times, in seconds. */
  readonly clockToleranceSec: number
  /** Largest clock skew allowance a caller may configure, in seconds. */
  readonly maxClockToleranceSec: number
  /** Oldest accepted presentation (by `iat`) when it carries no `exp`, in seconds. */
  readonly maxPresentationAgeSec: number
}

/** Tessera's default caps. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxPresentationTokenLength: 64 * 1024,
  maxCredentialTokenLength: 16 * 1024,
  maxJsonDepth: 32,
  maxCredentialsPerPresentation: 32,
  clockToleranceSec: 60,
  maxClockToleranceSec: 300,
  maxPresentationAgeSec: 600,
})

/** Options of {@link parseJsonCapped}. */
export interface ParseJsonCappedOptions {
  /** Deepest accepted nesting of objects and arrays; `{}` and `[]` are depth 1, a bare scalar depth 0. */
  maxDepth: number
  /** Longest accepted text, in UTF-16 code units. */
  maxLength: number
}

/**
 * Parse untrusted JSON text after bounding its length and its nesting depth.
 *
 * The depth is measured by one linear scan of the brackets that occur outside string literals, before
 * `JSON.parse` runs, so a depth bomb (`[[[[...`) costs O(n) and never reaches the recursive parser.
 *
 * Duplicate member names are not rejected: `JSON.parse` keeps the lexically last one, which is what
 * RFC 7515 §4 allows ("use a JSON parser that returns only the lexically last duplicate member name")
 * and RFC 8259 §4 leaves to implementations. A `"__proto__"` member becomes an ordinary own property
 * (ECMA-262 JSON.parse uses CreateDataProperty), so parsing cannot pollute prototypes; callers must
 * still read parsed objects with own-property checks only (see {@link getOwn}).
 *
 * @returns the parsed value, of unknown shape.
 * @throws VerificationError `ERR_SIZE_LIMIT` when the text is too long or too deep,
 *   `ERR_JWS_MALFORMED` when it is not JSON.
 */
export function parseJsonCapped(text: string, options: ParseJsonCappedOptions): unknown {
  const { maxDepth, maxLength } = options
  if (text.length > maxLength) {
    throw new VerificationError(
      'ERR_SIZE_LIMIT',
      `JSON text is ${text.length} characters, over the limit of ${maxLength}`,
    )
  }
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c /* \ */)
        i++ // skip the escaped character (an escaped quote does not end the string)
      else if (c === 0x22 /* " */) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        throw new VerificationError('ERR_SIZE_LIMIT', `JSON nesting is deeper than the limit of ${maxDepth}`)
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      // Unbalanced closers make the text invalid JSON; JSON.parse reports that below.
      if (depth > 0) depth--
    }
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new VerificationError('ERR_JWS_MALFORMED', 'text is not valid JSON', { cause: err })
  }
}

/** True for a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Read `key` from a parsed object as an own property only; inherited names (`constructor`, `__proto__`) read as undefined. */
export function getOwn(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

/** A short description of an untrusted value for error messages (strings are quoted and truncated). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'object') return 'an object'
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value
}
