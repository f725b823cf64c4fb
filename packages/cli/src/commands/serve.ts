import type { Command } from 'commander'
import { allMigrations, collect, homeDir, statusSourcesFor, untilStopped, withHome } from '../context.js'
import type { CommandResult } from '../output.js'
import { type Action, leaf } from '../program-util.js'

interface ServeOptions {
  home?: string
  json?: boolean
  host: string
  port: string
  trust: string
  statusDir?: string[]
  statusUrlMap?: string[]
  maxStaleness: string
  tlsCert?: string
  tlsKey?: string
  tlsSelfSigned?: boolean
  insecureHttp?: boolean
  publicUrl?: string
  domain?: string[]
  maxConcurrency?: string
  bodyLimit?: string
  didcommAgent?: string
  credential?: string[]
}

/** A positive integer option, or ERR_USAGE naming it. */
async function positiveInteger(
  value: string | undefined,
  option: string,
  min = 1,
): Promise<number | undefined> {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) {
    const { InputError } = await import('@tessera/core')
    throw new InputError(
      'ERR_USAGE',
      `${option} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

/**
 * `tessera serve`: this home's W3C VC-API server (@tessera/server). Prints one line when it listens (with
 * `--json`: one JSON object on one line, the only thing on stdout), runs until SIGTERM or SIGINT, then finishes
 * the requests in flight, closes the home and exits 0 (a line on stderr says it stopped).
 */
async function serve(opts: ServeOptions): Promise<void> {
  const { InputError, parseDuration } = await import('@tessera/core')
  const port = Number(opts.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InputError('ERR_USAGE', `--port must be 0 to 65535, got ${JSON.stringify(opts.port)}`)
  }
  const modes = [
    opts.tlsCert !== undefined || opts.tlsKey !== undefined,
    opts.tlsSelfSigned,
    opts.insecureHttp,
  ]
  if (modes.filter(Boolean).length !== 1) {
    throw new InputError(
      'ERR_USAGE',
      'choose one of --tls-cert/--tls-key, --tls-self-signed or (plain HTTP, explicitly) --insecure-http',
    )
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new InputError('ERR_USAGE', '--tls-cert and --tls-key go together')
  }
  const maxConcurrency = await positiveInteger(opts.maxConcurrency, '--max-concurrency')
  const bodyLimit = await positiveInteger(opts.bodyLimit, '--body-limit', 1024)
  const maxStalenessMs = parseDuration(opts.maxStaleness, '--max-staleness') * 1000
  const server = await import('@tessera/server')
  const { loadTrustBundle } = await import('@tessera/policy')
  const trust = await loadTrustBundle(opts.trust)
  const tls =
    opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? server.loadTls({ certFile: opts.tlsCert, keyFile: opts.tlsKey })
      : opts.tlsSelfSigned
        ? ('self-signed' as const)
        : undefined
  const sources = await statusSourcesFor({ dirs: opts.statusDir, urlMap: opts.statusUrlMap })
  const served = await server.serveHome({
    dir: await homeDir(opts),
    migrations: await allMigrations(),
    trust,
    statusSources: sources,
    statusLists: { maxStalenessMs },
    ...(opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl }),
    ...(opts.domain === undefined ? {} : { domains: opts.domain }),
    limits: {
      ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      ...(bodyLimit === undefined ? {} : { bodyLimit }),
    },
    ...(opts.didcommAgent === undefined
      ? {}
      : {
          inboxFor: async (home: import('@tessera/identity').Home) => {
            const { createInboxHandler } = await import('@tessera/messaging')
            const { agentEndpoint } = await import('./agent.js')
            const counts = { handshakes: 0, refused: 0, allowed: 0, denied: 0 }
            const agent = opts.didcommAgent as string
            const peer = { ...opts, agent, trust: opts.trust }
            return createInboxHandler(
              await agentEndpoint(home, trust, peer, { fixed: undefined, sessionTtlSec: 3600, counts }),
            )
          },
        }),
    listen: {
      host: opts.host,
      port,
      ...(tls === undefined ? { insecureHttp: true } : { tls }),
    },
  })
  const warnings = [
    ...(served.status.warning === undefined ? [] : [served.status.warning]),
    ...(server.storedAdminTokenHash(served.home) === undefined
      ? ['no admin token: issuing and status endpoints answer 403 (run `tessera server token`)']
      : []),
  ]
  const line = {
    url: served.url,
    ...(opts.didcommAgent === undefined
      ? {}
      : { didcomm: `${served.url}/didcomm`, agent: opts.didcommAgent }),
    org: served.home.org.did,
    statusBaseUrl: served.status.baseUrl,
    domains: served.domains,
    ...(served.fingerprint === undefined ? {} : { fingerprint: served.fingerprint }),
    warnings,
  }
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(line)}\n`
      : `tessera serve: listening on ${served.url} (status lists ${served.status.baseUrl}, domains ${served.domains.join(', ')})\n`,
  )
  if (!opts.json) for (const warning of warnings) process.stderr.write(`tessera serve: ${warning}\n`)
  await untilStopped()
  await served.close()
  process.stderr.write(`tessera serve: stopped ${served.url}\n`)
}

export function registerServe(program: Command, run: Action): void {
  leaf(
    program.command('serve'),
    'Serve this home over HTTPS: W3C VC-API issuer and verifier, status lists, challenges, DID resolution, /authorize (stop with SIGTERM or SIGINT)',
  )
    .requiredOption('--trust <file>', 'the trust bundle /authorize decides under')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port to listen on (0: any free port)', '0')
    .option('--tls-cert <file>', 'PEM certificate chain for HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for HTTPS (with --tls-cert)')
    .option('--tls-self-signed', 'HTTPS with a fresh self-signed certificate (local use)')
    .option('--insecure-http', 'plain HTTP (tests, loopback, or behind a TLS proxy)')
    .option('--public-url <url>', 'the URL clients reach this server at (default: the address it listens on)')
    .option(
      '--domain <domain>',
      'a domain presentations may be bound to here (repeatable; default: the public host)',
      collect,
    )
    .option('--status-dir <dir>', "a folder of other issuers' published status lists (repeatable)", collect)
    .option(
      '--status-url-map <PREFIX=URL>',
      'fetch status lists whose id starts with PREFIX from URL (repeatable)',
      collect,
    )
    .option('--max-staleness <duration>', "offline: how old another issuer's status list may be", '1d')
    .option('--max-concurrency <n>', 'requests handled at once; more get 429 with Retry-After', '64')
    .option('--body-limit <bytes>', 'largest request body; larger get 413', String(1024 * 1024))
    .option(
      '--didcomm-agent <did>',
      "mount this agent's DIDComm v2 inbox at POST /didcomm (handshakes verified under --trust; allowed requests are echoed)",
    )
    .option(
      '--credential <file>',
      "with --didcomm-agent: a vc+jwt credential it presents (repeatable; default: its valid credentials in this home's register)",
      collect,
    )
    .action(async (opts: ServeOptions) => serve(opts))

  const server = program.command('server').description("Manage this home's VC-API server")
  leaf(
    server.command('token'),
    "Mint the server's admin bearer token (printed once; only its hash is kept)",
  ).action(
    run(
      async (opts: { home?: string }): Promise<CommandResult> =>
        withHome(opts, async (home) => {
          const { createAdminToken } = await import('@tessera/server')
          const { token } = createAdminToken(home)
          return {
            json: { token, header: `Authorization: Bearer ${token}` },
            human: `${token}\n(shown once: the home keeps only its SHA-256; a new token replaces the old one at the next start)`,
          }
        }),
    ),
  )
}
