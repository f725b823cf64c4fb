import { InputError } from '@tessera/core'
import { Command, CommanderError } from 'commander'
import { registerAgent } from './commands/agent.js'
import { registerAudit } from './commands/audit.js'
import { registerDid } from './commands/did.js'
import { registerExchange } from './commands/exchange.js'
import { registerInit } from './commands/init.js'
import { registerRole } from './commands/role.js'
import { registerServe } from './commands/serve.js'
import { registerStatus } from './commands/status.js'
import { registerTrust } from './commands/trust.js'
import { type CommandResult, EXIT, printError, printResult } from './output.js'
import type { Action } from './program-util.js'

/** Build the `tessera` command tree. `setExit` receives the exit code of the command that ran. */
export function buildProgram(setExit: (code: number) => void): Command {
  const run: Action =
    (handler) =>
    async (...args) => {
      const command = args[args.length - 1] as Command
      const json = Boolean(command.opts().json)
      try {
        setExit(
          printResult(
            await (handler as (...a: unknown[]) => Promise<CommandResult>)(...args.slice(0, -1)),
            json,
          ),
        )
      } catch (err) {
        setExit(printError(err, json))
      }
    }
  const program = new Command('tessera')
    .description('Verifiable identities and offline, cross-organisation authorization for AI agents')
    .version('0.1.0')
    .showSuggestionAfterError(true)
  registerInit(program, run)
  registerAgent(program, run)
  registerDid(program, run)
  registerRole(program, run)
  registerTrust(program, run)
  registerExchange(program, run)
  registerStatus(program, run)
  registerAudit(program, run)
  registerServe(program, run)
  return program
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  const json = argv.includes('--json')
  let usageMessage = ''
  const program = buildProgram((code) => {
    exitCode = code
  })
  const configure = (command: Command) => {
    command.exitOverride()
    command.configureOutput({
      writeErr: (text) => {
        usageMessage += text
      },
      outputError: (text) => {
        usageMessage += text
      },
    })
    for (const sub of command.commands) configure(sub)
  }
  configure(program)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
        return EXIT.ok
      }
      const message = (usageMessage || err.message).replace(/^error: /, '').trim()
      return printError(new InputError('ERR_USAGE', message), json)
    }
    return printError(err, json)
  }
  return exitCode
}
