import type { AgentProfile } from '@tessera/identity'
import type { Command } from 'commander'
import { parseJsonOption, withHome } from '../context.js'
import { type CommandResult, table } from '../output.js'
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
}
