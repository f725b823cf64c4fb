/**
 * JSON Lines export of the log: one line per entry as stored (RFC 8785 canonical JSON, with its `leafHash`),
 * then one line with the organisation's checkpoint for exactly those entries. Anyone can re-verify an export
 * with the file and the organisation's DID alone.
 */
import { type ErrorCode, TesseraError } from '@tessera/core'
import { getOwn, isJsonObject, parseJsonCapped } from '@tessera/credentials'
import type { Home } from '@tessera/identity'
import { type CheckpointPayload, verifyCheckpoint } from './checkpoint.js'
import { AUDIT_LIMITS, parseAuditEntry } from './entry.js'
import { createCheckpoint, type EntryRow, readRows } from './store.js'
import { type KeptCheckpoint, type LogVerification, LogVerifier } from './verify.js'

/** Longest export line accepted, in characters. */
export const MAX_EXPORT_LINE_LENGTH = AUDIT_LIMITS.maxEntryLength

/** One entry line: the stored columns under their entry names, members in RFC 8785 order. */
function entryLine(row: EntryRow): string {
  const subject = row.subject === null ? '' : `,"subject":${JSON.stringify(row.subject)}`
  return (
    `{"actor":${JSON.stringify(row.actor)},"data":${row.data},"leafHash":${JSON.stringify(row.leaf_hash)}` +
    `,"prevHash":${JSON.stringify(row.prev_hash)},"seq":${row.seq}${subject}` +
    `,"time":${JSON.stringify(row.time)},"type":${JSON.stringify(row.type)}}`
  )
}

/**
 * Export the log as JSON Lines (each string is one line, without its newline): entries 1..size as stored,
 * then `{"checkpoint":"<compact JWS>"}` for that size (the stored one, or one signed now). The export is
 * lossless: every column of every entry. Never call it inside `home.transaction`.
 *
 * @param options.size - Export the first `size` entries (default: all).
 * @throws as `createCheckpoint` (`ERR_AUDIT_TAMPERED` when the entries since the last checkpoint do not verify).
 */
export async function* exportAudit(
  home: Home,
  options: { size?: number | undefined } = {},
): AsyncGenerator<string, void, undefined> {
  const { token, payload } = await createCheckpoint(home, { size: options.size })
  for await (const row of readRows(home, 0, payload.size)) yield entryLine(row)
  yield JSON.stringify({ checkpoint: token })
}

/** What {@link verifyExport} found. */
export interface ExportVerification extends LogVerification {
  /** The export's checkpoint, once its signature verified. */
  checkpoint?: CheckpointPayload
  /**
   * Why `ok` is false: `ERR_AUDIT_TAMPERED` (with `firstBad`), `ERR_AUDIT_CHECKPOINT_INVALID`,
   * `ERR_AUDIT_MALFORMED` or `ERR_SIZE_LIMIT` (with the line number in the message).
   */
  error?: { code: ErrorCode; message: string }
}

class ExportFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Verify an export from its lines alone: every entry (hash, chain, seqs) in one pass, the checkpoint's
 * signature with `orgDid`'s did:key, and the tree of the entries against the checkpoint (same size, same
 * root). Checkpoints the verifier kept from earlier are checked too, so a truncated or rewritten export of a
 * log the verifier saw before fails. Empty lines are skipped; `\r\n` line ends are accepted.
 *
 * @param lines - The lines, e.g. `readline.createInterface({ input: createReadStream(file) })`.
 * @throws IdentityError `ERR_DID_INVALID` when `orgDid` is not a did:key (the caller's input).
 */
export async function verifyExport(
  lines: Iterable<string> | AsyncIterable<string>,
  options: {
    orgDid: string
    checkpoint?: string | KeptCheckpoint | readonly (string | KeptCheckpoint)[] | undefined
  },
): Promise<ExportVerification> {
  const given =
    options.checkpoint === undefined ? [] : ([] as (string | KeptCheckpoint)[]).concat(options.checkpoint)
  const kept = given.map((c) => (typeof c === 'string' ? verifyCheckpoint(c, { orgDid: options.orgDid }) : c))
  const verifier = new LogVerifier({ checkpoint: kept })
  let token: string | undefined
  let lineNumber = 0
  try {
    for await (const raw of lines) {
      lineNumber++
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      if (line.length === 0) continue
      if (token !== undefined)
        throw new ExportFailure('ERR_AUDIT_MALFORMED', `line ${lineNumber} follows the checkpoint line`)
      let value: unknown
      try {
        value = parseJsonCapped(line, {
          maxLength: MAX_EXPORT_LINE_LENGTH,
          maxDepth: AUDIT_LIMITS.maxDataDepth + 1,
        })
      } catch (err) {
        if (err instanceof TesseraError && err.code === 'ERR_SIZE_LIMIT') {
          throw new ExportFailure(err.code, `line ${lineNumber}: ${err.message}`)
        }
        throw new ExportFailure('ERR_AUDIT_MALFORMED', `line ${lineNumber} is not JSON`)
      }
      if (isJsonObject(value) && Object.hasOwn(value, 'checkpoint')) {
        const checkpoint = getOwn(value, 'checkpoint')
        if (typeof checkpoint !== 'string' || Object.keys(value).length !== 1) {
          throw new ExportFailure(
            'ERR_AUDIT_MALFORMED',
            `line ${lineNumber}: a checkpoint line is {"checkpoint": "<JWS>"}`,
          )
        }
        token = checkpoint
        continue
      }
      if (verifier.done) continue // the outcome is known; read on only to reach the checkpoint line
      try {
        verifier.add(parseAuditEntry(value, `line ${lineNumber}`))
      } catch (err) {
        if (err instanceof TesseraError) throw new ExportFailure(err.code, err.message)
        throw err
      }
    }
  } catch (err) {
    if (!(err instanceof ExportFailure)) throw err
    return { ...verifier.result(), ok: false, error: { code: err.code, message: err.message } }
  }

  const result: ExportVerification = verifier.result()
  if (token === undefined) {
    return tampered(
      result,
      { seq: result.size + 1, reason: 'truncated' },
      'the export has no checkpoint line: it is truncated',
    )
  }
  try {
    result.checkpoint = verifyCheckpoint(token, { orgDid: options.orgDid })
  } catch (err) {
    if (!(err instanceof TesseraError) || err.code !== 'ERR_AUDIT_CHECKPOINT_INVALID') throw err
    return { ...result, ok: false, error: { code: err.code, message: err.message } }
  }
  if (result.firstBad !== undefined) return tampered(result, result.firstBad)
  const { size, root } = result.checkpoint
  if (result.size < size) {
    return tampered(
      result,
      { seq: result.size + 1, reason: 'truncated' },
      `the export ends at entry ${result.size}; its checkpoint has ${size}`,
    )
  }
  if (result.size > size || result.root !== root) {
    return tampered(
      result,
      { seq: size, reason: 'checkpoint-mismatch' },
      result.size > size
        ? `the export has ${result.size} entries; its checkpoint has ${size}`
        : `the entries' tree hash is not the checkpoint's root`,
    )
  }
  return result
}

function tampered(
  result: ExportVerification,
  firstBad: NonNullable<LogVerification['firstBad']>,
  message = `the export does not verify at entry ${firstBad.seq} (${firstBad.reason})`,
): ExportVerification {
  return { ...result, ok: false, firstBad, error: { code: 'ERR_AUDIT_TAMPERED', message } }
}
