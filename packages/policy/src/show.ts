/** Internal: render untrusted values for error messages. Not part of the package's public surface. */

/** Longest string shown verbatim in an error message; longer ones are cut and end in `…`. */
const MAX_SHOWN = 80

/** Render an untrusted value for an error message: strings quoted, escaped (JSON) and truncated; others by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a value of type ${typeof value}`
}
