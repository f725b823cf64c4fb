/**
 * The server's side of Bitstring Status List v1.0: it hosts the home's signed `BitstringStatusListCredential`s
 * at the URLs the credentials' `statusListCredential` entries point to (`<statusBaseUrl>/<n>-<purpose>`, served
 * as `GET /status/<n>-<purpose>`), re-publishes them when a status changes, and checks status for its own
 * verifier from the same lists without a network round trip.
 *
 * The home's status base URL is fixed once any credential carries a status entry (the entries are signed into
 * the credentials). When the server starts and no entry exists yet, it sets the home's base URL to
 * `<public URL>/status`; otherwise it keeps the existing one and still serves each list under
 * `/status/<n>-<purpose>` (the last path segment), so a verifier maps the old prefix to this server
 * (`--status-url-map <old base>/=<server>/status/`).
 */
import { EnvironmentError, VerificationError } from '@tessera/core'
import { signCredentialJwt, veramoSigner } from '@tessera/credentials'
import type { StatusChecker } from '@tessera/credentials/offline'
import { type Home, writeHomeConfig } from '@tessera/identity'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import {
  allocateStatusEntries,
  createStatusCache,
  enableStatusLists,
  getPublishedList,
  type IssuedPurpose,
  publishHomeStatusLists,
  type StatusCache,
  type StatusListSource,
  statusBaseUrl,
  statusChecker,
  statusListId,
  validateStatusBaseUrl,
} from '@tessera/status'

/** How the server publishes its lists. */
export interface StatusHostOptions {
  /** Validity of each published list credential, in seconds; default 1 day. */
  validForSec?: number
  /** `ttl` written into each list (how long verifiers may cache it), in milliseconds; default 5 minutes. */
  ttlMs?: number
  /** Other issuers' lists, for credentials this server did not issue (directory or HTTPS sources). */
  sources?: readonly StatusListSource[]
  /** Offline mode for those lists (see `createStatusCache`); default 1 day. */
  maxStalenessMs?: number
}

/** What {@link settleStatusBaseUrl} decided. */
export interface StatusBaseUrlOutcome {
  /** The base URL the home's credentials point to. */
  baseUrl: string
  /** `<public URL>/status`: where this server serves the lists. */
  servedAt: string
  /** True when the home's config was changed to {@link servedAt}. */
  changed: boolean
  /** Why the home keeps another base URL, when it does. */
  warning?: string
}

const LIST_NAME = /^([1-9][0-9]{0,8})-(revocation|suspension)$/

/** The list a `GET /status/{name}` asks for, or undefined for a name this server never publishes. */
export function parseListName(name: string): { listNumber: number; purpose: IssuedPurpose } | undefined {
  const match = LIST_NAME.exec(name)
  if (match === null) return undefined
  return { listNumber: Number(match[1]), purpose: match[2] as IssuedPurpose }
}

async function statusEntryCount(home: Home): Promise<number> {
  const [row] = (await home.dataSource.query(`SELECT count(*) AS n FROM "tessera_status_entry"`)) as {
    n: number
  }[]
  return Number(row?.n ?? 0)
}

/**
 * Point the home's status lists at this server when nothing is issued yet; keep the base URL the credentials
 * already carry otherwise. Also makes sure the home allocates status entries (with the settled base URL).
 */
export async function settleStatusBaseUrl(home: Home, publicUrl: string): Promise<StatusBaseUrlOutcome> {
  const servedAt = `${publicUrl.replace(/\/+$/, '')}/status`
  const current = statusBaseUrl(home)
  let outcome: StatusBaseUrlOutcome = { baseUrl: current, servedAt, changed: false }
  if (current !== servedAt) {
    let wanted: string | undefined
    try {
      wanted = validateStatusBaseUrl(servedAt)
    } catch {
      wanted = undefined
    }
    const entries = await statusEntryCount(home)
    if (wanted === undefined) {
      outcome = {
        ...outcome,
        warning: `${servedAt} cannot be a status base URL (https, or http on loopback); credentials keep pointing to ${current}`,
      }
    } else if (entries > 0) {
      outcome = {
        ...outcome,
        warning: `${entries} credentials already point to status lists at ${current}; they are served here under ${servedAt}/`,
      }
    } else {
      home.config.settings = { ...home.config.settings, statusBaseUrl: wanted }
      try {
        writeHomeConfig(home.dir, home.config)
      } catch (err) {
        throw new EnvironmentError('ERR_IO', `cannot write the home's config: ${(err as Error).message}`, {
          cause: err,
        })
      }
      outcome = { baseUrl: wanted, servedAt, changed: true }
    }
  }
  if (home.hooks.allocateCredentialStatus === undefined) enableStatusLists(home)
  else if (outcome.changed) {
    // enableStatusLists captured the old base URL when the home was opened: allocate with the settled one.
    home.hooks.allocateCredentialStatus = async ({ credentialId }) =>
      (await allocateStatusEntries(home.dataSource, { credentialId, baseUrl: statusBaseUrl(home) })).map(
        (entry) => ({ ...entry }),
      )
  }
  return outcome
}

/** The trust bundle the status cache uses: the server's bundle, plus this organisation for its own lists. */
function statusTrust(home: Home, trust: TrustBundle | undefined): TrustBundle {
  const base = trust ?? emptyTrustBundle()
  for (const org of Object.values(base.organisations)) {
    if (org.issuers.includes(home.org.did)) return base
  }
  let name = 'this server'
  for (let i = 2; Object.hasOwn(base.organisations, name); i++) name = `this server ${i}`
  return addTrust(base, { org: name, issuer: home.org.did })
}

/** Publishes the home's lists, serves them, and checks status for the server's own verifier. */
export interface StatusHost {
  /** Publish now (only changed or ageing lists are re-signed) and refresh the verifier's copies. */
  publish(): Promise<void>
  /** Mark the lists changed (a credential was issued): the next read publishes first. */
  invalidate(): void
  /** The signed list credential (compact JWS) for `GET /status/{name}`, or undefined. */
  read(name: string): Promise<string | undefined>
  /** The status checker for the server's verifier: its own lists in-process, others from `sources`. */
  checker: StatusChecker
  cache: StatusCache
}

/** A status host over an open home whose base URL is settled (see {@link settleStatusBaseUrl}). */
export function createStatusHost(
  home: Home,
  options: StatusHostOptions & { trust?: TrustBundle | undefined },
): StatusHost {
  const validForSec = options.validForSec ?? 86_400
  const ttlMs = options.ttlMs ?? 5 * 60_000
  let dirty = true
  let freshUntil = 0
  /** The lists' count and summed versions at the last publication: another process may change them too. */
  let published = ''
  const fingerprint = async (): Promise<string> => {
    const [row] = (await home.dataSource.query(
      `SELECT count(*) AS n, coalesce(sum("revocation_version" + "suspension_version"), 0) AS v FROM "tessera_status_list"`,
    )) as { n: number; v: number }[]
    return `${row?.n ?? 0}:${row?.v ?? 0}`
  }
  let signer: ReturnType<typeof veramoSigner> | undefined

  /** Sign what changed; returns the ids of the lists re-signed. */
  const publishOnce = async (): Promise<string[]> => {
    signer ??= veramoSigner({ agent: home.agent, did: home.org.did })
    const sign = await signer
    dirty = false
    const before = await fingerprint()
    const lists = await publishHomeStatusLists(home, {
      validForSec,
      ttlMs,
      signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer: sign }),
    })
    // Re-publish once half of the shortest validity left has passed (publishStatusLists re-signs then).
    const soonest = Math.min(...lists.map((l) => Date.parse(l.validUntil)), Date.now() + validForSec * 1000)
    freshUntil = soonest - (validForSec * 1000) / 2
    published = before
    return lists.filter((l) => l.resigned).map((l) => l.id)
  }

  let chain: Promise<unknown> = Promise.resolve()
  /** One publication at a time, in order. Never waits on the cache: the cache's loads wait on this. */
  const sign = (): Promise<string[]> => {
    const next = chain.then(publishOnce, publishOnce)
    chain = next.catch(() => undefined)
    return next
  }

  const publish = async (): Promise<void> => {
    // Then refresh the verifier's copies of what changed (each reads through `own`, which may sign first).
    const resigned = await sign()
    await Promise.all(resigned.map((id) => cache.refresh(id)))
  }

  /**
   * Publish first when something changed since the last publication: a credential issued or a status changed
   * here (`dirty`), or by another process on the same home (the fingerprint), or a list nearing `validUntil`.
   */
  const ensure = async (): Promise<void> => {
    if (dirty || Date.now() >= freshUntil || (await fingerprint()) !== published) await sign()
  }

  const own: StatusListSource = {
    name: 'this server',
    async load(listId, context) {
      const prefix = `${statusBaseUrl(home)}/`
      if (!listId.startsWith(prefix)) {
        throw new VerificationError(
          'ERR_STATUS_RETRIEVAL',
          `status list ${listId} is not one of this server's`,
          {
            details: { specError: 'STATUS_RETRIEVAL_ERROR', listId, reason: 'not-served' },
          },
        )
      }
      await ensure()
      const token = await getPublishedList(home.dataSource, listId)
      if (token === undefined) {
        throw new VerificationError('ERR_STATUS_RETRIEVAL', `status list ${listId} is not published`, {
          details: { specError: 'STATUS_RETRIEVAL_ERROR', listId, reason: 'not-found' },
        })
      }
      return { token, fetchedAt: context.now, location: `this server (${listId})` }
    },
  }

  const cache = createStatusCache({
    sources: [own, ...(options.sources ?? [])],
    trust: statusTrust(home, options.trust),
    maxStalenessMs: options.maxStalenessMs ?? 86_400_000,
  })

  return {
    publish,
    invalidate() {
      dirty = true
    },
    async read(name) {
      const list = parseListName(name)
      if (list === undefined) return undefined
      await ensure()
      return getPublishedList(
        home.dataSource,
        statusListId(statusBaseUrl(home), list.listNumber, list.purpose),
      )
    },
    checker: statusChecker(cache),
    cache,
  }
}
