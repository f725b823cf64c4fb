/**
 * Permissions: the `ACTION:RESOURCE` grammar, matching a request against a granted pattern, and intersecting
 * what a credential grants with what a verifier allows.
 *
 * Grammar (the same for the CLI text form and the JSON object form `{ "action", "resource" }`):
 * - `action` is `*` (any action) or a name matching `[a-z][a-z0-9._-]{0,63}`.
 * - `resource` is 1..256 characters: path segments of `[A-Za-z0-9._~-]+` separated by `/`, no empty, `.` or
 *   `..` segment, optionally followed by one `*` as the very last character.
 *
 * Wildcard semantics: a trailing `*` is a plain string prefix. `P*` covers every concrete resource that starts
 * with `P`. So `tickets/*` covers `tickets/42` and `tickets/a/b` but not `tickets` nor `ticketsX` (they do not
 * start with `tickets/`), `*` alone covers everything, and `tick*` covers `tick`, `tickets`, `tickets/42` and
 * `tick-archive/1`. Prefer `tickets/*` to `tickets*` unless the string prefix is what you mean.
 * A requested permission is always concrete: no `*` in its action or resource.
 */
import { InputError, type Permission } from '@tessera/core'
import { show } from './show.js'

/** Longest accepted action name, in characters. */
export const MAX_ACTION_LENGTH = 64

/** Longest accepted resource (pattern or concrete), in characters. */
export const MAX_RESOURCE_LENGTH = 256

const ACTION = /^[a-z][a-z0-9._-]{0,63}$/
const PATH = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/
const PATH_CHAR = /^[A-Za-z0-9._~/-]$/
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/
const GRAMMAR = '(e.g. "read:tickets/*")'

type Kind = 'pattern' | 'concrete'

function badCharacter(path: string): string | undefined {
  for (const char of path) {
    if (!PATH_CHAR.test(char)) {
      const point = char.codePointAt(0) ?? 0
      const name = `U+${point.toString(16).toUpperCase().padStart(4, '0')}`
      return point > 0x20 && point < 0x7f
        ? `character "${char}" (${name}) is not allowed`
        : `character ${name} is not allowed`
    }
  }
  return undefined
}

function actionProblem(action: unknown, kind: Kind): string | undefined {
  if (typeof action !== 'string') return `action must be a string, got ${show(action)}`
  if (action === '*') return kind === 'concrete' ? 'a requested action cannot be "*"' : undefined
  if (action.length === 0) return 'action must not be empty'
  if (!ACTION.test(action)) {
    return kind === 'concrete'
      ? 'action must match [a-z][a-z0-9._-]{0,63}'
      : 'action must be "*" or match [a-z][a-z0-9._-]{0,63}'
  }
  return undefined
}

function resourceProblem(resource: unknown, kind: Kind): string | undefined {
  if (typeof resource !== 'string') return `resource must be a string, got ${show(resource)}`
  if (resource.length === 0) return 'resource must not be empty'
  if (resource.length > MAX_RESOURCE_LENGTH)
    return `resource must be at most ${MAX_RESOURCE_LENGTH} characters`
  let path = resource
  if (kind === 'concrete') {
    if (resource.includes('*')) return 'a requested resource cannot contain "*"'
  } else if (resource.endsWith('*')) {
    if (resource === '*') return undefined
    path = resource.slice(0, resource.endsWith('/*') ? -2 : -1)
  }
  if (path.includes('*')) return '"*" is only allowed once, as the last character of the resource'
  if (!PATH.test(path)) {
    return (
      badCharacter(path) ??
      'resource must be path segments [A-Za-z0-9._~-]+ separated by "/", with no empty segment'
    )
  }
  if (DOT_SEGMENT.test(path)) return 'resource must not contain "." or ".." segments'
  return undefined
}

function permissionProblem(action: unknown, resource: unknown, kind: Kind): string | undefined {
  return actionProblem(action, kind) ?? resourceProblem(resource, kind)
}

/**
 * Read a JSON-shaped object's own data properties, requiring exactly the keys `action` and `resource`.
 * Returns undefined with a reason when the shape is wrong.
 */
function ownActionResource(value: unknown): { action: unknown; resource: unknown } | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `got ${show(value)}`
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return 'got an object that is not a plain JSON object'
  const fields: Record<string, unknown> = Object.create(null)
  for (const key of Reflect.ownKeys(value)) {
    if (key !== 'action' && key !== 'resource') {
      return `unexpected key ${typeof key === 'string' ? show(key) : 'of type symbol'}`
    }
    const descriptor = Object.getOwnPropertyDescriptor(value, key)
    if (descriptor === undefined || !('value' in descriptor)) return `"${key}" must be a data property`
    fields[key] = descriptor.value
  }
  if (!Object.hasOwn(fields, 'action')) return 'missing "action"'
  if (!Object.hasOwn(fields, 'resource')) return 'missing "resource"'
  return { action: fields.action, resource: fields.resource }
}

function invalidText(name: string, text: unknown, reason: string): InputError {
  return new InputError(
    'ERR_PERMISSION_INVALID',
    `"${name}" must be ACTION:RESOURCE ${GRAMMAR}: ${reason}, got ${show(text)}`,
  )
}

function invalidObject(name: string, reason: string): InputError {
  return new InputError(
    'ERR_PERMISSION_INVALID',
    `"${name}" must be an object { action, resource } ${GRAMMAR}: ${reason}`,
  )
}

/** Validate an object-form permission as a pattern or a concrete request; returns a fresh copy. */
function checkObject(name: string, value: unknown, kind: Kind): Permission {
  const fields = ownActionResource(value)
  if (typeof fields === 'string') throw invalidObject(name, fields)
  const problem = permissionProblem(fields.action, fields.resource, kind)
  if (problem !== undefined) {
    const shown =
      typeof fields.action === 'string' && typeof fields.resource === 'string'
        ? `, got ${show(`${fields.action}:${fields.resource}`)}`
        : ''
    throw invalidObject(name, `${problem}${shown}`)
  }
  return { action: fields.action as string, resource: fields.resource as string }
}

/**
 * Parse the CLI text form `ACTION:RESOURCE` (`read:tickets/*`, `*:reports/2026`, `write:tickets/42`).
 *
 * The text is taken as is: no trimming, no decoding. Whitespace, control characters, `%`, a second `:`,
 * empty, `.` or `..` segments and a `*` anywhere but last are rejected.
 *
 * @throws InputError `ERR_PERMISSION_INVALID` naming what was expected and what was given.
 */
export function parsePermission(text: string): Permission {
  if (typeof text !== 'string') throw invalidText('permission', text, 'must be a string')
  if (text.length > MAX_ACTION_LENGTH + 1 + MAX_RESOURCE_LENGTH)
    throw invalidText('permission', text, 'too long')
  const colon = text.indexOf(':')
  if (colon < 0) throw invalidText('permission', text, 'missing ":" between ACTION and RESOURCE')
  if (text.includes(':', colon + 1)) throw invalidText('permission', text, 'only one ":" is allowed')
  const action = text.slice(0, colon)
  const resource = text.slice(colon + 1)
  const problem = permissionProblem(action, resource, 'pattern')
  if (problem !== undefined) throw invalidText('permission', text, problem)
  return { action, resource }
}

/**
 * Validate the JSON object form `{ "action": ..., "resource": ... }` of a permission (a pattern: `*` allowed
 * as described in the module documentation). Own data properties only; any other key is rejected.
 *
 * @returns a fresh `Permission` holding only `action` and `resource`.
 * @throws InputError `ERR_PERMISSION_INVALID`.
 */
export function validatePermission(obj: unknown): Permission {
  return checkObject('permission', obj, 'pattern')
}

/**
 * Validate a requested (concrete) permission: same grammar, but no `*` in the action or the resource.
 * `authorize` and `permissionCovers` call this; the CLI and server can call it on user input.
 *
 * @throws InputError `ERR_PERMISSION_INVALID` naming `"action"` or `"resource"`.
 */
export function validateRequest(request: { action: string; resource: string }): Permission {
  const fields = ownActionResource(request)
  if (typeof fields === 'string') throw invalidObject('request', fields)
  const actionIssue = actionProblem(fields.action, 'concrete')
  if (actionIssue !== undefined) {
    throw new InputError(
      'ERR_PERMISSION_INVALID',
      `"action" must be a concrete action name ([a-z][a-z0-9._-]{0,63}, no "*"): ${actionIssue}, got ${show(fields.action)}`,
    )
  }
  const resourceIssue = resourceProblem(fields.resource, 'concrete')
  if (resourceIssue !== undefined) {
    throw new InputError(
      'ERR_PERMISSION_INVALID',
      `"resource" must be a concrete path of segments [A-Za-z0-9._~-]+ separated by "/" (no "*"): ${resourceIssue}, got ${show(fields.resource)}`,
    )
  }
  return { action: fields.action as string, resource: fields.resource as string }
}

/**
 * Format a permission as `ACTION:RESOURCE`, the inverse of {@link parsePermission}.
 *
 * @throws InputError `ERR_PERMISSION_INVALID` if the permission is not valid (so the output always parses).
 */
export function formatPermission(permission: Permission): string {
  const valid = checkObject('permission', permission, 'pattern')
  return `${valid.action}:${valid.resource}`
}

/** True when the pattern (action or resource, already validated) matches the concrete value. */
function patternMatches(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value
}

/**
 * The intersection of two validated patterns (action or resource): the more specific one when one contains
 * the other, undefined when they share nothing. Exact for prefix sets: `P*` ∩ `Q*` is non-empty only when
 * one prefix starts with the other.
 */
function intersectPatterns(a: string, b: string): string | undefined {
  const aWild = a.endsWith('*')
  const bWild = b.endsWith('*')
  if (!aWild && !bWild) return a === b ? a : undefined
  if (aWild && !bWild) return b.startsWith(a.slice(0, -1)) ? b : undefined
  if (!aWild && bWild) return a.startsWith(b.slice(0, -1)) ? a : undefined
  const aPrefix = a.slice(0, -1)
  const bPrefix = b.slice(0, -1)
  if (aPrefix.startsWith(bPrefix)) return a
  if (bPrefix.startsWith(aPrefix)) return b
  return undefined
}

/**
 * Internal: does an already validated granted pattern cover an already validated concrete request?
 * Exported for `authorize`, which validates once per call; not part of the package's public surface.
 */
export function coversValidated(granted: Permission, requested: Permission): boolean {
  return (
    patternMatches(granted.action, requested.action) && patternMatches(granted.resource, requested.resource)
  )
}

/**
 * Internal: validate a granted permission pattern passed by a caller, naming it in the error.
 * Not part of the package's public surface.
 */
export function checkGranted(name: string, permission: unknown): Permission {
  return checkObject(name, permission, 'pattern')
}

/**
 * Does `granted` (a pattern) cover `requested` (a concrete action on a concrete resource)?
 *
 * The action matches when `granted.action` is `*` or equal. The resource matches when equal, or when
 * `granted.resource` ends in `*` and `requested.resource` starts with everything before that `*`
 * (see the module documentation: `tickets/*` covers `tickets/a/b` but not `tickets`; `tick*` covers `tickets`).
 *
 * @throws InputError `ERR_PERMISSION_INVALID` if `granted` is not a valid pattern or `requested` is not concrete.
 */
export function permissionCovers(granted: Permission, requested: Permission): boolean {
  const pattern = checkObject('granted', granted, 'pattern')
  const request = checkObject('requested', requested, 'concrete')
  return coversValidated(pattern, request)
}

/**
 * The effective permissions: the set intersection of what a credential grants and the ceiling the verifier's
 * trust bundle allows for that role.
 *
 * Every granted pattern is intersected with every ceiling pattern (action with action, resource with resource;
 * the more specific pattern wins, e.g. `*:tickets/*` ∩ `read:tickets/42` = `read:tickets/42`); empty
 * intersections are dropped and exact duplicates removed, keeping the first occurrence (granted order, then
 * ceiling order). For every concrete request `r`: some result covers `r` exactly when some granted permission
 * and some ceiling permission both cover `r`.
 *
 * @throws InputError `ERR_PERMISSION_INVALID` if any input permission is invalid.
 */
export function intersectPermissions(
  granted: readonly Permission[],
  ceiling: readonly Permission[],
): Permission[] {
  if (!Array.isArray(granted)) throw invalidObject('granted', `expected an array, got ${show(granted)}`)
  if (!Array.isArray(ceiling)) throw invalidObject('ceiling', `expected an array, got ${show(ceiling)}`)
  const grants = granted.map((p, i) => checkObject(`granted[${i}]`, p, 'pattern'))
  const limits = ceiling.map((p, i) => checkObject(`ceiling[${i}]`, p, 'pattern'))
  const seen = new Set<string>()
  const result: Permission[] = []
  for (const g of grants) {
    for (const c of limits) {
      const action = intersectPatterns(g.action, c.action)
      if (action === undefined) continue
      const resource = intersectPatterns(g.resource, c.resource)
      if (resource === undefined) continue
      const key = `${action}:${resource}`
      if (seen.has(key)) continue
      seen.add(key)
      result.push({ action, resource })
    }
  }
  return result
}
