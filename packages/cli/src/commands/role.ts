import { InputError, parseDuration } from '@tessera/core'
import type { IssuedCredential } from '@tessera/credentials'
import type { Command } from 'commander'
import { collect, withHome, writeOutputFile } from '../context.js'
import { type CommandResult, table } from '../output.js'
import { type Action, leaf } from '../program-util.js'

const describeIssued = (c: IssuedCredential) =>
  [
    `id:          ${c.id}`,
    `agent:       ${c.subject}`,
    `role:        ${c.role}`,
    `permissions: ${c.permissions.map((p) => `${p.action}:${p.resource}`).join(' ')}`,
    `valid:       ${c.validFrom} .. ${c.validUntil}`,
  ].join('\n')

function parseTime(text: string, option: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN
  if (Number.isNaN(ms)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${option}" must be an ISO 8601 date-time with a time zone, got ${JSON.stringify(text)}`,
    )
  }
  return new Date(ms)
}

export function registerRole(program: Command, run: Action): void {
  const role = program.command('role').description('Grant and list role credentials (issuer side)')

  leaf(role.command('grant'), 'Issue an AgentRoleCredential (VC 2.0, vc+jwt) to an active agent')
    .requiredOption('--agent <did>', 'the agent DID')
    .requiredOption('--role <role>', 'role name, e.g. support-agent')
    .requiredOption(
      '--permission <ACTION:RESOURCE>',
      'a permission (repeatable), e.g. read:tickets/*',
      collect,
    )
    .option('--valid-for <duration>', 'validity, e.g. 30d, 12h, 90s', '30d')
    .option('--valid-from <time>', 'start of validity, an ISO 8601 date-time (default: now)')
    .option('--out <file>', 'write the vc+jwt credential to this file')
    .action(
      run(
        async (opts: {
          agent: string
          role: string
          permission: string[]
          validFor: string
          validFrom?: string
          out?: string
          home?: string
        }): Promise<CommandResult> => {
          const { parsePermission } = await import('@tessera/policy')
          const permissions = opts.permission.map(parsePermission)
          const validForSec = parseDuration(opts.validFor, '--valid-for')
          const validFrom =
            opts.validFrom === undefined ? undefined : parseTime(opts.validFrom, '--valid-from')
          return withHome(opts, async (home) => {
            const { issueRoleCredential } = await import('@tessera/credentials')
            const issued = await issueRoleCredential(home, {
              agent: opts.agent,
              role: opts.role,
              permissions,
              validForSec,
              ...(validFrom ? { validFrom } : {}),
            })
            if (opts.out) writeOutputFile(opts.out, issued.jwt)
            return {
              json: { ...issued, ...(opts.out ? { out: opts.out } : {}) },
              human: `${describeIssued(issued)}${opts.out ? `\nwritten to:  ${opts.out}` : `\n\n${issued.jwt}`}`,
            }
          })
        },
      ),
    )

  leaf(role.command('list'), 'List the credentials this home issued')
    .option('--agent <did>', 'only credentials of this agent')
    .action(
      run(async (opts: { agent?: string; home?: string }) =>
        withHome(opts, async (home) => {
          const { listIssued } = await import('@tessera/credentials')
          const issued = await listIssued(home, { subject: opts.agent })
          return {
            json: issued.map(({ jwt: _jwt, ...rest }) => rest),
            human: table(
              ['ID', 'AGENT', 'ROLE', 'VALID UNTIL'],
              issued.map((c) => [c.id, c.subject, c.role, c.validUntil]),
            ),
          }
        }),
      ),
    )

  leaf(role.command('restrict'), 'Allow a role only for some agent types (repeat --type)')
    .requiredOption('--role <role>', 'role name')
    .requiredOption('--type <type>', 'an agent type allowed to hold the role (repeatable)', collect)
    .action(
      run(async (opts: { role: string; type: string[]; home?: string }) =>
        withHome(opts, async (home) => {
          const { allowRoleForType, allowedTypesForRole, validateRoleName } = await import(
            '@tessera/credentials'
          )
          const { validateAgentType } = await import('@tessera/identity')
          const roleName = validateRoleName(opts.role)
          const types = opts.type.map(validateAgentType)
          await home.transaction(async () => {
            for (const agentType of types) await allowRoleForType(home, { role: roleName, agentType })
          })
          const allowed = await allowedTypesForRole(home, roleName)
          return {
            json: { role: roleName, agentTypes: allowed },
            human: `role ${roleName} may be held by: ${allowed.join(', ')}`,
          }
        }),
      ),
    )
}
