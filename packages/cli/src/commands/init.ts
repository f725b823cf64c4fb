import { initHome } from '@tessera/identity'
import type { Command } from 'commander'
import { homeDir } from '../context.js'
import type { CommandResult } from '../output.js'
import { type Action, leaf } from '../program-util.js'

export function registerInit(program: Command, run: Action): void {
  leaf(program.command('init'), 'Create an organisation home with its did:key')
    .requiredOption('--org <name>', 'organisation name')
    .action(
      run(async (opts: { org: string; home?: string }): Promise<CommandResult> => {
        const dir = homeDir(opts)
        const org = await initHome({ dir, org: opts.org })
        return {
          json: { home: dir, org },
          human: `Created home ${dir}\norganisation: ${org.name}\ndid:          ${org.did}`,
        }
      }),
    )
}
