import type { Command } from 'commander'
import type { CommandResult } from './output.js'

/** A command handler: commander passes its arguments, then the option bag. */
export type Handler = (...args: never[]) => Promise<CommandResult>

/** Wraps a handler: prints the result or the error and sets the exit code. */
export type Action = (handler: Handler) => (...args: unknown[]) => Promise<void>

/** Declare the options every leaf command takes. */
export function leaf(command: Command, description: string): Command {
  return command
    .description(description)
    .option('--home <dir>', 'organisation home (default: $TESSERA_HOME or ./.tessera)')
    .option('--json', 'print exactly one JSON value on stdout')
}
