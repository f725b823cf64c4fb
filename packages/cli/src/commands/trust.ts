import { existsSync } from 'node:fs'
import type { TrustBundle } from '@tessera/policy'
import type { Command } from 'commander'
import { collect } from '../context.js'
import type { CommandResult } from '../output.js'
import { type Action, leaf } from '../program-util.js'

function describeBundle(bundle: TrustBundle, hash: string): string {
  const lines = [`trust bundle sha256:${hash}`]
  for (const name of Object.keys(bundle.organisations).sort()) {
    const org = bundle.organisations[name]
    if (!org) continue
    lines.push(`\n${name}`)
    for (const issuer of org.issuers) lines.push(`  issuer ${issuer}`)
    for (const role of Object.keys(org.roles).sort()) {
      lines.push(`  role ${role}: ${org.roles[role]?.ceiling.join(' ')}`)
    }
  }
  return lines.join('\n')
}

export function registerTrust(program: Command, run: Action): void {
  const trust = program
    .command('trust')
    .description("Edit a verifier's trust bundle (which issuer may grant which role)")

  leaf(trust.command('add'), 'Trust an issuer of an organisation for a role, with a permission ceiling')
    .requiredOption('--file <path>', 'the trust bundle JSON file (created if missing)')
    .requiredOption('--org <name>', 'organisation name')
    .requiredOption('--issuer <did>', "the organisation's issuer DID")
    .option('--role <role>', 'a role this organisation may grant')
    .option('--permission <ACTION:RESOURCE>', 'the ceiling for the role (repeatable)', collect)
    .action(
      run(
        async (opts: { file: string; org: string; issuer: string; role?: string; permission?: string[] }) => {
          const policy = await import('@tessera/policy')
          const bundle = existsSync(opts.file)
            ? await policy.loadTrustBundle(opts.file)
            : policy.emptyTrustBundle()
          const updated = policy.addTrust(bundle, {
            org: opts.org,
            issuer: opts.issuer,
            ...(opts.role === undefined ? {} : { role: opts.role }),
            ...(opts.permission === undefined ? {} : { permissions: opts.permission }),
          })
          await policy.saveTrustBundle(opts.file, updated)
          const hash = policy.trustBundleHash(updated)
          return { json: { file: opts.file, hash, bundle: updated }, human: describeBundle(updated, hash) }
        },
      ),
    )

  leaf(trust.command('remove'), 'Stop trusting an organisation, one of its issuers, or one of its roles')
    .requiredOption('--file <path>', 'the trust bundle JSON file')
    .requiredOption('--org <name>', 'organisation name')
    .option('--issuer <did>', 'remove only this issuer')
    .option('--role <role>', 'remove only this role')
    .action(
      run(async (opts: { file: string; org: string; issuer?: string; role?: string }) => {
        const policy = await import('@tessera/policy')
        const updated = policy.removeTrust(await policy.loadTrustBundle(opts.file), {
          org: opts.org,
          ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }),
          ...(opts.role === undefined ? {} : { role: opts.role }),
        })
        await policy.saveTrustBundle(opts.file, updated)
        const hash = policy.trustBundleHash(updated)
        return { json: { file: opts.file, hash, bundle: updated }, human: describeBundle(updated, hash) }
      }),
    )

  leaf(trust.command('show'), 'Print a trust bundle and its hash')
    .requiredOption('--file <path>', 'the trust bundle JSON file')
    .action(
      run(async (opts: { file: string }): Promise<CommandResult> => {
        const policy = await import('@tessera/policy')
        const bundle = await policy.loadTrustBundle(opts.file)
        const hash = policy.trustBundleHash(bundle)
        return { json: { file: opts.file, hash, bundle }, human: describeBundle(bundle, hash) }
      }),
    )
}
