/**
 * Size caps applied before any untrusted token or JSON text is decoded, and the capped JSON parser.
 *
 * Everything a verifier receives (a presentation token, the credentials enveloped in it) is attacker
 * controlled; each cap bounds the work one request can cost before a signature has been checked.
 */
import { VerificationError, type VerificationErrorCode } from '@tessera/core'

/** The caps a verifier applies. All lengths are in characters of the compact serialization (ASCII). */
export interface Limits {
  /**
   * Longest accepted `vp+jwt` compact JWS, checked before anything else is decoded; also the longest JSON
   * serialization of a Data Integrity presentation (with the credentials it embeds).
   */
  readonly maxPresentationTokenLength: number
  /**
   * Longest accepted `vc+jwt` compact JWS, for each credential enveloped in a presentation; also the longest
   * JSON serialization of a Data Integrity credential.
   */
  readonly maxCredentialTokenLength: number
  /** Deepest accepted nesting of JSON objects and arrays in a JOSE Header, a JWS Payload or a Data Integrity document. */
  readonly maxJsonDepth: number
  /** Most credentials (enveloped or Data Integrity) accepted in one presentation. */
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

/** Options of {@link measureJsonValue}. */
export interface MeasureJsonValueOptions {
  /** Deepest accepted nesting of objects and arrays; `{}` and `[]` are depth 1, as in {@link parseJsonCapped}. */
  maxDepth: number
  /** Longest accepted JSON serialization, in UTF-16 code units (string escapes are not counted). */
  maxLength: number
}

/**
 * Bound an already-parsed value before any processing (a Data Integrity document reaches the verifier as an
 * object, not as text): one iterative walk, stopping as soon as the depth or the length of its JSON
 * serialization is over the cap, so a deep or huge value costs no more than the cap. Only JSON data is
 * accepted: plain objects (own enumerable properties), arrays, strings, finite numbers, booleans and null.
 *
 * @returns the length of the value's JSON serialization (approximate: escapes are not counted).
 * @throws VerificationError `ERR_SIZE_LIMIT` over a cap; `notJson` (a code of the caller's) for a value that is
 *   not JSON data (a cycle is always too deep).
 */
export function measureJsonValue(
  value: unknown,
  options: MeasureJsonValueOptions & { notJson: VerificationErrorCode },
): number {
  const { maxDepth, maxLength, notJson } = options
  let length = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number]
    if (item === null || typeof item === 'boolean') length += item === true ? 4 : 5
    else if (typeof item === 'string') length += item.length + 2
    else if (typeof item === 'number') {
      if (!Number.isFinite(item))
        throw new VerificationError(notJson, 'a number in the document is not finite')
      length += String(item).length
    } else if (typeof item === 'object') {
      if (depth + 1 > maxDepth) {
        throw new VerificationError('ERR_SIZE_LIMIT', `JSON nesting is deeper than the limit of ${maxDepth}`)
      }
      if (Array.isArray(item)) {
        length += 2 + item.length
        for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], depth + 1])
      } else {
        const prototype = Object.getPrototypeOf(item)
        if (prototype !== Object.prototype && prototype !== null) {
          throw new VerificationError(notJson, 'the document holds an object that is not plain JSON data')
        }
        const keys = Object.keys(item)
        length += 2 + keys.length
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i] as string
          length += key.length + 3
          stack.push([(item as Record<string, unknown>)[key], depth + 1])
        }
      }
    } else {
      throw new VerificationError(notJson, `the document holds ${typeof item}, which is not JSON data`)
    }
    if (length > maxLength) {
      throw new VerificationError(
        'ERR_SIZE_LIMIT',
        `the document is over the limit of ${maxLength} characters`,
      )
    }
  }
  return length
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
