/**
 * The VC Data Model 2.0 rules for an unsigned credential sent to an issuer (VC-API `POST /credentials/issue`):
 * what must hold before Tessera signs anything. Every violation is an `InputError` `ERR_INPUT_INVALID` whose
 * message names the property and whose `details` carry `{ rule, path, section }` (the VC DM 2.0 section), so
 * an HTTP client can tell which rule it broke.
 *
 * The input is untrusted: its size and depth are bounded before anything else is read (a JSON text with
 * {@link parseJsonCapped}, an object by an iterative walk), and members are read as own properties only.
 */
import { InputError, TesseraError } from '@tessera/core'
import { CREDENTIALS_V2_CONTEXT, parseDateTimeStamp } from './claims.js'
import { describeValue, getOwn, isJsonObject, parseJsonCapped } from './limits.js'

/** Caps on an unsigned credential sent to be issued. */
export interface CredentialInputLimits {
  /** Longest JSON text accepted, in UTF-16 code units (for an object: the sum of its strings and keys). */
  readonly maxLength: number
  /** Deepest nesting of objects and arrays; the credential itself is depth 1. */
  readonly maxDepth: number
  /** Most values (objects, arrays, strings, numbers, booleans, nulls) in the whole credential. */
  readonly maxNodes: number
}

/** Tessera's default caps on a credential to issue: 64 KiB, depth 32, 10,000 values. */
export const CREDENTIAL_INPUT_LIMITS: CredentialInputLimits = Object.freeze({
  maxLength: 64 * 1024,
  maxDepth: 32,
  maxNodes: 10_000,
})

/** The rules {@link validateCredentialInput} enforces, by name (the `details.rule` of its errors). */
export type CredentialInputRule =
  | 'size'
  | 'json'
  | 'object'
  | '@context'
  | 'type'
  | 'id'
  | 'issuer'
  | 'issuer.match'
  | 'credentialSubject'
  | 'validFrom'
  | 'validUntil'
  | 'validityPeriod'
  | 'name'
  | 'description'
  | 'credentialStatus'
  | 'credentialSchema'
  | 'refreshService'
  | 'termsOfUse'
  | 'evidence'
  | 'proof'

/** VC DM 2.0 section of each rule. */
const SECTIONS: Record<CredentialInputRule, string> = {
  size: '§4 (Tessera size caps)',
  json: '§6.1 (JSON)',
  object: '§4.2',
  '@context': '§4.3',
  type: '§4.5',
  id: '§4.4',
  issuer: '§4.7',
  'issuer.match': '§4.7',
  credentialSubject: '§4.8',
  validFrom: '§4.9',
  validUntil: '§4.9',
  validityPeriod: '§4.9',
  name: '§4.6',
  description: '§4.6',
  credentialStatus: '§4.10',
  credentialSchema: '§4.11',
  refreshService: '§5.4',
  termsOfUse: '§5.5',
  evidence: '§5.6',
  proof: '§4.12',
}

/** Options of {@link validateCredentialInput}. */
export interface ValidateCredentialInputOptions {
  /** This issuer's DID: the credential's `issuer` (or `issuer.id`) must be it. */
  issuer: string
  limits?: Partial<CredentialInputLimits>
}

function violation(rule: CredentialInputRule, path: string, message: string): InputError {
  return new InputError('ERR_INPUT_INVALID', `"${path}" ${message}`, {
    details: { rule, path, section: `VC DM 2.0 ${SECTIONS[rule]}` },
  })
}

/**
 * Check an unsigned credential against VC Data Model 2.0 before it is issued, and return it (parsed, when JSON
 * text was given). Rules, each an `InputError` `ERR_INPUT_INVALID` with `details.rule`:
 * - `size`: over {@link CREDENTIAL_INPUT_LIMITS} (length, depth, number of values), checked first; `json`: not
 *   JSON data (a function, `undefined`, a non-finite number, a class instance);
 * - `object`: the credential is a JSON object (§4.2);
 * - `@context`: an array whose FIRST item is `https://www.w3.org/ns/credentials/v2`, every other item a URL
 *   string or an object (§4.3);
 * - `type`: a string or array of non-empty strings that includes `VerifiableCredential` (§4.5);
 * - `id`: when present, a URL (§4.4);
 * - `issuer`: a URL, or an object whose `id` is a URL (§4.7); `issuer.match`: it is THIS issuer's DID;
 * - `credentialSubject`: an object, or a non-empty array of objects, each with at least one property (§4.8);
 * - `validFrom`, `validUntil`: XML Schema dateTimeStamps WITH a time zone; `validityPeriod`: validFrom is not
 *   later than validUntil (§4.9);
 * - `name`, `description` (of the credential and of an issuer object): a string, a language value object
 *   (`@value` string, optional `@language` and `@direction`) or an array of them (§4.6, §11.1);
 * - `credentialStatus` (§4.10), `credentialSchema` (§4.11, which also needs a URL `id`), `refreshService`
 *   (§5.4), `termsOfUse` (§5.5), `evidence` (§5.6): an object or a non-empty array of objects, each with a
 *   `type` (a string or array of strings), and a URL `id` when one is given;
 * - `proof`: must NOT be present: the issuer secures the credential (§4.12).
 *
 * @returns the credential, as a plain JSON object.
 * @throws InputError `ERR_INPUT_INVALID` for the first violation found, in the order above.
 */
export function validateCredentialInput(
  credential: unknown,
  options: ValidateCredentialInputOptions,
): Record<string, unknown> {
  if (typeof options?.issuer !== 'string' || options.issuer.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', `"issuer" option must be the issuer's DID`)
  }
  const limits: CredentialInputLimits = { ...CREDENTIAL_INPUT_LIMITS, ...options.limits }
  let value = credential
  if (typeof value === 'string') {
    try {
      value = parseJsonCapped(value, { maxDepth: limits.maxDepth, maxLength: limits.maxLength })
    } catch (err) {
      if (err instanceof TesseraError && err.code === 'ERR_SIZE_LIMIT') {
        throw violation('size', 'credential', err.message)
      }
      throw violation('json', 'credential', 'is not valid JSON')
    }
  }
  checkShape(value, limits)
  if (!isJsonObject(value)) {
    throw violation('object', 'credential', `must be a JSON object, got ${describeValue(value)}`)
  }
  const c = value
  checkContext(c)
  checkType(c)
  const id = getOwn(c, 'id')
  if (id !== undefined && !isUrl(id)) throw violation('id', 'id', `must be a URL, got ${describeValue(id)}`)
  checkIssuer(c, options.issuer)
  checkSubject(c)
  checkValidity(c)
  checkNames(c, '')
  for (const [member, rule, needsId] of [
    ['credentialStatus', 'credentialStatus', false],
    ['credentialSchema', 'credentialSchema', true],
    ['refreshService', 'refreshService', false],
    ['termsOfUse', 'termsOfUse', false],
    ['evidence', 'evidence', false],
  ] as const) {
    checkTypedObjects(c, member, rule, needsId)
  }
  if (Object.hasOwn(c, 'proof')) {
    throw violation(
      'proof',
      'proof',
      'must not be present: the issuer adds the proof when it secures the credential',
    )
  }
  return c
}

/**
 * Bound the input before reading it: an iterative walk (no recursion, so a deep value cannot exhaust the stack)
 * that stops at the first cap exceeded, and refuses anything that is not JSON data.
 */
function checkShape(root: unknown, limits: CredentialInputLimits): void {
  const stack: { value: unknown; depth: number; path: string }[] = [
    { value: root, depth: 0, path: 'credential' },
  ]
  let nodes = 0
  let length = 0
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string }
    if (++nodes > limits.maxNodes) {
      throw violation('size', 'credential', `holds more than ${limits.maxNodes} values`)
    }
    if (value === null || typeof value === 'boolean') continue
    if (typeof value === 'string') {
      length += value.length
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw violation('json', path, 'must be a finite number')
      length += 8
    } else if (Array.isArray(value)) {
      if (depth + 1 > limits.maxDepth) {
        throw violation('size', 'credential', `is nested deeper than ${limits.maxDepth} levels`)
      }
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], depth: depth + 1, path: `${path}[${i}]` })
      }
      length += value.length + 2
    } else if (typeof value === 'object' && isPlainPrototype(Object.getPrototypeOf(value))) {
      if (depth + 1 > limits.maxDepth) {
        throw violation('size', 'credential', `is nested deeper than ${limits.maxDepth} levels`)
      }
      for (const key of Object.keys(value)) {
        length += key.length + 4
        stack.push({
          value: (value as Record<string, unknown>)[key],
          depth: depth + 1,
          path: `${path}.${key}`,
        })
      }
      length += 2
    } else {
      throw violation('json', path, `must be JSON data, got ${typeof value}`)
    }
    if (length > limits.maxLength) {
      throw violation('size', 'credential', `is larger than ${limits.maxLength} characters`)
    }
  }
}

/** Plain objects (JSON.parse makes these) and null-prototype objects (some parsers make those). */
function isPlainPrototype(proto: unknown): boolean {
  return proto === Object.prototype || proto === null
}

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value)
}

/** VC DM 2.0 §4.3: an ordered set; the first item is the v2 context; the others are URLs or context objects. */
function checkContext(c: Record<string, unknown>): void {
  const context = getOwn(c, '@context')
  if (!Array.isArray(context) || context.length === 0) {
    throw violation('@context', '@context', `must be an array starting with "${CREDENTIALS_V2_CONTEXT}"`)
  }
  if (context[0] !== CREDENTIALS_V2_CONTEXT) {
    throw violation(
      '@context',
      '@context[0]',
      `must be "${CREDENTIALS_V2_CONTEXT}", got ${describeValue(context[0])}`,
    )
  }
  for (let i = 1; i < context.length; i++) {
    const item = context[i]
    if (!isUrl(item) && !isJsonObject(item)) {
      throw violation(
        '@context',
        `@context[${i}]`,
        `must be a URL or a context object, got ${describeValue(item)}`,
      )
    }
  }
}

/** VC DM 2.0 §4.5: one or more terms or absolute URLs; a credential's types include VerifiableCredential. */
function checkType(c: Record<string, unknown>): void {
  const type = getOwn(c, 'type')
  const types = typeof type === 'string' ? [type] : type
  if (
    !Array.isArray(types) ||
    types.length === 0 ||
    !types.every((t) => typeof t === 'string' && t.length > 0)
  ) {
    throw violation(
      'type',
      'type',
      `must be a string or an array of non-empty strings, got ${describeValue(type)}`,
    )
  }
  if (!types.includes('VerifiableCredential')) {
    throw violation('type', 'type', 'must include "VerifiableCredential"')
  }
}

/** VC DM 2.0 §4.7: a URL, or an object whose `id` is a URL; here it must be this issuer. */
function checkIssuer(c: Record<string, unknown>, expected: string): void {
  const issuer = getOwn(c, 'issuer')
  let id: unknown = issuer
  if (isJsonObject(issuer)) {
    id = getOwn(issuer, 'id')
    if (!isUrl(id)) throw violation('issuer', 'issuer.id', `must be a URL, got ${describeValue(id)}`)
    checkNames(issuer, 'issuer.')
  } else if (!isUrl(issuer)) {
    throw violation(
      'issuer',
      'issuer',
      `must be a URL or an object with a URL "id", got ${describeValue(issuer)}`,
    )
  }
  if (id !== expected) {
    throw violation(
      'issuer.match',
      isJsonObject(issuer) ? 'issuer.id' : 'issuer',
      `must be this issuer, ${expected}; got ${describeValue(id)}`,
    )
  }
}

/** VC DM 2.0 §4.8: required; an object, or a non-empty set of objects, each the subject of one or more claims. */
function checkSubject(c: Record<string, unknown>): void {
  const subject = getOwn(c, 'credentialSubject')
  if (subject === undefined) throw violation('credentialSubject', 'credentialSubject', 'is required')
  const subjects = Array.isArray(subject) ? subject : [subject]
  if (subjects.length === 0) throw violation('credentialSubject', 'credentialSubject', 'must not be empty')
  for (const [i, s] of subjects.entries()) {
    const path = Array.isArray(subject) ? `credentialSubject[${i}]` : 'credentialSubject'
    if (!isJsonObject(s))
      throw violation('credentialSubject', path, `must be an object, got ${describeValue(s)}`)
    if (Object.keys(s).length === 0) {
      throw violation('credentialSubject', path, 'must make at least one claim (or carry an "id")')
    }
    const id = getOwn(s, 'id')
    if (id !== undefined && !isUrl(id))
      throw violation('id', `${path}.id`, `must be a URL, got ${describeValue(id)}`)
  }
}

/** VC DM 2.0 §4.9: dateTimeStamps with a time zone offset; validFrom not later than validUntil. */
function checkValidity(c: Record<string, unknown>): void {
  const read = (name: 'validFrom' | 'validUntil'): number | undefined => {
    if (!Object.hasOwn(c, name)) return undefined
    const value = c[name]
    const ms = typeof value === 'string' ? parseDateTimeStamp(value) : undefined
    if (ms === undefined) {
      throw violation(
        name,
        name,
        `must be an XML Schema dateTimeStamp with a time zone (e.g. 2026-01-01T00:00:00Z), got ${describeValue(value)}`,
      )
    }
    return ms
  }
  const from = read('validFrom')
  const until = read('validUntil')
  if (from !== undefined && until !== undefined && from > until) {
    throw violation('validityPeriod', 'validUntil', 'must not be earlier than "validFrom"')
  }
}

/** VC DM 2.0 §4.6 and §11.1: a string, a language value object, or an array of language value objects. */
function checkNames(object: Record<string, unknown>, prefix: string): void {
  for (const member of ['name', 'description'] as const) {
    if (!Object.hasOwn(object, member)) continue
    const value = object[member]
    const path = `${prefix}${member}`
    if (typeof value === 'string') continue
    const items = Array.isArray(value) ? value : [value]
    if (items.length === 0 || !items.every(isLanguageValue)) {
      throw violation(
        member,
        path,
        'must be a string or language value objects ({ "@value": string, "@language"?, "@direction"? })',
      )
    }
  }
}

const LANGUAGE_VALUE_MEMBERS: ReadonlySet<string> = new Set(['@value', '@language', '@direction'])

function isLanguageValue(value: unknown): boolean {
  if (!isJsonObject(value) || typeof getOwn(value, '@value') !== 'string') return false
  const language = getOwn(value, '@language')
  const direction = getOwn(value, '@direction')
  return (
    Object.keys(value).every((k) => LANGUAGE_VALUE_MEMBERS.has(k)) &&
    (language === undefined ||
      (typeof language === 'string' && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(language))) &&
    (direction === undefined || direction === 'ltr' || direction === 'rtl')
  )
}

/**
 * Members whose values are typed objects: an object or a non-empty array of objects, each with a `type`
 * (a non-empty string or array of strings), and, when `id` is given (or required), a URL `id`.
 */
function checkTypedObjects(
  c: Record<string, unknown>,
  member: string,
  rule: CredentialInputRule,
  needsId: boolean,
): void {
  if (!Object.hasOwn(c, member)) return
  const value = c[member]
  const items = Array.isArray(value) ? value : [value]
  if (items.length === 0) throw violation(rule, member, 'must be an object or a non-empty array of objects')
  for (const [i, item] of items.entries()) {
    const path = Array.isArray(value) ? `${member}[${i}]` : member
    if (!isJsonObject(item)) throw violation(rule, path, `must be an object, got ${describeValue(item)}`)
    const type = getOwn(item, 'type')
    const typeOk =
      (typeof type === 'string' && type.length > 0) ||
      (Array.isArray(type) && type.length > 0 && type.every((t) => typeof t === 'string' && t.length > 0))
    if (!typeOk)
      throw violation(
        rule,
        `${path}.type`,
        `is required (a string or array of strings), got ${describeValue(type)}`,
      )
    const id = getOwn(item, 'id')
    if (id === undefined ? needsId : !isUrl(id)) {
      throw violation(rule, `${path}.id`, `must be a URL, got ${describeValue(id)}`)
    }
  }
}
