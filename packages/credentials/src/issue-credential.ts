/**
 * Issue any VC Data Model 2.0 credential a client sends (the VC-API `POST /credentials/issue`): validated first
 * (`validateCredentialInput`), given an `id` and Bitstring Status List entries, secured with the organisation's
 * did:key through Veramo's key manager, recorded in the issuer's register and audited, all in one transaction.
 */
import { createHash, randomUUID } from 'node:crypto'
import { InputError, toDateTimeStamp } from '@tessera/core'
import type { Home } from '@tessera/identity'
import { type CredentialInputLimits, validateCredentialInput } from './credential-input.js'
import { signDataIntegrityCredential } from './data-integrity/sign.js'
import { signCredentialJwt } from './issue.js'
import { getOwn, isJsonObject } from './limits.js'
import { envelopeCredential } from './present.js'
import { dataIntegritySigner, veramoSigner } from './signer.js'

/**
 * How an issued credential is secured: `application/vc` is a Data Integrity proof (`eddsa-rdfc-2022`, VC Data
 * Integrity 1.0) embedded in the credential; `application/vc+jwt` is VC-JOSE-COSE §3.1.1, returned as an
 * `EnvelopedVerifiableCredential` (VC DM 2.0 §4.13.1).
 */
export type CredentialFormat = 'application/vc' | 'application/vc+jwt'

/** The formats {@link issueCredential} can produce. */
export const CREDENTIAL_FORMATS: readonly CredentialFormat[] = ['application/vc', 'application/vc+jwt']

/** The format used when none is asked for: Data Integrity. */
export const DEFAULT_CREDENTIAL_FORMAT: CredentialFormat = 'application/vc'

/** Options of {@link issueCredential}. */
export interface IssueCredentialOptions {
  /** The unsigned credential (untrusted input; JSON text or a parsed object). */
  credential: unknown
  /** Default {@link DEFAULT_CREDENTIAL_FORMAT}. */
  format?: CredentialFormat
  /**
   * Add `BitstringStatusListEntry`s (revocation and suspension) to the credential. Default: when the home can
   * allocate them (`allocateStatus`, else the home's `hooks.allocateCredentialStatus`); `true` requires it.
   */
  status?: boolean
  /** Allocates the status entries inside the issuing transaction; default the home's hook. */
  allocateStatus?: (request: { credentialId: string }) => Promise<Record<string, unknown>[]>
  limits?: Partial<CredentialInputLimits>
  now?: Date
}

/** A credential in the register of {@link issueCredential}. */
export interface IssuedCredentialRecord {
  id: string
  issuer: string
  /** The first `credentialSubject.id`, when there is one. */
  subject: string | undefined
  types: string[]
  format: CredentialFormat
  validFrom: string | undefined
  validUntil: string | undefined
  issuedAt: string
  statusEntries: Record<string, unknown>[]
  /** The secured credential as issued (a Data Integrity credential or an EnvelopedVerifiableCredential). */
  verifiableCredential: Record<string, unknown>
}

interface Row {
  id: string
  issuer: string
  subject: string | null
  types: string
  format: string
  valid_from: string | null
  valid_until: string | null
  issued_at: string
  status_entries: string | null
  credential: string
}

const toRecord = (row: Row): IssuedCredentialRecord => ({
  id: row.id,
  issuer: row.issuer,
  subject: row.subject ?? undefined,
  types: JSON.parse(row.types) as string[],
  format: row.format as CredentialFormat,
  validFrom: row.valid_from ?? undefined,
  validUntil: row.valid_until ?? undefined,
  issuedAt: row.issued_at,
  statusEntries:
    row.status_entries === null ? [] : (JSON.parse(row.status_entries) as Record<string, unknown>[]),
  verifiableCredential: JSON.parse(row.credential) as Record<string, unknown>,
})

function readFormat(format: unknown): CredentialFormat {
  if (format === undefined) return DEFAULT_CREDENTIAL_FORMAT
  if (typeof format === 'string' && (CREDENTIAL_FORMATS as readonly string[]).includes(format)) {
    return format as CredentialFormat
  }
  throw new InputError(
    'ERR_INPUT_INVALID',
    `"format" must be one of ${CREDENTIAL_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
    { details: { rule: 'format', path: 'options.format' } },
  )
}

/**
 * Issue one VC Data Model 2.0 credential with the organisation's did:key.
 *
 * 1. `validateCredentialInput`: the VC DM 2.0 rules, `issuer` must be this organisation's DID, no `proof`.
 * 2. An `id` (`urn:uuid:`) when the credential has none (an `id` already in a register is refused), and
 *    `validFrom` = now when absent (§4.9: when the credential becomes valid).
 * 3. `credentialStatus`: the home's `BitstringStatusListEntry`s (revocation and suspension at one random,
 *    never reused index; Bitstring Status List v1.0 §2.1) appended to any the client sent, so
 *    `setCredentialStatus` of @tessera/status works on this credential by its id.
 * 4. Secured as `format` says, through Veramo's key manager (the private key never leaves the KMS).
 * 5. Recorded in the register (`tessera_issued_credential`) and audited (`credential.issued`: ids and a hash,
 *    never the credential), in the same transaction as the status allocation: all of it or none.
 *
 * @throws InputError `ERR_INPUT_INVALID` (`details.rule` names the rule: see `validateCredentialInput`; also
 *   `format`, `id.unique`, `credentialStatus` when `status: true` and the home has no status lists).
 */
export async function issueCredential(
  home: Home,
  options: IssueCredentialOptions,
): Promise<IssuedCredentialRecord> {
  const format = readFormat(options.format)
  const input = validateCredentialInput(options.credential, {
    issuer: home.org.did,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  })
  const allocate = options.allocateStatus ?? home.hooks.allocateCredentialStatus
  if (options.status === true && allocate === undefined) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      'this home has no status lists to allocate "credentialStatus" from',
      {
        details: { rule: 'credentialStatus', path: 'options.status' },
      },
    )
  }
  const withStatus = options.status !== false && allocate !== undefined
  const secure = await securer(home, format)
  const now = options.now ?? new Date()
  // A structured copy: what is signed is plain JSON data, detached from the caller's object.
  const credential = structuredClone(input)
  const given = getOwn(credential, 'id')
  const id = typeof given === 'string' ? given : `urn:uuid:${randomUUID()}`
  if (given === undefined) credential.id = id
  if (!Object.hasOwn(credential, 'validFrom')) credential.validFrom = toDateTimeStamp(now)

  return home.transaction(async () => {
    const taken = (await home.dataSource.query(
      `SELECT "id" FROM "tessera_issued_credential" WHERE "id" = ? UNION SELECT "id" FROM "tessera_credential" WHERE "id" = ?`,
      [id, id],
    )) as unknown[]
    if (taken.length > 0) {
      throw new InputError('ERR_INPUT_INVALID', `"id" ${JSON.stringify(id)} was already issued here`, {
        details: { rule: 'id.unique', path: 'id' },
      })
    }
    const statusEntries = withStatus && allocate ? await allocate({ credentialId: id }) : []
    if (statusEntries.length > 0) {
      const existing = getOwn(credential, 'credentialStatus')
      const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
      credential.credentialStatus = [...before, ...statusEntries]
    }
    const verifiableCredential = await secure(credential, now)
    const types = readTypes(credential)
    const subject = firstSubjectId(credential)
    const validFrom = getOwn(credential, 'validFrom')
    const validUntil = getOwn(credential, 'validUntil')
    const record: IssuedCredentialRecord = {
      id,
      issuer: home.org.did,
      subject,
      types,
      format,
      validFrom: typeof validFrom === 'string' ? validFrom : undefined,
      validUntil: typeof validUntil === 'string' ? validUntil : undefined,
      issuedAt: now.toISOString(),
      statusEntries,
      verifiableCredential,
    }
    const stored = JSON.stringify(verifiableCredential)
    await home.dataSource.query(
      `INSERT INTO "tessera_issued_credential" ("id", "issuer", "subject", "types", "format", "valid_from",
         "valid_until", "issued_at", "status_entries", "credential") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        record.issuer,
        subject ?? null,
        JSON.stringify(types),
        format,
        record.validFrom ?? null,
        record.validUntil ?? null,
        record.issuedAt,
        statusEntries.length > 0 ? JSON.stringify(statusEntries) : null,
        stored,
      ],
    )
    await home.hooks.record?.([
      {
        actor: home.org.did,
        type: 'credential.issued',
        subject: id,
        data: {
          credentialId: id,
          format,
          types,
          ...(subject === undefined ? {} : { credentialSubject: subject }),
          ...(record.validFrom === undefined ? {} : { validFrom: record.validFrom }),
          ...(record.validUntil === undefined ? {} : { validUntil: record.validUntil }),
          statusEntries: statusEntries.map(
            (e) => `${String(e.statusListCredential)}#${String(e.statusListIndex)}`,
          ),
          credentialHash: createHash('sha256').update(stored).digest('hex'),
        },
      },
    ])
    return record
  })
}

/**
 * How a credential is secured in `format`, with the organisation's key through Veramo's key manager: a
 * VC-JOSE-COSE `vc+jwt` in an EnvelopedVerifiableCredential, or a Data Integrity `eddsa-rdfc-2022` proof.
 */
async function securer(
  home: Home,
  format: CredentialFormat,
): Promise<(credential: Record<string, unknown>, now: Date) => Promise<Record<string, unknown>>> {
  if (format === 'application/vc+jwt') {
    const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
    return async (credential, now) => envelopeCredential(await signCredentialJwt({ credential, signer, now }))
  }
  const signer = await dataIntegritySigner({ agent: home.agent, did: home.org.did })
  return (credential, now) => signDataIntegrityCredential({ credential, signer, created: now })
}

function readTypes(credential: Record<string, unknown>): string[] {
  const type = getOwn(credential, 'type')
  return (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === 'string')
}

function firstSubjectId(credential: Record<string, unknown>): string | undefined {
  const subject = getOwn(credential, 'credentialSubject')
  const first = Array.isArray(subject) ? subject[0] : subject
  const id = isJsonObject(first) ? getOwn(first, 'id') : undefined
  return typeof id === 'string' ? id : undefined
}

/** One credential of the register of {@link issueCredential}, by id, or undefined. */
export async function findIssuedCredential(
  home: Home,
  id: string,
): Promise<IssuedCredentialRecord | undefined> {
  const rows = (await home.dataSource.query(`SELECT * FROM "tessera_issued_credential" WHERE "id" = ?`, [
    id,
  ])) as Row[]
  return rows[0] === undefined ? undefined : toRecord(rows[0])
}

/** The register of {@link issueCredential}, oldest first. */
export async function listIssuedCredentials(home: Home): Promise<IssuedCredentialRecord[]> {
  const rows = (await home.dataSource.query(
    `SELECT * FROM "tessera_issued_credential" ORDER BY "issued_at", "id"`,
  )) as Row[]
  return rows.map(toRecord)
}
