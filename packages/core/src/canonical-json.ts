/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for plain JSON data (audit entries, trust bundle hashes). Written by
 * hand because no kept library does I-JSON JCS with a fast path and input checks; for I-JSON data,
 * JCS is ECMAScript `JSON.stringify` of each primitive (§3.2.2.2 strings, §3.2.2.3 numbers) with object members
 * sorted by the UTF-16 code units of their names (§3.2.3) and no whitespace (§3.2.1).
 */

/** A JSON value as RFC 8259 defines it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * Serialize `value` per RFC 8785. The caller guarantees I-JSON input (finite numbers, well-formed strings,
 * plain objects and arrays); {@link checkJson} checks untrusted input first.
 *
 * Fast path: a copy with every object's members inserted in sorted order, serialized by the engine's own
 * `JSON.stringify` in one call (JS enumerates string keys in insertion order). Objects with a member name
 * that starts with a digit fall back to {@link canonicalJsonSlow}, since JS enumerates array-index names first.
 */
export function canonicalJson(value: unknown): string {
  const copy = sortedCopy(value)
  return copy === UNSORTABLE ? canonicalJsonSlow(value) : JSON.stringify(copy)
}

/** Marks a value {@link sortedCopy} cannot reorder (a member name JS would enumerate out of insertion order). */
const UNSORTABLE: unique symbol = Symbol('unsortable')

/** `value` with each object's members in RFC 8785 §3.2.3 order, or {@link UNSORTABLE}. Arrays are shared when possible. */
export function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (item === null || typeof item !== 'object') continue
      const sorted = sortedCopy(item)
      if (sorted === UNSORTABLE) return UNSORTABLE
      copy ??= value.slice()
      copy[i] = sorted
    }
    return copy ?? value
  }
  const keys = Object.keys(value)
  // Already in order (JSON parsed from canonical text always is): no copy unless a member needs one.
  let inOrder = true
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      inOrder = false
      break
    }
  }
  // Array.prototype.sort without a comparator compares UTF-16 code units, as RFC 8785 §3.2.3 requires (and so
  // does `>` on strings).
  if (!inOrder) keys.sort()
  let out: Record<string, unknown> | undefined = inOrder ? undefined : {}
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    const first = key.charCodeAt(0)
    if (first >= 0x30 && first <= 0x39) return UNSORTABLE // a digit: maybe an array index
    const member = (value as Record<string, unknown>)[key]
    const sorted = sortedCopy(member)
    if (sorted === UNSORTABLE) return UNSORTABLE
    if (out === undefined && sorted !== member) {
      out = {}
      for (let j = 0; j < i; j++)
        out[keys[j] as string] = (value as Record<string, unknown>)[keys[j] as string]
    }
    if (out !== undefined) out[key] = sorted
  }
  return out ?? value
}

export { UNSORTABLE }

/** RFC 8785 by hand: any member names (the fallback of {@link canonicalJson}). */
export function canonicalJsonSlow(value: unknown): string {
  if (typeof value !== 'object') return JSON.stringify(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      out += canonicalJsonSlow(value[i])
    }
    return `${out}]`
  }
  const keys = Object.keys(value)
  if (keys.length > 1) keys.sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (i > 0) out += ','
    out += `${JSON.stringify(key)}:${canonicalJsonSlow((value as Record<string, unknown>)[key])}`
  }
  return `${out}}`
}

// A lone surrogate matches \p{Cs} under the u flag (a valid pair is one code point); RFC 7493 §2.1 (I-JSON)
// forbids them, and JSON.stringify would escape them, which JCS does not define.
const LONE_SURROGATE = /\p{Cs}/u

/** Extra rules {@link checkJson} applies to every string value and member name it meets. */
export interface JsonInspector {
  string?(value: string, path: string): string | undefined
  key?(key: string, path: string): string | undefined
}

/**
 * Why `value` is not I-JSON data JCS can canonicalize (RFC 7493 §2: no lone surrogates, finite numbers;
 * only plain objects and arrays), or undefined when it is. `maxDepth` bounds nesting (`{}` is depth 1).
 * `inspect` adds rules for strings and member names, in the same walk.
 */
export function checkJson(
  value: unknown,
  maxDepth: number,
  inspect?: JsonInspector,
  path = 'data',
  depth = 0,
): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) return `${path} contains a lone UTF-16 surrogate`
    return inspect?.string?.(value, path)
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path} is not a finite number`
  }
  if (typeof value !== 'object') return `${path} is a ${typeof value}, which JSON cannot hold`
  if (depth + 1 > maxDepth) return `${path} nests deeper than ${maxDepth} levels`
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const why = checkJson(value[i], maxDepth, inspect, `${path}[${i}]`, depth + 1)
      if (why !== undefined) return why
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return `${path} is not a plain object`
  for (const key of Object.keys(value)) {
    if (LONE_SURROGATE.test(key)) return `${path} has a member name with a lone UTF-16 surrogate`
    const keyWhy = inspect?.key?.(key, path)
    if (keyWhy !== undefined) return keyWhy
    const why = checkJson(
      (value as Record<string, unknown>)[key],
      maxDepth,
      inspect,
      `${path}.${key}`,
      depth + 1,
    )
    if (why !== undefined) return why
  }
  return undefined
}
