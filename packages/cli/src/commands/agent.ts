import type { AgentProfile, Home } from '@tessera/identity'
import type { Command } from 'commander'
import {
  collect,
  parseJsonOption,
  readInputFile,
  statusSourcesFor,
  untilStopped,
  withHome,
} from '../context.js'
import { type CommandResult, EXIT, table } from '../output.js'
import { type Action, leaf } from '../program-util.js'

function describeAgent(agent: AgentProfile): string {
  return [
    `did:      ${agent.did}`,
    `name:     ${agent.name}`,
    `type:     ${agent.type}`,
    `owner:    ${agent.owner ?? '-'}`,
    `status:   ${agent.status}`,
    `created:  ${agent.createdAt}`,
    `updated:  ${agent.updatedAt}`,
    ...(agent.metadata ? [`metadata: ${JSON.stringify(agent.metadata)}`] : []),
  ].join('\n')
}

const agentResult = (agent: AgentProfile): CommandResult => ({ json: agent, human: describeAgent(agent) })

export function registerAgent(program: Command, run: Action): void {
  const agent = program.command('agent').description('Create and manage agent identities')

  leaf(agent.command('create'), 'Create an agent with a new did:key')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--type <type>', 'agent type, e.g. support-agent')
    .option('--owner <owner>', 'who is responsible for the agent')
    .option('--meta <json>', 'free-form metadata (a JSON object)')
    .action(
      run(async (opts: { name: string; type: string; owner?: string; meta?: string; home?: string }) =>
        withHome(opts, async (home) =>
          agentResult(
            await (await import('@tessera/identity')).createAgentIdentity(home, {
              name: opts.name,
              type: opts.type,
              owner: opts.owner,
              metadata: opts.meta === undefined ? undefined : parseJsonOption(opts.meta, '--meta'),
            }),
          ),
        ),
      ),
    )

  leaf(agent.command('list'), 'List agents')
    .option('--status <status>', 'active | suspended | retired')
    .option('--type <type>', 'only agents of this type')
    .action(
      run(async (opts: { status?: string; type?: string; home?: string }) =>
        withHome(opts, async (home) => {
          const { listAgents, validateAgentStatus } = await import('@tessera/identity')
          const agents = await listAgents(home, {
            status: opts.status === undefined ? undefined : validateAgentStatus(opts.status),
            type: opts.type,
          })
          return {
            json: agents,
            human: table(
              ['DID', 'NAME', 'TYPE', 'STATUS', 'OWNER'],
              agents.map((a) => [a.did, a.name, a.type, a.status, a.owner ?? '-']),
            ),
          }
        }),
      ),
    )

  leaf(agent.command('show').argument('<did>', 'the agent DID'), 'Show one agent').action(
    run(async (did: string, opts: { home?: string }) =>
      withHome(opts, async (home) =>
        agentResult(await (await import('@tessera/identity')).getAgent(home, did)),
      ),
    ),
  )

  for (const [name, description] of [
    ['suspend', 'Suspend an active agent'],
    ['resume', 'Resume a suspended agent'],
    ['retire', 'Retire an agent for good'],
  ] as const) {
    leaf(agent.command(name).argument('<did>', 'the agent DID'), description).action(
      run(async (did: string, opts: { home?: string }) =>
        withHome(opts, async (home) =>
          agentResult(await (await import('@tessera/identity')).transitionAgent(home, did, name)),
        ),
      ),
    )
  }
  registerMessaging(agent, run)
}

// ---------------------------------------------------------------------------------------------------------
// Agent-to-agent messaging (@tessera/messaging): `agent send` (initiator) and `agent listen` (responder)

/** Options `send` and `listen` share: the agent, what it presents, whom it trusts, where peers' status is. */
interface PeerOptions {
  agent: string
  trust: string
  credential?: string[]
  statusDir?: string[]
  statusUrlMap?: string[]
  maxStaleness: string
  home?: string
}

function peerOptions(command: Command): Command {
  return command
    .requiredOption('--agent <did>', 'the agent of this home that talks')
    .requiredOption('--trust <file>', "the trust bundle the peer's presentation is verified against")
    .option(
      '--credential <file>',
      "a vc+jwt credential to present (repeatable; default: the agent's valid, unrevoked credentials from this home's register)",
      collect,
    )
    .option('--status-dir <dir>', "a folder of the peer's published status lists (repeatable)", collect)
    .option(
      '--status-url-map <PREFIX=URL>',
      'fetch status lists whose id starts with PREFIX from URL instead (repeatable; https, or http on loopback)',
      collect,
    )
    .option(
      '--max-staleness <duration>',
      'offline: how old a status list may be when it cannot be refreshed',
      '1d',
    )
}

/**
 * What the agent presents: the given files, or the credentials this home issued to it that are within their
 * validity period and neither revoked nor suspended here (presenting a known-bad one would fail the handshake).
 */
async function credentialsToPresent(
  home: Home,
  agent: string,
  files: string[] | undefined,
): Promise<string[]> {
  if (files !== undefined && files.length > 0) return files.map((file) => readInputFile(file, '--credential'))
  const { listIssued } = await import('@tessera/credentials')
  const { getCredentialStatus } = await import('@tessera/status')
  const { IdentityError } = await import('@tessera/core')
  const now = Date.now()
  const usable: string[] = []
  for (const issued of await listIssued(home, { subject: agent })) {
    if (Date.parse(issued.validFrom) > now || Date.parse(issued.validUntil) <= now) continue
    if (issued.statusEntries.length > 0) {
      const state = await getCredentialStatus(home.dataSource, issued.id).catch(() => undefined)
      if (state === undefined || state.revoked || state.suspended) continue
    }
    usable.push(issued.jwt)
  }
  if (usable.length === 0) {
    throw new IdentityError(
      'ERR_CREDENTIAL_NOT_FOUND',
      `${agent} has no valid, unrevoked credential in this home's register: grant one, or pass --credential`,
    )
  }
  return usable
}

/** The checker of the peer's status entries: the given folders and URL mappings, lists kept in the home. */
async function peerStatusChecker(
  home: Home,
  trust: import('@tessera/policy').TrustBundle,
  opts: PeerOptions,
) {
  const { parseDuration } = await import('@tessera/core')
  const { createPersistentStatusCache, statusChecker } = await import('@tessera/status')
  const sources = await statusSourcesFor({ dirs: opts.statusDir, urlMap: opts.statusUrlMap })
  return statusChecker(
    createPersistentStatusCache({
      db: home.dataSource,
      sources,
      trust,
      maxStalenessMs: parseDuration(opts.maxStaleness, '--max-staleness') * 1000,
    }),
  )
}

/** What the responder side counts, for its summary line. */
export interface EndpointCounts {
  handshakes: number
  refused: number
  allowed: number
  denied: number
}

/**
 * The DIDComm endpoint of one agent of this home (`agent listen`, `serve --didcomm-agent`): it presents the
 * agent's credentials, verifies peers under `trust` and their status lists, answers every allowed request with
 * `fixed` or an echo of the request, and logs each handshake and request decision on stderr.
 */
export async function agentEndpoint(
  home: Home,
  trust: import('@tessera/policy').TrustBundle,
  opts: PeerOptions,
  options: { fixed: unknown; sessionTtlSec: number; counts: EndpointCounts },
): Promise<import('@tessera/messaging').AgentEndpoint> {
  const messaging = await import('@tessera/messaging')
  const { fixed, sessionTtlSec, counts } = options
  const credentials = await credentialsToPresent(home, opts.agent, opts.credential)
  const status = await peerStatusChecker(home, trust, opts)
  return messaging.createAgentEndpoint({
    self: { home, did: opts.agent, credentials },
    trust,
    status,
    sessionTtlSec,
    handlers: {
      '*': (request) =>
        fixed ?? {
          handledBy: opts.agent,
          peer: request.peer,
          action: request.action,
          resource: request.resource,
          body: request.body ?? null,
        },
    },
    onEvent: (event) => {
      const reasons = event.reasons.length > 0 ? `  ${event.reasons.join(' ')}` : ''
      if (event.type === 'handshake') {
        if (event.accepted) counts.handshakes++
        else counts.refused++
        process.stderr.write(
          `handshake ${event.accepted ? 'accepted' : 'refused '} ${event.peer}${reasons}\n`,
        )
      } else {
        if (event.allowed) counts.allowed++
        else counts.denied++
        process.stderr.write(
          `request   ${event.allowed ? 'allowed' : 'denied '} ${event.action}:${event.resource} from ${event.peer}${reasons}\n`,
        )
      }
    },
  })
}

function registerMessaging(agent: Command, run: Action): void {
  peerOptions(
    leaf(
      agent.command('send'),
      'Open a DIDComm channel to a peer agent (mutual presentation handshake) and send it one request',
    ),
  )
    .requiredOption('--to <did>', 'the peer agent')
    .requiredOption('--endpoint <url>', "the peer's DIDComm inbox, e.g. http://127.0.0.1:8080/didcomm")
    .requiredOption('--action <action>', 'the action asked for')
    .requiredOption('--resource <resource>', 'the resource asked for')
    .option('--body <json>', 'a JSON body for the request')
    .action(
      run(
        async (
          opts: PeerOptions & {
            to: string
            endpoint: string
            action: string
            resource: string
            body?: string
          },
        ) => {
          const body = opts.body === undefined ? undefined : parseJsonOption(opts.body, '--body')
          const { loadTrustBundle, validateRequest } = await import('@tessera/policy')
          const request = validateRequest({ action: opts.action, resource: opts.resource })
          const trust = await loadTrustBundle(opts.trust)
          return withHome(opts, async (home): Promise<CommandResult> => {
            const { httpTransport, openChannel } = await import('@tessera/messaging')
            const { TesseraError } = await import('@tessera/core')
            const credentials = await credentialsToPresent(home, opts.agent, opts.credential)
            const status = await peerStatusChecker(home, trust, opts)
            let channel: Awaited<ReturnType<typeof openChannel>>
            try {
              channel = await openChannel({
                self: { home, did: opts.agent, credentials },
                peer: opts.to,
                transport: httpTransport({ url: opts.endpoint }),
                trust,
                status,
              })
            } catch (err) {
              if (!(err instanceof TesseraError) || err.code !== 'ERR_HANDSHAKE_REFUSED') throw err
              const { reason, reasons, refusedBy } = err.details as {
                reason: string
                reasons: string[]
                refusedBy: string
              }
              return {
                json: { handshake: 'refused', reason, reasons, refusedBy, message: err.message },
                human: `REFUSED  handshake with ${opts.to}\nrefused by: ${refusedBy}\nreason:     ${reason}\n${err.message}`,
                exitCode: EXIT.negative,
              }
            }
            const outcome = await channel.request({ ...request, ...(body === undefined ? {} : { body }) })
            const asked = `${request.action}:${request.resource}`
            const peerRoles = channel.peerDecision.credentials.map((c) => `${c.role} (${c.org ?? c.issuer})`)
            return {
              json: {
                handshake: 'accepted',
                channel: { id: channel.id, peer: channel.peer, expiresAt: channel.expiresAt },
                request,
                ...outcome,
              },
              human: outcome.allowed
                ? [
                    `ALLOWED  ${asked}`,
                    `peer:       ${channel.peer} (${peerRoles.join(', ')})`,
                    ...(outcome.grantedBy
                      ? [
                          `granted by: ${outcome.grantedBy.role} via ${outcome.grantedBy.permission.action}:${outcome.grantedBy.permission.resource}`,
                        ]
                      : []),
                    `reply:      ${JSON.stringify(outcome.reply)}`,
                  ].join('\n')
                : [
                    `DENIED   ${asked}`,
                    `peer:       ${channel.peer}`,
                    `reason:     ${outcome.code}  ${outcome.message}`,
                  ].join('\n'),
              exitCode: outcome.allowed ? EXIT.ok : EXIT.negative,
            }
          })
        },
      ),
    )

  peerOptions(
    leaf(
      agent.command('listen'),
      'Answer DIDComm handshakes and requests for an agent over HTTP (prints its inbox URL when ready; stop with SIGINT or SIGTERM)',
    ),
  )
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port to listen on (0: any free port)', '0')
    .option('--reply <json>', 'the reply to every allowed request (default: an echo of the request)')
    .option('--session-ttl <duration>', 'how long a session lasts after the handshake', '1h')
    .action(
      run(
        async (
          opts: PeerOptions & {
            host: string
            port: string
            reply?: string
            sessionTtl: string
            json?: boolean
          },
        ) => {
          const { InputError, parseDuration } = await import('@tessera/core')
          const port = Number(opts.port)
          if (!Number.isInteger(port) || port < 0 || port > 65_535) {
            throw new InputError('ERR_USAGE', `--port must be 0 to 65535, got ${JSON.stringify(opts.port)}`)
          }
          const fixed = opts.reply === undefined ? undefined : parseJsonOption(opts.reply, '--reply')
          const sessionTtlSec = parseDuration(opts.sessionTtl, '--session-ttl')
          const { loadTrustBundle } = await import('@tessera/policy')
          const trust = await loadTrustBundle(opts.trust)
          return withHome(opts, async (home): Promise<CommandResult> => {
            const messaging = await import('@tessera/messaging')
            const counts = { handshakes: 0, refused: 0, allowed: 0, denied: 0 }
            const endpoint = await agentEndpoint(home, trust, opts, { fixed, sessionTtlSec, counts })
            const server = await messaging.listenInbox({
              handler: messaging.createInboxHandler(endpoint),
              host: opts.host,
              port,
            })
            process.stdout.write(
              opts.json ? `${JSON.stringify({ url: server.url, agent: opts.agent })}\n` : `${server.url}\n`,
            )
            await untilStopped()
            await server.close()
            return {
              json: { url: server.url, agent: opts.agent, stopped: true, ...counts },
              human: `stopped ${server.url}: ${counts.handshakes} handshakes accepted, ${counts.refused} refused, ${counts.allowed} requests allowed, ${counts.denied} denied`,
            }
          })
        },
      ),
    )
}
