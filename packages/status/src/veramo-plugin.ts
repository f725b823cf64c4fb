import { InputError, TesseraError } from '@tessera/core'
import type { StatusChecker } from '@tessera/credentials/offline'
import { type BitstringStatusListEntry, buildEntry, isStatusPurpose } from './entry.js'
import {
  allocateStatusEntries,
  changeCredentialStatus,
  ISSUED_PURPOSES,
  type IssuedPurpose,
  type StatusAction,
  type StatusDb,
  statusListId,
  validateStatusBaseUrl,
} from './issuer.js'

/** Options of {@link BitstringStatusListPlugin}. */
export interface BitstringStatusListPluginOptions {
  /** Issuer side: the home's database (e.g. its TypeORM DataSource) and its transaction runner. */
  issuer?: {
    db: StatusDb
    transaction: <T>(work: () => Promise<T>) => Promise<T>
    /** Where the lists are published (`${baseUrl}/${n}-${purpose}`). */
    baseUrl: string
  }
  /** Verifier side: checks entries against verified, cached lists (see `statusChecker` and `createStatusCache`). */
  checker?: StatusChecker
}

type Credential = { id?: unknown; issuer?: unknown; credentialStatus?: unknown }

/**
 * Bitstring Status List v1.0 for any Veramo 7 agent: add `new BitstringStatusListPlugin({ issuer, checker })` to
 * its plugins. Implements Veramo's `ICredentialStatusManager` (`credentialStatusGenerate`,
 * `credentialStatusUpdate`, `credentialStatusTypes`), which Veramo declares and nobody implements, and
 * `ICredentialStatusVerifier.checkCredentialStatus`, which Veramo's `verifyCredential` calls for every credential
 * that carries `credentialStatus`. Structural: Veramo only needs `methods`.
 */
export class BitstringStatusListPlugin {
  readonly methods: {
    credentialStatusGenerate: (args: {
      type: string
      credentialId?: string
      statusPurpose?: string
    }) => Promise<BitstringStatusListEntry & { id: string }>
    credentialStatusUpdate: (args: {
      vc: Credential
      options?: { action?: string }
    }) => Promise<{ credentialId: string; revoked: boolean; suspended: boolean; changed: boolean }>
    credentialStatusTypes: () => Promise<string[]>
    checkCredentialStatus: (args: { credential: Credential }) => Promise<{
      revoked: boolean
      suspended: boolean
      verified: boolean
      errors: { code: string; message: string }[]
    }>
  }

  constructor(options: BitstringStatusListPluginOptions) {
    const issuer = options.issuer
      ? { ...options.issuer, baseUrl: validateStatusBaseUrl(options.issuer.baseUrl) }
      : undefined
    const requireIssuer = () => {
      if (!issuer)
        throw new InputError(
          'ERR_INPUT_INVALID',
          'this BitstringStatusListPlugin has no issuer side configured',
        )
      return issuer
    }
    this.methods = {
      credentialStatusTypes: async () => ['BitstringStatusListEntry'],

      credentialStatusGenerate: async (args) => {
        const side = requireIssuer()
        if (args.type !== 'BitstringStatusListEntry') {
          throw new InputError(
            'ERR_INPUT_INVALID',
            `"type" must be BitstringStatusListEntry, got ${JSON.stringify(args.type)}`,
          )
        }
        const purpose = (args.statusPurpose ?? 'revocation') as IssuedPurpose
        if (!isStatusPurpose(purpose) || !(ISSUED_PURPOSES as readonly string[]).includes(purpose)) {
          throw new InputError(
            'ERR_INPUT_INVALID',
            `"statusPurpose" must be revocation or suspension, got ${JSON.stringify(purpose)}`,
          )
        }
        if (typeof args.credentialId !== 'string' || args.credentialId.length === 0) {
          throw new InputError(
            'ERR_INPUT_INVALID',
            '"credentialId" (the id of the credential being issued) is required',
          )
        }
        const credentialId = args.credentialId
        return side.transaction(async () => {
          // one index per credential, shared by its revocation and suspension entries
          const rows = (await side.db.query(
            `SELECT "list_number", "status_index" FROM "tessera_status_entry" WHERE "credential_id" = ?`,
            [credentialId],
          )) as { list_number: number; status_index: number }[]
          let listNumber: number
          let index: number
          const existing = rows[0]
          if (existing) {
            listNumber = existing.list_number
            index = existing.status_index
          } else {
            const [entry] = await allocateStatusEntries(side.db, { credentialId, baseUrl: side.baseUrl })
            if (!entry) throw new TesseraError('ERR_INTERNAL', 'no status entry allocated')
            index = Number(entry.statusListIndex)
            listNumber = Number(
              entry.statusListCredential.slice(entry.statusListCredential.lastIndexOf('/') + 1).split('-')[0],
            )
          }
          const listCredential = statusListId(side.baseUrl, listNumber, purpose)
          return {
            ...buildEntry({ id: `${listCredential}#${index}`, purpose, index, listCredential }),
            id: `${listCredential}#${index}`,
          }
        })
      },

      credentialStatusUpdate: async (args) => {
        const side = requireIssuer()
        const credentialId = args.vc?.id
        if (typeof credentialId !== 'string') throw new InputError('ERR_INPUT_INVALID', '"vc.id" is required')
        const action = args.options?.action ?? 'revoke'
        if (action !== 'revoke' && action !== 'suspend' && action !== 'reinstate') {
          throw new InputError(
            'ERR_INPUT_INVALID',
            `"options.action" must be revoke, suspend or reinstate, got ${JSON.stringify(action)}`,
          )
        }
        const state = await side.transaction(() =>
          changeCredentialStatus(side.db, { credentialId, action: action as StatusAction }),
        )
        return { credentialId, revoked: state.revoked, suspended: state.suspended, changed: state.changed }
      },

      checkCredentialStatus: async ({ credential }) => {
        if (!options.checker) {
          throw new InputError(
            'ERR_INPUT_INVALID',
            'this BitstringStatusListPlugin has no status checker configured',
          )
        }
        const status = credential?.credentialStatus
        const entries = status === undefined ? [] : Array.isArray(status) ? status : [status]
        const issuerValue = credential?.issuer
        const issuer =
          typeof issuerValue === 'string'
            ? issuerValue
            : ((issuerValue as { id?: unknown } | undefined)?.id as string)
        const errors: { code: string; message: string }[] = []
        let revoked = false
        let suspended = false
        for (const entry of entries) {
          const result = await options.checker.check({
            entry,
            credentialId: typeof credential.id === 'string' ? credential.id : undefined,
            issuer,
          })
          if (result.ok) continue
          if (result.code === 'ERR_STATUS_REVOKED') revoked = true
          else if (result.code === 'ERR_STATUS_SUSPENDED') suspended = true
          errors.push({ code: result.code, message: result.message })
        }
        // Veramo treats `revoked` or `verified: false` as "do not accept": a suspended or uncheckable status fails too.
        return { revoked, suspended, verified: errors.length === 0, errors }
      },
    }
  }
}
