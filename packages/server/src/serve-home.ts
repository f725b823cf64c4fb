/**
 * `serveHome`: open an organisation home, give it its audit log, and serve it; `close()` finishes in-flight
 * requests, then closes the home. What `tessera serve` runs.
 */
import { enableAudit } from '@tessera/audit'
import { type Home, type MigrationClass, openHome } from '@tessera/identity'
import { storedAdminTokenHash } from './admin-token.js'
import {
  createServer,
  type InboxHandler,
  type Listening,
  type ListenOptions,
  type ServerOptions,
  type TesseraServer,
} from './server.js'

/** Options of {@link serveHome}. */
export interface ServeHomeOptions extends Omit<ServerOptions, 'home' | 'adminTokenHash'> {
  /** The home folder. */
  dir: string
  env?: NodeJS.ProcessEnv
  /** Every package's migrations (a home always has the whole schema). */
  migrations: readonly MigrationClass[]
  /** Default: the hash stored in the home's config by `createAdminToken` (`tessera server token`). */
  adminTokenHash?: string
  listen: ListenOptions
  /**
   * Build the DIDComm inbox (mounted at `POST /didcomm`) once the home is open, e.g. an agent endpoint of
   * @tessera/messaging over this home's keys: `(home) => createInboxHandler(await createAgentEndpoint(...))`.
   */
  inboxFor?: (home: Home) => Promise<InboxHandler>
}

/** A served home. */
export interface ServedHome extends Listening {
  home: Home
  server: TesseraServer
  /** Finish in-flight requests, write the last audit entries, close the home. Idempotent. */
  close(): Promise<void>
}

/** Open the home at `dir` and serve it (see `createServer`). On failure the home is closed again. */
export async function serveHome(options: ServeHomeOptions): Promise<ServedHome> {
  const { dir, env, migrations, listen, adminTokenHash, inboxFor, ...serverOptions } = options
  const home = await openHome({ dir, ...(env === undefined ? {} : { env }), migrations })
  let server: TesseraServer | undefined
  try {
    enableAudit(home)
    const hash = adminTokenHash ?? storedAdminTokenHash(home)
    const inbox = inboxFor === undefined ? serverOptions.inbox : await inboxFor(home)
    server = createServer({
      ...serverOptions,
      home,
      ...(hash === undefined ? {} : { adminTokenHash: hash }),
      ...(inbox === undefined ? {} : { inbox }),
    })
    const listening = await server.listen(listen)
    let closed: Promise<void> | undefined
    const served = server
    return {
      ...listening,
      home,
      server: served,
      close: () => {
        closed ??= (async () => {
          try {
            await served.close()
          } finally {
            await home.close()
          }
        })()
        return closed
      },
    }
  } catch (err) {
    await server?.close().catch(() => undefined)
    await home.close()
    throw err
  }
}
