import { parseDuration } from '@tessera/core'
import type { Decision } from '@tessera/credentials/offline'
import type { Command } from 'commander'
import { collect, readInputFile, statusSourcesFor, withHome, writeOutputFile } from '../context.js'
import { type CommandResult, EXIT } from '../output.js'
import { type Action, leaf } from '../program-util.js'

/** Human rendering of a Decision: the verdict first, then why. */
export function describeDecision(decision: Decision): string {
  const request = decision.request ? `${decision.request.action}:${decision.request.resource}` : undefined
  const verdict =
    request === undefined
      ? decision.verified
        ? 'VERIFIED'
        : 'NOT VERIFIED'
      : decision.allowed
        ? `ALLOWED  ${request}`
        : `DENIED   ${request}`
  const lines = [verdict]
  if (decision.holder) lines.push(`holder:     ${decision.holder}`)
  for (const c of decision.credentials) {
    lines.push(
      `credential: ${c.id ?? '(no id)'} role ${c.role} from ${c.org ?? '?'} (${c.issuer}), valid until ${c.validUntil ?? '-'}`,
    )
    lines.push(
      `            effective: ${c.effective.map((p) => `${p.action}:${p.resource}`).join(' ') || '(none)'}`,
    )
  }
  if (decision.grantedBy) {
    const p = decision.grantedBy.permission
    lines.push(`granted by: ${decision.grantedBy.credentialId ?? '(no id)'} via ${p.action}:${p.resource}`)
  }
  const failed = decision.checks.filter((c) => !c.ok).length
  lines.push(`checks:     ${decision.checks.length} run, ${failed} failed`)
  if (decision.errors.length > 0) {
    lines.push('reasons:')
    for (const e of decision.errors) lines.push(`  ${e.code}  ${e.message}`)
  }
  return lines.join('\n')
}

/**
 * The status checker for `verify`: a cache over the given folders and URL mappings, or none (then a credential
 * with a status entry fails closed with ERR_STATUS_UNCHECKABLE). With the verifier's home (`db`), the lists it
 * verified are kept there: a list saved by an earlier run is used offline until `--max-staleness` after it was
 * fetched, and a newer list never clears a revocation the saved one holds (createPersistentStatusCache).
 */
async function statusCheckerFor(options: {
  trust: import('@tessera/policy').TrustBundle
  dirs: string[]
  urlMap: string[]
  maxStalenessMs: number
  db?: import('@tessera/status').StatusDb
}) {
  const status = await import('@tessera/status')
  const { db } = options
  const noSources = options.dirs.length === 0 && options.urlMap.length === 0
  if (noSources && (db === undefined || !(await status.hasSavedStatusLists(db)))) return undefined
  const { createPersistentStatusCache, createStatusCache, statusChecker } = status
  const sources = await statusSourcesFor({ dirs: options.dirs, urlMap: options.urlMap })
  const cacheOptions = { sources, trust: options.trust, maxStalenessMs: options.maxStalenessMs }
  return statusChecker(
    db === undefined ? createStatusCache(cacheOptions) : createPersistentStatusCache({ ...cacheOptions, db }),
  )
}

/** Record a verifier decision in the home's audit log: hashes and ids, never the presentation itself. */
async function recordDecision(
  home: import('@tessera/identity').Home,
  decision: Decision,
  presentation: string,
  trustBundleHash: string,
): Promise<void> {
  const { appendAudit, decisionAuditEntry } = await import('@tessera/audit')
  const statusListVersions: Record<string, string> = {}
  for (const check of decision.checks) {
    const listId = check.details?.listId
    const version = check.details?.versionHash
    if (typeof listId === 'string' && typeof version === 'string') statusListVersions[listId] = version
  }
  await home.transaction(() =>
    appendAudit(home, [
      decisionAuditEntry({
        decision,
        actor: home.org.did,
        presentation,
        trustBundleHash,
        statusListVersions,
      }),
    ]),
  )
}

export function registerExchange(program: Command, run: Action): void {
  leaf(program.command('challenge'), 'Issue a single-use challenge bound to a domain (verifier side)')
    .requiredOption('--domain <domain>', "the verifier's domain the presentation must be bound to")
    .option('--ttl <duration>', 'how long the challenge is valid, e.g. 5m', '5m')
    .action(
      run(async (opts: { domain: string; ttl: string; home?: string }): Promise<CommandResult> => {
        const ttlSec = parseDuration(opts.ttl, '--ttl')
        return withHome(opts, async (home) => {
          const { createChallenge } = await import('@tessera/credentials')
          const challenge = await createChallenge(home, { domain: opts.domain, ttlSec })
          return {
            json: challenge,
            human: `challenge: ${challenge.challenge}\ndomain:    ${challenge.domain}\nexpires:   ${challenge.expiresAt}`,
          }
        })
      }),
    )

  leaf(program.command('present'), "Answer a verifier's challenge with a vp+jwt presentation (agent side)")
    .requiredOption('--agent <did>', 'the presenting agent (holder)')
    .requiredOption('--credential <file>', 'a vc+jwt credential file (repeatable)', collect)
    .requiredOption('--challenge <challenge>', "the verifier's challenge")
    .requiredOption('--domain <domain>', "the verifier's domain")
    .option('--out <file>', 'write the presentation to this file')
    .action(
      run(
        async (opts: {
          agent: string
          credential: string[]
          challenge: string
          domain: string
          out?: string
          home?: string
        }): Promise<CommandResult> => {
          const credentials = opts.credential.map((file) => readInputFile(file, '--credential'))
          return withHome(opts, async (home) => {
            const { createPresentation } = await import('@tessera/credentials')
            const presentation = await createPresentation(home, {
              holder: opts.agent,
              credentials,
              challenge: opts.challenge,
              domain: opts.domain,
            })
            if (opts.out) writeOutputFile(opts.out, presentation)
            return {
              json: { presentation, ...(opts.out ? { out: opts.out } : {}) },
              human: opts.out ? `presentation written to ${opts.out}` : presentation,
            }
          })
        },
      ),
    )

  leaf(
    program.command('verify'),
    'Verify a presentation offline against a trust bundle, and decide (verifier side)',
  )
    .requiredOption('--presentation <file>', 'the vp+jwt presentation file')
    .requiredOption('--domain <domain>', "this verifier's domain")
    .requiredOption('--trust <file>', 'the trust bundle JSON file')
    .option('--challenge <challenge>', 'the challenge this home issued (redeemed once)')
    .option('--status-dir <dir>', 'a folder of published status list credentials (repeatable)', collect)
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
    .option('--no-audit', "do not record the decision in the home's audit log (then no home is needed)")
    .option('--action <action>', 'the action asked for')
    .option('--resource <resource>', 'the resource asked for')
    .action(
      run(
        async (opts: {
          presentation: string
          domain: string
          trust: string
          challenge?: string
          action?: string
          resource?: string
          statusDir?: string[]
          statusUrlMap?: string[]
          maxStaleness: string
          audit: boolean
          home?: string
        }): Promise<CommandResult> => {
          const { InputError } = await import('@tessera/core')
          const maxStalenessMs = parseDuration(opts.maxStaleness, '--max-staleness') * 1000
          if ((opts.action === undefined) !== (opts.resource === undefined)) {
            throw new InputError('ERR_USAGE', '--action and --resource go together')
          }
          const policy = await import('@tessera/policy')
          const { verifyPresentation } = await import('@tessera/credentials/offline')
          const presentation = readInputFile(opts.presentation, '--presentation')
          const trust = await policy.loadTrustBundle(opts.trust)
          const request =
            opts.action !== undefined && opts.resource !== undefined
              ? policy.validateRequest({ action: opts.action, resource: opts.resource })
              : undefined
          const decide = async (
            home?: import('@tessera/identity').Home,
            challenges?: import('@tessera/credentials').ChallengeStore,
          ) => {
            const status = await statusCheckerFor({
              trust,
              dirs: opts.statusDir ?? [],
              urlMap: opts.statusUrlMap ?? [],
              maxStalenessMs,
              ...(home ? { db: home.dataSource } : {}),
            })
            return verifyPresentation({
              presentation,
              domain: opts.domain,
              trust,
              ...(status ? { status } : {}),
              ...(request ? { request } : {}),
              ...(opts.challenge !== undefined ? { challenge: opts.challenge, challenges } : {}),
            })
          }
          const decision =
            opts.challenge === undefined && !opts.audit
              ? await decide()
              : await withHome(opts, async (home) => {
                  const made = await decide(
                    home,
                    opts.challenge === undefined
                      ? undefined
                      : (await import('@tessera/credentials')).homeChallengeStore(home),
                  )
                  if (opts.audit)
                    await recordDecision(home, made, presentation, policy.trustBundleHash(trust))
                  return made
                })
          const positive = request ? decision.allowed === true : decision.verified
          return {
            json: decision,
            human: describeDecision(decision),
            exitCode: positive ? EXIT.ok : EXIT.negative,
          }
        },
      ),
    )
}
