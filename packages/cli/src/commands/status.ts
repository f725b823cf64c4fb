import { parseDuration } from '@tessera/core'
import type { Command } from 'commander'
import { withHome } from '../context.js'
import { type CommandResult, table } from '../output.js'
import { type Action, leaf } from '../program-util.js'

type StatusState = {
  credentialId: string
  revoked: boolean
  suspended: boolean
  suspendedBy: string[]
  listNumber: number
  index: number
}

const describeState = (s: StatusState) =>
  [
    `credential: ${s.credentialId}`,
    `revoked:    ${s.revoked ? 'yes (final)' : 'no'}`,
    `suspended:  ${s.suspended ? `yes (by ${s.suspendedBy.join(', ')})` : 'no'}`,
    `list:       ${s.listNumber}, index ${s.index}`,
  ].join('\n')

export function registerStatus(program: Command, run: Action): void {
  const status = program
    .command('status')
    .description('Revoke, suspend and publish Bitstring Status Lists (issuer side)')

  for (const [action, description] of [
    ['revoke', 'Revoke a credential (final)'],
    ['suspend', 'Suspend a credential'],
    ['reinstate', 'Lift the suspension of a credential (a revoked one stays revoked)'],
  ] as const) {
    leaf(status.command(action), description)
      .requiredOption('--credential <id>', 'the credential id (urn:uuid:...)')
      .action(
        run(
          async (opts: { credential: string; home?: string }): Promise<CommandResult> =>
            withHome(opts, async (home) => {
              const { setCredentialStatus } = await import('@tessera/status')
              const state = await setCredentialStatus(home, { credentialId: opts.credential, action })
              return {
                json: state,
                human: `${describeState(state)}${state.changed ? '' : '\n(unchanged)'}\npublish the lists for verifiers to see it: tessera status publish --out DIR`,
              }
            }),
        ),
      )
  }

  leaf(status.command('show'), "Show a credential's status")
    .requiredOption('--credential <id>', 'the credential id')
    .action(
      run(async (opts: { credential: string; home?: string }) =>
        withHome(opts, async (home) => {
          const { getCredentialStatus } = await import('@tessera/status')
          const state = await getCredentialStatus(home.dataSource, opts.credential)
          return { json: state, human: describeState(state) }
        }),
      ),
    )

  leaf(status.command('publish'), 'Write one signed BitstringStatusListCredential per list and purpose')
    .requiredOption('--out <dir>', 'folder to write the list credentials to (files named after their ids)')
    .option('--base-url <url>', 'the https URL the lists are served from (fixed once credentials carry it)')
    .option('--valid-for <duration>', 'validity of each list credential', '1d')
    .option('--ttl <duration>', 'how long verifiers may cache a list', '5m')
    .option('--force', 're-sign every list even if unchanged')
    .action(
      run(
        async (opts: {
          out: string
          baseUrl?: string
          validFor: string
          ttl: string
          force?: boolean
          home?: string
        }): Promise<CommandResult> => {
          const validForSec = parseDuration(opts.validFor, '--valid-for')
          const ttlMs = parseDuration(opts.ttl, '--ttl') * 1000
          return withHome(opts, async (home) => {
            const statusPkg = await import('@tessera/status')
            const { signCredentialJwt, veramoSigner } = await import('@tessera/credentials')
            const { writeHomeConfig } = await import('@tessera/identity')
            const { InputError } = await import('@tessera/core')
            let baseUrl = statusPkg.statusBaseUrl(home)
            if (opts.baseUrl !== undefined) {
              const wanted = statusPkg.validateStatusBaseUrl(opts.baseUrl)
              if (wanted !== baseUrl) {
                const [row] = (await home.dataSource.query(
                  `SELECT count(*) AS n FROM "tessera_status_entry"`,
                )) as {
                  n: number
                }[]
                if ((row?.n ?? 0) > 0) {
                  throw new InputError(
                    'ERR_INPUT_INVALID',
                    `credentials already point to status lists at ${baseUrl}; the base URL cannot change (got ${wanted})`,
                  )
                }
                home.config.settings = { ...home.config.settings, statusBaseUrl: wanted }
                writeHomeConfig(home.dir, home.config)
                baseUrl = wanted
              }
            }
            const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
            const lists = await statusPkg.publishHomeStatusLists(home, {
              outDir: opts.out,
              validForSec,
              ttlMs,
              force: opts.force === true,
              signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
            })
            return {
              json: { baseUrl, out: opts.out, lists },
              human: table(
                ['LIST', 'VERSION', 'SIGNED', 'VALID UNTIL', 'FILE'],
                lists.map((l) => [
                  l.id,
                  String(l.version),
                  l.resigned ? 'new' : 'unchanged',
                  l.validUntil,
                  l.file ?? '-',
                ]),
              ),
            }
          })
        },
      ),
    )
}
