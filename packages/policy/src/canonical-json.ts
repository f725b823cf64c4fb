/**
 * Internal: RFC 8785 JSON Canonicalization Scheme (JCS) for plain JSON data. Not part of the package's public
 * surface. Written by hand because, for data without non-integer numbers, JCS is exactly ECMAScript
 * `JSON.stringify` with object keys sorted by UTF-16 code units: twenty lines, no dependency needed.
 */

/**
 * Serialize `value` per RFC 8785: no whitespace (§3.2.1), strings and numbers as ECMAScript `JSON.stringify`
 * serializes them (§3.2.2.2, §3.2.2.3), object members sorted by the UTF-16 code units of their names
 * (§3.2.3), array order kept.
 *
 * @throws TypeError for values JSON cannot represent (undefined, functions, symbols, bigint, non-finite numbers).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS cannot represent a non-finite number')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`
  if (typeof value === 'object') {
    // Array.prototype.sort without a comparator compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
    const keys = Object.keys(value).sort()
    const members = keys.map(
      (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
    )
    return `{${members.join(',')}}`
  }
  throw new TypeError(`JCS cannot represent a value of type ${typeof value}`)
}
