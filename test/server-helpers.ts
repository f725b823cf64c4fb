/** Shared set-up of the server tests: a real home in a temp dir, served on 127.0.0.1 port 0, called with fetch. */
import { join } from 'node:path'
import { auditMigrations, enableAudit } from '@tessera/audit'
import { credentialsMigrations } from '@tessera/credentials'
import { type Home, initHome, openHome } from '@tessera/identity'
import { addTrust, emptyTrustBundle, type TrustBundle } from '@tessera/policy'
import { createAdminToken, createServer, type ServerOptions, type TesseraServer } from '@tessera/server'
import { enableStatusLists, statusMigrations } from '@tessera/status'
import { tempDir } from './helpers.js'

export const MIGRATIONS = [...credentialsMigrations, ...statusMigrations, ...auditMigrations]
export const V2 = 'https://www.w3.org/ns/credentials/v2'
/** Defines any term (its `@vocab`), so example claims survive JSON-LD processing for Data Integrity. */
export const EXAMPLES_V2 = 'https://www.w3.org/ns/credentials/examples/v2'

/** A fresh organisation home, opened with status lists and an audit log. */
export async function freshHome(org = 'Acme'): Promise<{ home: Home; cleanup: () => Promise<void> }> {
  const temp = tempDir(`server-${org.toLowerCase()}`)
  const dir = join(temp.dir, 'home')
  await initHome({ dir, org, env: {}, migrations: MIGRATIONS })
  const home = await openHome({ dir, env: {}, migrations: MIGRATIONS })
  enableStatusLists(home)
  enableAudit(home)
  return {
    home,
    cleanup: async () => {
      await home.close()
      temp.cleanup()
    },
  }
}

export interface Served {
  home: Home
  server: TesseraServer
  url: string
  token: string
  /** The server's default domain (its host:port). */
  domain: string
  /** fetch `path` on the server; JSON bodies are serialized. */
  call: (
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: unknown; headers: Headers; text: string }>
  close: () => Promise<void>
}

/** Serve a fresh home over plain HTTP on 127.0.0.1 (tests only), with an admin token. */
export async function serveFresh(
  options: Partial<Omit<ServerOptions, 'home'>> & { org?: string; trustOwnRole?: boolean } = {},
): Promise<Served> {
  const { home, cleanup } = await freshHome(options.org ?? 'Acme')
  const { token, hash } = createAdminToken(home)
  const { org: _org, trustOwnRole, ...serverOptions } = options
  let trust: TrustBundle | undefined = serverOptions.trust
  if (trustOwnRole) {
    trust = addTrust(trust ?? emptyTrustBundle(), {
      org: 'Self',
      issuer: home.org.did,
      role: 'support-agent',
      permissions: ['read:tickets/*'],
    })
  }
  const server = createServer({
    ...serverOptions,
    ...(trust === undefined ? {} : { trust }),
    home,
    adminTokenHash: hash,
  })
  const listening = await server.listen({ insecureHttp: true })
  const url = listening.url
  const call: Served['call'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers }
    if (init.body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json'
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? token}`
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, headers: response.headers, text }
  }
  return {
    home,
    server,
    url,
    token,
    domain: listening.domains[0] as string,
    call,
    close: async () => {
      await server.close()
      await cleanup()
    },
  }
}

/** An unsigned credential this server may issue. */
export function unsignedCredential(
  issuer: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    '@context': [V2, EXAMPLES_V2],
    type: ['VerifiableCredential', 'MembershipCredential'],
    issuer,
    credentialSubject: { id: 'did:example:alice', memberOf: 'Acme Club' },
    ...extra,
  }
}
