import { InputError } from '@tessera/core'
import type { Command } from 'commander'
import { readInputFile, withHome, writeOutputFile } from '../context.js'
import { type CommandResult, EXIT, table } from '../output.js'
import { type Action, leaf } from '../program-util.js'

/** An integer option (`--entry 5`), at least `min`. */
function intOption(value: string | undefined, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined
  const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${option}" must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

/** Kept checkpoints given on the command line: files holding a checkpoint JWS (as `audit checkpoint --out` writes). */
function readCheckpoints(files: string[] | undefined): string[] {
  return (files ?? []).map((file) => {
    const text = readInputFile(file, '--checkpoint')
    try {
      const parsed = JSON.parse(text) as { checkpoint?: unknown; token?: unknown }
      if (typeof parsed.checkpoint === 'string') return parsed.checkpoint
      if (typeof parsed.token === 'string') return parsed.token
    } catch {
      // a bare JWS
    }
    return text
  })
}

const collectFiles = (value: string, previous: string[] = []) => [...previous, value]

export function registerAudit(program: Command, run: Action): void {
  const audit = program
    .command('audit')
    .description('The tamper-evident audit log (RFC 9162 Merkle tree, signed checkpoints)')

  leaf(audit.command('list'), 'List audit entries')
    .option('--since <seq>', 'entries from this sequence number on')
    .option('--actor <did>', 'only entries by this actor')
    .option('--type <type>', 'only entries of this type (e.g. access.denied)')
    .option('--limit <n>', 'at most this many entries', '100')
    .action(
      run(async (opts: { since?: string; actor?: string; type?: string; limit: string; home?: string }) => {
        const since = intOption(opts.since, '--since')
        const limit = intOption(opts.limit, '--limit')
        return withHome(opts, async (home) => {
          const { listAudit, isAuditEventType } = await import('@tessera/audit')
          if (opts.type !== undefined && !isAuditEventType(opts.type)) {
            throw new InputError(
              'ERR_INPUT_INVALID',
              `"--type" is not an audit event type: ${JSON.stringify(opts.type)}`,
            )
          }
          const entries = await listAudit(home, {
            ...(since === undefined ? {} : { afterSeq: since - 1 }),
            ...(opts.actor === undefined ? {} : { actor: opts.actor }),
            ...(opts.type === undefined ? {} : { type: opts.type as never }),
            limit,
          })
          return {
            json: entries,
            human: table(
              ['SEQ', 'TIME', 'TYPE', 'SUBJECT', 'DATA'],
              entries.map((e) => [
                String(e.seq),
                e.time,
                e.type,
                e.subject ?? '-',
                JSON.stringify(e.data).slice(0, 80),
              ]),
            ),
          }
        })
      }),
    )

  leaf(
    audit.command('verify'),
    'Verify the whole log (hashes, chain, tree) against stored and kept checkpoints',
  )
    .option(
      '--checkpoint <file>',
      'a checkpoint you kept (repeatable): detects truncation and rewritten history',
      collectFiles,
    )
    .action(
      run(async (opts: { checkpoint?: string[]; home?: string }): Promise<CommandResult> => {
        const kept = readCheckpoints(opts.checkpoint)
        return withHome(opts, async (home) => {
          const { verifyAudit } = await import('@tessera/audit')
          const result = await verifyAudit(home, { checkpoint: kept })
          const bad = result.firstBad
          return {
            json: result,
            human: result.ok
              ? `INTACT  ${result.size} entries, root ${result.root}, checked against ${result.checkpoints} checkpoint(s)`
              : `TAMPERED  ${result.error?.message ?? ''}${bad ? `\nfirst bad entry: seq ${bad.seq} (${bad.reason})` : ''}`,
            exitCode: result.ok ? EXIT.ok : EXIT.negative,
          }
        })
      }),
    )

  leaf(
    audit.command('checkpoint'),
    "Sign a checkpoint (tree size, root hash, time) with the organisation's did:key",
  )
    .option('--out <file>', 'write the checkpoint (compact JWS) to this file')
    .action(
      run(async (opts: { out?: string; home?: string }) =>
        withHome(opts, async (home) => {
          const { createCheckpoint } = await import('@tessera/audit')
          const checkpoint = await createCheckpoint(home)
          if (opts.out) writeOutputFile(opts.out, checkpoint.token)
          return {
            json: { ...checkpoint, orgDid: home.org.did, ...(opts.out ? { out: opts.out } : {}) },
            human: `size ${checkpoint.payload.size}, root ${checkpoint.payload.root}\n${opts.out ? `written to ${opts.out}` : checkpoint.token}`,
          }
        }),
      ),
    )

  leaf(
    audit.command('prove'),
    'An inclusion proof: entry N is in the tree of size S (default: the whole log)',
  )
    .requiredOption('--entry <seq>', 'the entry')
    .option('--size <size>', 'the tree size')
    .option('--out <file>', 'write the proof file here')
    .action(
      run(async (opts: { entry: string; size?: string; out?: string; home?: string }) => {
        const seq = intOption(opts.entry, '--entry') as number
        const size = intOption(opts.size, '--size')
        return withHome(opts, async (home) => {
          const { proveInclusion } = await import('@tessera/audit')
          const proof = await proveInclusion(home, { seq, size })
          if (opts.out) writeOutputFile(opts.out, JSON.stringify(proof, null, 2))
          return {
            json: proof,
            human: opts.out ? `inclusion proof written to ${opts.out}` : JSON.stringify(proof, null, 2),
          }
        })
      }),
    )

  leaf(
    audit.command('prove-consistency'),
    'A consistency proof: the tree of size S1 is a prefix of the tree of size S2',
  )
    .requiredOption('--from <size>', 'the older tree size')
    .option('--to <size>', 'the newer tree size (default: the whole log)')
    .option('--out <file>', 'write the proof file here')
    .action(
      run(async (opts: { from: string; to?: string; out?: string; home?: string }) => {
        const from = intOption(opts.from, '--from', 0) as number
        const to = intOption(opts.to, '--to', 0)
        return withHome(opts, async (home) => {
          const { proveConsistency } = await import('@tessera/audit')
          const proof = await proveConsistency(home, { from, to })
          if (opts.out) writeOutputFile(opts.out, JSON.stringify(proof, null, 2))
          return {
            json: proof,
            human: opts.out ? `consistency proof written to ${opts.out}` : JSON.stringify(proof, null, 2),
          }
        })
      }),
    )

  leaf(audit.command('verify-proof'), "Verify a proof file with only the organisation's DID (no database)")
    .requiredOption('--proof <file>', 'the proof file')
    .requiredOption('--org <did>', "the organisation's DID")
    .option('--checkpoint <file>', 'a checkpoint you kept (repeatable)', collectFiles)
    .action(
      run(async (opts: { proof: string; org: string; checkpoint?: string[] }): Promise<CommandResult> => {
        const { verifyProofFile, verifyCheckpoint } = await import('@tessera/audit')
        const kept = readCheckpoints(opts.checkpoint).map((token) =>
          verifyCheckpoint(token, { orgDid: opts.org }),
        )
        const result = verifyProofFile(readInputFile(opts.proof, '--proof'), {
          orgDid: opts.org,
          checkpoint: kept,
        })
        return {
          json: result,
          human: result.ok ? `VALID  ${JSON.stringify(result)}` : `INVALID  ${JSON.stringify(result)}`,
          exitCode: result.ok ? EXIT.ok : EXIT.negative,
        }
      }),
    )

  leaf(
    audit.command('export'),
    'Export the log as JSON lines (entries, then a signed checkpoint): re-verifiable alone',
  )
    .option('--format <format>', 'jsonl (the only format)', 'jsonl')
    .option('--out <file>', 'write the export here')
    .action(
      run(async (opts: { format: string; out?: string; home?: string }) => {
        if (opts.format !== 'jsonl') {
          throw new InputError(
            'ERR_INPUT_INVALID',
            `"--format" must be jsonl, got ${JSON.stringify(opts.format)}`,
          )
        }
        return withHome(opts, async (home) => {
          const { exportAudit } = await import('@tessera/audit')
          const lines: string[] = []
          for await (const line of exportAudit(home)) lines.push(line)
          const text = `${lines.join('\n')}\n`
          if (opts.out) writeOutputFile(opts.out, text)
          return {
            json: {
              lines: lines.length,
              orgDid: home.org.did,
              ...(opts.out ? { out: opts.out } : { export: lines }),
            },
            human: opts.out ? `${lines.length - 1} entries and a checkpoint written to ${opts.out}` : text,
          }
        })
      }),
    )

  leaf(audit.command('verify-export'), "Re-verify an export with only the organisation's DID (no database)")
    .requiredOption('--file <file>', 'the export (jsonl)')
    .requiredOption('--org <did>', "the organisation's DID")
    .option('--checkpoint <file>', 'a checkpoint you kept (repeatable)', collectFiles)
    .action(
      run(async (opts: { file: string; org: string; checkpoint?: string[] }): Promise<CommandResult> => {
        const { verifyExport } = await import('@tessera/audit')
        const { readFileSync } = await import('node:fs')
        const lines = readFileSync(opts.file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
        const result = await verifyExport(lines, {
          orgDid: opts.org,
          checkpoint: readCheckpoints(opts.checkpoint),
        })
        const bad = result.firstBad
        return {
          json: result,
          human: result.ok
            ? `INTACT  ${result.size} entries, root ${result.root}`
            : `TAMPERED${bad ? `  first bad entry: seq ${bad.seq} (${bad.reason})` : ''}`,
          exitCode: result.ok ? EXIT.ok : EXIT.negative,
        }
      }),
    )
}
