import type { Command } from 'commander'
import { allMigrations, homeDir, withHome } from '../context.js'
import type { CommandResult } from '../output.js'
import { type Action, leaf } from '../program-util.js'

export function registerInit(program: Command, run: Action): void {
  leaf(program.command('init'), 'Create an organisation home with its did:key')
    .requiredOption('--org <name>', 'organisation name')
    .action(
      run(async (opts: { org: string; home?: string }): Promise<CommandResult> => {
        const { initHome } = await import('@tessera/identity')
        const dir = await homeDir(opts)
        const org = await initHome({ dir, org: opts.org, migrations: await allMigrations() })
        return {
          json: { home: dir, org },
          human: `Created home ${dir}\norganisation: ${org.name}\ndid:          ${org.did}`,
        }
      }),
    )

  const org = program.command('org').description('The organisation of this home')
  leaf(org.command('show'), "Show this home's organisation and its issuer DID").action(
    run(
      async (opts: { home?: string }): Promise<CommandResult> =>
        withHome(opts, async (home) => ({
          json: { home: home.dir, org: home.org },
          human: `organisation: ${home.org.name}\ndid:          ${home.org.did}\nhome:         ${home.dir}`,
        })),
    ),
  )
}
