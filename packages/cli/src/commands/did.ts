import { resolveDidKey } from '@tessera/identity/did-key'
import type { Command } from 'commander'
import type { CommandResult } from '../output.js'
import { type Action, leaf } from '../program-util.js'

export function registerDid(program: Command, run: Action): void {
  const did = program.command('did').description('Work with DIDs')
  leaf(
    did.command('resolve').argument('<did>', 'a did:key'),
    'Resolve a did:key offline and print its DID document',
  ).action(
    run(async (value: string): Promise<CommandResult> => {
      const document = resolveDidKey(value)
      return { json: document, human: JSON.stringify(document, null, 2) }
    }),
  )
}
