/**
 * The verifier's trust bundle: which organisations it trusts, by which issuer DIDs, to grant which roles, up to
 * which permission ceiling, and whose status lists it accepts. A JSON file, validated strictly at the boundary.
 *
 * ```json
 * { "type": "TesseraTrustBundle", "version": 1,
 *   "organisations": {
 *     "Acme": { "issuers": ["did:key:z6Mk..."],
 *               "roles": { "support-agent": { "ceiling": ["read:tickets/*", "write:tickets/*"] } },
 *               "statusIssuers": ["did:key:z6Mk..."] } } }
 * ```
 *
 * Bundles returned by this module are deeply frozen; `organisations` and `roles` are null-prototype objects, so
 * even a consumer that indexes them with an untrusted name (`toString`, `__proto__`) finds nothing inherited.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { canonicalJson, EnvironmentError, InputError, type Permission } from '@tessera/core'
import { formatPermission, parsePermission, validatePermission } from './permission.js'
import { show } from './show.js'

/** The `type` every trust bundle carries. */
export const TRUST_BUNDLE_TYPE = 'TesseraTrustBundle'

/** The only trust bundle format version this package reads and writes. */
export const TRUST_BUNDLE_VERSION = 1

/** Caps applied when parsing a trust bundle, so a hostile or mistaken file bounds the work it can cost. */
export const TRUST_BUNDLE_LIMITS = Object.freeze({
  /** Most organisations in one bundle. */
  organisations: 1_000,
  /** Most roles per organisation. */
  rolesPerOrganisation: 1_000,
  /** Most issuer DIDs per organisation. */
  issuersPerOrganisation: 1_000,
  /** Most status issuer DIDs per organisation. */
  statusIssuersPerOrganisation: 1_000,
  /** Most permissions in one role ceiling. */
  permissionsPerCeiling: 1_000,
  /** Longest organisation name, in characters. */
  organisationNameLength: 128,
  /** Longest role name, in characters. */
  roleNameLength: 64,
  /** Longest DID, in characters. */
  didLength: 2_048,
  /** Largest trust bundle file `loadTrustBundle` reads, in bytes (4 MiB). */
  fileBytes: 4 * 1024 * 1024,
})

/** One role an organisation's issuers may grant, and the most it may ever allow at this verifier. */
export interface TrustBundleRole {
  /** Permission patterns in `ACTION:RESOURCE` form; a credential's permissions are intersected with these. */
  readonly ceiling: readonly string[]
}

/** One trusted organisation. */
export interface TrustBundleOrganisation {
  /** DIDs whose credentials this verifier attributes to the organisation. Each DID belongs to one organisation. */
  readonly issuers: readonly string[]
  /** Roles the organisation's issuers may grant, by role name (a null-prototype object). */
  readonly roles: Readonly<Record<string, TrustBundleRole>>
  /** DIDs whose status list credentials are accepted for this organisation's credentials; absent means `issuers`. */
  readonly statusIssuers?: readonly string[]
}

/** A verifier's trust policy (format version 1). */
export interface TrustBundle {
  readonly type: typeof TRUST_BUNDLE_TYPE
  readonly version: typeof TRUST_BUNDLE_VERSION
  /** Trusted organisations by name (a null-prototype object). */
  readonly organisations: Readonly<Record<string, TrustBundleOrganisation>>
}

/**
 * Names that can never be an organisation or role name: the keys of `Object.prototype` and `prototype`, so a
 * consumer indexing a plain object with one of them can never confuse an inherited member with trust.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'prototype',
  'toLocaleString',
  'toString',
  'valueOf',
])

/** Organisation names: a letter or digit, then letters, digits, marks, spaces and `.,&'()@+_-`; no trailing space. */
const ORGANISATION_NAME = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M} .,&'()@+_-]*[\p{L}\p{N}\p{M}.,&'()@+_-])?$/u
/** Role names: a letter or digit, then letters, digits and `._:-`. */
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/
/** DID syntax, W3C DID Core 1.0 §3.1: `did:` method-name `:` method-specific-id (no path, query or fragment). */
const DID = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/

/** Bundles produced (validated and deeply frozen) by this module; `parseTrustBundle` returns these as they are. */
const validated = new WeakSet<object>()
const hashes = new WeakMap<TrustBundle, string>()

function invalid(path: string, message: string): InputError {
  return new InputError('ERR_TRUST_BUNDLE_INVALID', `trust bundle ${path} ${message}`, { details: { path } })
}

function keyPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`
}

/** Problem with an organisation name, or undefined when it is acceptable. */
function organisationNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${show(name)}`
  if (RESERVED_NAMES.has(name)) return `must not be the reserved name ${show(name)}`
  if (name.length > TRUST_BUNDLE_LIMITS.organisationNameLength || !ORGANISATION_NAME.test(name)) {
    return `must be 1..${TRUST_BUNDLE_LIMITS.organisationNameLength} letters, digits, spaces or .,&'()@+_- starting with a letter or digit, got ${show(name)}`
  }
  return undefined
}

/** Problem with a role name, or undefined when it is acceptable. */
function roleNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${show(name)}`
  if (RESERVED_NAMES.has(name)) return `must not be the reserved name ${show(name)}`
  if (name.length > TRUST_BUNDLE_LIMITS.roleNameLength || !ROLE_NAME.test(name)) {
    return `must be 1..${TRUST_BUNDLE_LIMITS.roleNameLength} characters of [A-Za-z0-9._:-] starting with a letter or digit, got ${show(name)}`
  }
  return undefined
}

/** Problem with a DID, or undefined when it is acceptable. */
function didProblem(did: unknown): string | undefined {
  if (typeof did !== 'string') return `must be a DID string, got ${show(did)}`
  if (did.length > TRUST_BUNDLE_LIMITS.didLength || !DID.test(did)) {
    return `must be a DID ("did:<method>:<method-specific-id>", at most ${TRUST_BUNDLE_LIMITS.didLength} characters), got ${show(did)}`
  }
  return undefined
}

/**
 * The own data properties of a plain JSON object, as a Map. Rejects arrays, class instances, symbol keys and
 * accessors; with `allowed`, rejects any other key, and with `required`, any missing one.
 */
function readObject(
  value: unknown,
  path: string,
  allowed?: readonly string[],
  required: readonly string[] = [],
  maxKeys = Number.POSITIVE_INFINITY,
  what = 'keys',
): Map<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, `must be a JSON object, got ${show(value)}`)
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw invalid(path, 'must be a plain JSON object')
  const keys = Reflect.ownKeys(value)
  if (keys.length > maxKeys) throw invalid(path, `must have at most ${maxKeys} ${what}, got ${keys.length}`)
  const fields = new Map<string, unknown>()
  for (const key of keys) {
    if (typeof key !== 'string') throw invalid(path, 'must not have symbol keys')
    if (allowed !== undefined && !allowed.includes(key)) {
      throw invalid(path, `has unknown key ${show(key)} (allowed: ${allowed.join(', ')})`)
    }
    const descriptor = Object.getOwnPropertyDescriptor(value, key)
    if (descriptor === undefined || !('value' in descriptor)) {
      throw invalid(keyPath(path, key), 'must be a data property')
    }
    fields.set(key, descriptor.value)
  }
  for (const key of required) {
    if (!fields.has(key)) throw invalid(path, `is missing the required key ${show(key)}`)
  }
  return fields
}

/** An array of at most `max` items, each checked by `check`; duplicates rejected. */
function readStringList(
  value: unknown,
  path: string,
  max: number,
  check: (item: unknown) => string | undefined,
): string[] {
  if (!Array.isArray(value)) throw invalid(path, `must be an array, got ${show(value)}`)
  if (value.length > max) throw invalid(path, `must have at most ${max} entries, got ${value.length}`)
  const seen = new Set<string>()
  const items: string[] = []
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    const problem = check(item)
    if (problem !== undefined) throw invalid(`${path}[${i}]`, problem)
    const text = item as string
    if (seen.has(text)) throw invalid(`${path}[${i}]`, `duplicates an earlier entry ${show(text)}`)
    seen.add(text)
    items.push(text)
  }
  return items
}

function permissionTextProblem(item: unknown): string | undefined {
  if (typeof item !== 'string') return `must be a permission string "ACTION:RESOURCE", got ${show(item)}`
  try {
    parsePermission(item)
    return undefined
  } catch (err) {
    return err instanceof InputError ? err.message.replace(/^"permission" /, '') : 'is not a valid permission'
  }
}

function freezeBundle(organisations: Record<string, TrustBundleOrganisation>): TrustBundle {
  const bundle: TrustBundle = Object.freeze({
    type: TRUST_BUNDLE_TYPE,
    version: TRUST_BUNDLE_VERSION,
    organisations: Object.freeze(organisations),
  })
  validated.add(bundle)
  return bundle
}

/**
 * Validate a parsed trust bundle (the JSON value, not text) and return a deeply frozen copy.
 *
 * Strict: unknown keys, non-own or accessor properties, duplicate entries, malformed DIDs (W3C DID Core §3.1),
 * invalid permissions, reserved names (`__proto__`, `constructor`, `prototype`, `toString`, ... every key of
 * `Object.prototype`) and anything over {@link TRUST_BUNDLE_LIMITS} are rejected. An issuer DID may belong to
 * only one organisation, so every credential maps to exactly one organisation.
 * A bundle this module produced is returned as is.
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID`, whose message and `details.path` name the JSON path.
 */
export function parseTrustBundle(input: unknown): TrustBundle {
  if (typeof input === 'object' && input !== null && validated.has(input)) return input as TrustBundle
  const top = readObject(
    input,
    '$',
    ['type', 'version', 'organisations'],
    ['type', 'version', 'organisations'],
  )
  if (top.get('type') !== TRUST_BUNDLE_TYPE) {
    throw invalid('$.type', `must be ${show(TRUST_BUNDLE_TYPE)}, got ${show(top.get('type'))}`)
  }
  const version = top.get('version')
  if (version !== TRUST_BUNDLE_VERSION) {
    const got = typeof version === 'number' ? String(version) : show(version)
    throw invalid('$.version', `must be ${TRUST_BUNDLE_VERSION} (the only version supported), got ${got}`)
  }
  const orgs = readObject(
    top.get('organisations'),
    '$.organisations',
    undefined,
    [],
    TRUST_BUNDLE_LIMITS.organisations,
    'organisations',
  )
  const organisations: Record<string, TrustBundleOrganisation> = Object.create(null)
  const issuerOwner = new Map<string, string>()
  for (const [name, value] of orgs) {
    const orgPath = keyPath('$.organisations', name)
    const nameIssue = organisationNameProblem(name)
    if (nameIssue !== undefined) throw invalid(orgPath, `is not a valid organisation name: it ${nameIssue}`)
    const fields = readObject(value, orgPath, ['issuers', 'roles', 'statusIssuers'], ['issuers', 'roles'])
    const issuers = readStringList(
      fields.get('issuers'),
      `${orgPath}.issuers`,
      TRUST_BUNDLE_LIMITS.issuersPerOrganisation,
      didProblem,
    )
    issuers.forEach((issuer, i) => {
      const owner = issuerOwner.get(issuer)
      if (owner !== undefined) {
        throw invalid(
          `${orgPath}.issuers[${i}]`,
          `${show(issuer)} is already an issuer of organisation ${show(owner)}`,
        )
      }
      issuerOwner.set(issuer, name)
    })
    const roleFields = readObject(
      fields.get('roles'),
      `${orgPath}.roles`,
      undefined,
      [],
      TRUST_BUNDLE_LIMITS.rolesPerOrganisation,
      'roles',
    )
    const roles: Record<string, TrustBundleRole> = Object.create(null)
    for (const [roleName, roleValue] of roleFields) {
      const rolePath = keyPath(`${orgPath}.roles`, roleName)
      const roleIssue = roleNameProblem(roleName)
      if (roleIssue !== undefined) throw invalid(rolePath, `is not a valid role name: it ${roleIssue}`)
      const role = readObject(roleValue, rolePath, ['ceiling'], ['ceiling'])
      const ceiling = readStringList(
        role.get('ceiling'),
        `${rolePath}.ceiling`,
        TRUST_BUNDLE_LIMITS.permissionsPerCeiling,
        permissionTextProblem,
      )
      if (ceiling.length === 0) throw invalid(`${rolePath}.ceiling`, 'must list at least one permission')
      roles[roleName] = Object.freeze({ ceiling: Object.freeze(ceiling) })
    }
    const org: TrustBundleOrganisation = fields.has('statusIssuers')
      ? {
          issuers: Object.freeze(issuers),
          roles: Object.freeze(roles),
          statusIssuers: Object.freeze(
            readStringList(
              fields.get('statusIssuers'),
              `${orgPath}.statusIssuers`,
              TRUST_BUNDLE_LIMITS.statusIssuersPerOrganisation,
              didProblem,
            ),
          ),
        }
      : { issuers: Object.freeze(issuers), roles: Object.freeze(roles) }
    organisations[name] = Object.freeze(org)
  }
  return freezeBundle(organisations)
}

/** A new trust bundle that trusts nothing. */
export function emptyTrustBundle(): TrustBundle {
  return freezeBundle(Object.create(null))
}

/** A mutable, JSON-shaped organisation, for building the next version of a bundle. */
interface DraftOrganisation {
  issuers: string[]
  roles: Record<string, { ceiling: string[] }>
  statusIssuers?: string[]
}

/** A mutable, JSON-shaped copy of a validated bundle's organisations (null-prototype records). */
function draft(bundle: TrustBundle): Record<string, DraftOrganisation> {
  const out: Record<string, DraftOrganisation> = Object.create(null)
  for (const [name, org] of Object.entries(bundle.organisations)) {
    const roles: Record<string, { ceiling: string[] }> = Object.create(null)
    for (const [roleName, role] of Object.entries(org.roles)) roles[roleName] = { ceiling: [...role.ceiling] }
    out[name] =
      org.statusIssuers === undefined
        ? { issuers: [...org.issuers], roles }
        : { issuers: [...org.issuers], roles, statusIssuers: [...org.statusIssuers] }
  }
  return out
}

function argumentError(name: string, problem: string): InputError {
  return new InputError('ERR_INPUT_INVALID', `"${name}" ${problem}`)
}

/** Options of {@link addTrust}. */
export interface AddTrustOptions {
  /** Organisation name; created when absent. */
  org: string
  /** An issuer DID to trust for the organisation (added once). */
  issuer?: string
  /** A role the organisation's issuers may grant; requires `permissions`. */
  role?: string
  /** Ceiling permissions for `role` (`ACTION:RESOURCE` strings or `{ action, resource }`), added to any existing ones. */
  permissions?: readonly (string | Permission)[]
}

/**
 * Return a new bundle that also trusts `issuer` for `org` and/or lets `org` grant `role` up to `permissions`
 * (the ceiling is created, or extended with the permissions it does not list yet). Pure: `bundle` is unchanged.
 * An explicit `statusIssuers` list is left as it is; when absent it keeps defaulting to the issuers.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a bad name or DID or a missing argument, `ERR_PERMISSION_INVALID`
 *   for a bad permission, `ERR_TRUST_BUNDLE_INVALID` when the issuer already belongs to another organisation,
 *   a cap would be exceeded, or `bundle` itself is invalid.
 */
export function addTrust(bundle: TrustBundle, options: AddTrustOptions): TrustBundle {
  const current = parseTrustBundle(bundle)
  const { org, issuer, role, permissions } = options
  const orgIssue = organisationNameProblem(org)
  if (orgIssue !== undefined) throw argumentError('org', orgIssue)
  if (issuer === undefined && role === undefined) throw argumentError('issuer', 'or "role" is required')
  if (issuer !== undefined) {
    const issue = didProblem(issuer)
    if (issue !== undefined) throw argumentError('issuer', issue)
  }
  let ceilingToAdd: string[] = []
  if (role !== undefined) {
    const roleIssue = roleNameProblem(role)
    if (roleIssue !== undefined) throw argumentError('role', roleIssue)
    if (!Array.isArray(permissions) || permissions.length === 0) {
      throw argumentError('permissions', `must list at least one permission for role ${show(role)}`)
    }
    ceilingToAdd = permissions.map((p: unknown) =>
      typeof p === 'string' ? formatPermission(parsePermission(p)) : formatPermission(validatePermission(p)),
    )
  } else if (permissions !== undefined) {
    throw argumentError('permissions', 'requires "role"')
  }
  const next = draft(current)
  if (issuer !== undefined) {
    for (const [name, other] of Object.entries(next)) {
      if (name !== org && other.issuers.includes(issuer)) {
        throw new InputError(
          'ERR_TRUST_BUNDLE_INVALID',
          `"issuer" ${show(issuer)} is already trusted for organisation ${show(name)}; remove it there first`,
        )
      }
    }
  }
  const entry = Object.hasOwn(next, org) ? next[org] : undefined
  const target: DraftOrganisation = entry ?? { issuers: [], roles: Object.create(null) }
  next[org] = target
  if (issuer !== undefined && !target.issuers.includes(issuer)) target.issuers.push(issuer)
  if (role !== undefined) {
    const existing = Object.hasOwn(target.roles, role) ? target.roles[role] : undefined
    const ceiling = existing?.ceiling ?? []
    for (const p of ceilingToAdd) if (!ceiling.includes(p)) ceiling.push(p)
    target.roles[role] = { ceiling }
  }
  return parseTrustBundle(buildInput(next))
}

/** Options of {@link removeTrust}. */
export interface RemoveTrustOptions {
  /** Organisation name; must be in the bundle. */
  org: string
  /** Stop trusting this DID for `org`: removed from `issuers` and from an explicit `statusIssuers`. */
  issuer?: string
  /** Stop letting `org` grant this role. */
  role?: string
}

/**
 * Return a new bundle that trusts less. With only `org`, the whole organisation is removed; with `issuer`
 * and/or `role`, only those are. Pure: `bundle` is unchanged. Removing something that is not there is an error,
 * so a misspelt name is never silently ignored.
 *
 * @throws InputError `ERR_INPUT_INVALID` when the organisation, issuer or role is not in the bundle,
 *   `ERR_TRUST_BUNDLE_INVALID` when `bundle` itself is invalid.
 */
export function removeTrust(bundle: TrustBundle, options: RemoveTrustOptions): TrustBundle {
  const current = parseTrustBundle(bundle)
  const { org, issuer, role } = options
  if (typeof org !== 'string' || !Object.hasOwn(current.organisations, org)) {
    throw argumentError('org', `must name an organisation in the trust bundle, got ${show(org)}`)
  }
  const next = draft(current)
  const entry = next[org]
  if (entry === undefined)
    throw argumentError('org', `must name an organisation in the trust bundle, got ${show(org)}`)
  if (issuer === undefined && role === undefined) {
    delete next[org]
    return parseTrustBundle(buildInput(next))
  }
  if (issuer !== undefined) {
    const inIssuers = entry.issuers.includes(issuer)
    const inStatus = entry.statusIssuers?.includes(issuer) ?? false
    if (!inIssuers && !inStatus) {
      throw argumentError('issuer', `must be an issuer of organisation ${show(org)}, got ${show(issuer)}`)
    }
    entry.issuers = entry.issuers.filter((did) => did !== issuer)
    if (entry.statusIssuers !== undefined)
      entry.statusIssuers = entry.statusIssuers.filter((did) => did !== issuer)
  }
  if (role !== undefined) {
    if (typeof role !== 'string' || !Object.hasOwn(entry.roles, role)) {
      throw argumentError('role', `must be a role of organisation ${show(org)}, got ${show(role)}`)
    }
    delete entry.roles[role]
  }
  return parseTrustBundle(buildInput(next))
}

function buildInput(organisations: Record<string, DraftOrganisation>): unknown {
  return { type: TRUST_BUNDLE_TYPE, version: TRUST_BUNDLE_VERSION, organisations }
}

/**
 * SHA-256 (FIPS 180-4) of the bundle's RFC 8785 (JCS) canonical JSON, as 64 lowercase hex digits, so an audit
 * entry can name the exact policy a decision was made under. Key order and whitespace do not change it; array
 * order and any value do.
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID` if `bundle` is not a valid trust bundle.
 */
export function trustBundleHash(bundle: TrustBundle): string {
  const valid = parseTrustBundle(bundle)
  let hash = hashes.get(valid)
  if (hash === undefined) {
    hash = createHash('sha256').update(canonicalJson(valid), 'utf8').digest('hex')
    hashes.set(valid, hash)
  }
  return hash
}

function ioError(action: string, path: string, err: unknown): EnvironmentError {
  const reason = err instanceof Error ? err.message : String(err)
  return new EnvironmentError('ERR_IO', `cannot ${action} trust bundle ${show(path)}: ${reason}`, {
    cause: err,
    details: { path },
  })
}

/**
 * Read, parse and validate a trust bundle file. The file must be a regular file of at most
 * {@link TRUST_BUNDLE_LIMITS}`.fileBytes` (4 MiB) of UTF-8 JSON (a leading byte order mark is ignored).
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID` when the file is too large, not UTF-8, not JSON or not a valid
 *   bundle (the message starts with the file path); EnvironmentError `ERR_IO` when it cannot be read.
 */
export async function loadTrustBundle(path: string): Promise<TrustBundle> {
  if (typeof path !== 'string' || path.length === 0)
    throw argumentError('path', `must be a file path, got ${show(path)}`)
  const max = TRUST_BUNDLE_LIMITS.fileBytes
  let handle: FileHandle
  try {
    // O_NONBLOCK: opening a FIFO must not hang; the regular-file check below then rejects it.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    throw ioError('open', path, err)
  }
  let bytes: Buffer
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw ioError('read', path, new Error('not a regular file'))
    if (info.size > max) throw tooLarge(path, max)
    // Read until end of file but never more than max + 1 bytes, so a file growing after stat() is still caught.
    const buffer = Buffer.alloc(max + 1)
    let total = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > max) throw tooLarge(path, max)
    }
    bytes = buffer.subarray(0, total)
  } catch (err) {
    if (err instanceof EnvironmentError || err instanceof InputError) throw err
    throw ioError('read', path, err)
  } finally {
    await handle.close().catch(() => undefined)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    throw new InputError('ERR_TRUST_BUNDLE_INVALID', `${show(path)}: trust bundle is not valid UTF-8`, {
      cause: err,
      details: { file: path },
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new InputError(
      'ERR_TRUST_BUNDLE_INVALID',
      `${show(path)}: trust bundle is not valid JSON: ${reason}`,
      {
        cause: err,
        details: { file: path },
      },
    )
  }
  try {
    return parseTrustBundle(json)
  } catch (err) {
    if (err instanceof InputError) {
      throw new InputError('ERR_TRUST_BUNDLE_INVALID', `${show(path)}: ${err.message}`, {
        cause: err,
        details: { ...err.details, file: path },
      })
    }
    throw err
  }
}

function tooLarge(path: string, max: number): InputError {
  return new InputError(
    'ERR_TRUST_BUNDLE_INVALID',
    `${show(path)}: trust bundle file is larger than ${max} bytes`,
    {
      details: { file: path },
    },
  )
}

/**
 * Validate `bundle` and write it to `path` as indented JSON, atomically: the text goes to a new temporary file in
 * the same directory, is flushed to disk, then renamed over `path`, so a reader sees the old or the new bundle,
 * never a partial one.
 *
 * @throws InputError `ERR_TRUST_BUNDLE_INVALID` if the bundle is invalid or its file would exceed the load limit;
 *   EnvironmentError `ERR_IO` when it cannot be written.
 */
export async function saveTrustBundle(path: string, bundle: TrustBundle): Promise<void> {
  if (typeof path !== 'string' || path.length === 0)
    throw argumentError('path', `must be a file path, got ${show(path)}`)
  const valid = parseTrustBundle(bundle)
  const text = `${JSON.stringify(valid, null, 2)}\n`
  if (Buffer.byteLength(text, 'utf8') > TRUST_BUNDLE_LIMITS.fileBytes) {
    throw new InputError(
      'ERR_TRUST_BUNDLE_INVALID',
      `trust bundle would be larger than ${TRUST_BUNDLE_LIMITS.fileBytes} bytes, the most loadTrustBundle reads`,
    )
  }
  const directory = dirname(path)
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let handle: FileHandle | undefined
  try {
    handle = await open(temporary, 'wx', 0o644)
    await handle.writeFile(text, 'utf8')
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temporary, path)
  } catch (err) {
    await handle?.close().catch(() => undefined)
    await unlink(temporary).catch(() => undefined)
    throw ioError('write', path, err)
  }
  // Persist the rename itself; best effort (not supported on every platform).
  try {
    const dir = await open(directory, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    // ignored: the file content is already durable, only the directory entry may lag
  }
}
