/**
 * Self-contained proof files: an entry's inclusion in the log (RFC 9162 §2.1.3) or the log's append-only
 * growth between two sizes (§2.1.4), each with the organisation's signed checkpoint(s). A third party verifies
 * one with the file and the organisation's DID only: no database, no network.
 */
import { type ErrorCode, InputError, TesseraError, VerificationError } from '@tessera/core'
import { getOwn, isJsonObject, parseJsonCapped } from '@tessera/credentials'
import type { Home } from '@tessera/identity'
import { type CheckpointPayload, verifyCheckpoint } from './checkpoint.js'
import { AUDIT_LIMITS, type AuditEntry, entryHash, isHexHash, parseAuditEntry } from './entry.js'
import {
  CompactRange,
  consistencyProof,
  type Hash,
  inclusionProof,
  type MerkleFailure,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'
import { auditSize, createCheckpoint, getAuditEntry, readLeafHashes } from './store.js'
import type { KeptCheckpoint } from './verify.js'

/** Proof that one entry is in the log the checkpoint commits to. */
export interface InclusionProofFile {
  type: 'TesseraInclusionProof'
  /** The organisation whose log it is; its did:key signed `checkpoint`. */
  orgDid: string
  /** Tree size the proof and the checkpoint are for. */
  size: number
  /** 0-based leaf index: `entry.seq - 1`. */
  leafIndex: number
  /** The entry's leaf hash, hex (RFC 9162 §2.1.1 over its canonical bytes). */
  leafHash: string
  entry: AuditEntry
  /** The inclusion path (RFC 9162 §2.1.3.1), leaf-side first, hex. */
  proof: string[]
  /** The organisation's checkpoint for `size` (compact JWS). */
  checkpoint: string
}

/** Proof that the log at `size2` extends the log at `size1` without changing it. */
export interface ConsistencyProofFile {
  type: 'TesseraConsistencyProof'
  orgDid: string
  size1: number
  size2: number
  /** The consistency path (RFC 9162 §2.1.4.1), hex. */
  proof: string[]
  /** The organisation's checkpoints for `size1` and `size2`. */
  checkpoint1: string
  checkpoint2: string
}

export type AuditProofFile = InclusionProofFile | ConsistencyProofFile

const hex = (hashes: readonly Hash[]): string[] => hashes.map((h) => Buffer.from(h).toString('hex'))

function tampered(message: string, seq: number, reason: string): VerificationError {
  return new VerificationError('ERR_AUDIT_TAMPERED', message, { details: { firstBad: { seq, reason } } })
}

function checkSeq(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" must be an integer from ${min} to ${max}, got ${value}`,
    )
  }
  return value
}

/**
 * Prove that entry `seq` is in the log of `size` entries (default: the current size), with the checkpoint for
 * that size (signed now if the home has none yet). Never call it inside `home.transaction`.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a seq or size outside the log; VerificationError
 *   `ERR_AUDIT_TAMPERED` when the stored log does not match what the checkpoint commits to.
 */
export async function proveInclusion(
  home: Home,
  options: { seq: number; size?: number | undefined },
): Promise<InclusionProofFile> {
  const current = await auditSize(home)
  const size = checkSeq(options.size ?? current, 'size', 1, current)
  const seq = checkSeq(options.seq, 'seq', 1, size)
  const { token, payload } = await createCheckpoint(home, { size })
  const leaves = readLeafHashes(home, size)
  const range = new CompactRange()
  for (let i = 0; i < size; i++) range.append(leaves.get(i))
  if (range.root().toString('hex') !== payload.root) {
    throw tampered(
      `the stored leaf hashes do not match the checkpoint of size ${size}`,
      size,
      'checkpoint-mismatch',
    )
  }
  const stored = await getAuditEntry(home, seq)
  const hash = Buffer.from(leaves.get(seq - 1)).toString('hex')
  if (stored === undefined || entryHash(stored) !== hash) {
    throw tampered(`entry ${seq} does not match its leaf hash`, seq, 'hash-mismatch')
  }
  const { leafHash: _stored, ...entry } = stored
  return {
    type: 'TesseraInclusionProof',
    orgDid: home.org.did,
    size,
    leafIndex: seq - 1,
    leafHash: hash,
    entry,
    proof: hex(inclusionProof(leaves, seq - 1, size)),
    checkpoint: token,
  }
}

/**
 * Prove that the log at `to` entries (default: the current size) extends the log at `from` entries, with the
 * checkpoints for both sizes (signed now where the home has none). Never call it inside `home.transaction`.
 *
 * @throws InputError `ERR_INPUT_INVALID` unless 0 <= from <= to <= the log's size; VerificationError
 *   `ERR_AUDIT_TAMPERED` when the stored log does not match the checkpoints.
 */
export async function proveConsistency(
  home: Home,
  options: { from: number; to?: number | undefined },
): Promise<ConsistencyProofFile> {
  const current = await auditSize(home)
  const size2 = checkSeq(options.to ?? current, 'to', 0, current)
  const size1 = checkSeq(options.from, 'from', 0, size2)
  const first = await createCheckpoint(home, { size: size1 })
  const second = await createCheckpoint(home, { size: size2 })
  const leaves = readLeafHashes(home, size2)
  const range = new CompactRange()
  let root1 = size1 === 0 ? range.root().toString('hex') : undefined
  for (let i = 0; i < size2; i++) {
    range.append(leaves.get(i))
    if (range.size === size1) root1 = range.root().toString('hex')
  }
  if (root1 !== first.payload.root || range.root().toString('hex') !== second.payload.root) {
    throw tampered(`the stored leaf hashes do not match the checkpoints`, size1, 'checkpoint-mismatch')
  }
  return {
    type: 'TesseraConsistencyProof',
    orgDid: home.org.did,
    size1,
    size2,
    proof: hex(consistencyProof(leaves, size1, size2)),
    checkpoint1: first.token,
    checkpoint2: second.token,
  }
}

/** What {@link verifyProofFile} found. Never thrown: a wrong proof is a result. */
export interface ProofVerification {
  ok: boolean
  type?: AuditProofFile['type']
  /** The checkpoint the proof is verified against (inclusion), or the newer one (consistency). */
  checkpoint?: CheckpointPayload
  /** Consistency: the older checkpoint. */
  previous?: CheckpointPayload
  /** Inclusion: the entry proven. */
  entry?: AuditEntry
  error?: {
    code: ErrorCode
    message: string
    /** The RFC 9162 verification step that failed, for `ERR_AUDIT_PROOF_INVALID`. */
    reason?: MerkleFailure | 'leaf-hash-mismatch' | 'size-mismatch'
  }
}

/** Longest proof file accepted, in characters (an entry is at most 32 KiB; the rest is small). */
export const MAX_PROOF_FILE_LENGTH = 128 * 1024

class ProofFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: NonNullable<ProofVerification['error']>['reason'],
  ) {
    super(message)
  }
}

function malformed(message: string): ProofFailure {
  return new ProofFailure('ERR_AUDIT_MALFORMED', `proof file: ${message}`)
}

function readHashes(value: unknown, name: string): Buffer[] {
  if (!Array.isArray(value) || value.length > 65 || !value.every(isHexHash)) {
    throw malformed(`"${name}" must be an array of at most 65 hashes of 64 lowercase hex characters`)
  }
  return value.map((h: string) => Buffer.from(h, 'hex'))
}

function readSize(record: Record<string, unknown>, name: string): number {
  const value = getOwn(record, name)
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`"${name}" must be a non-negative integer`)
  }
  return value
}

function readCheckpoint(record: Record<string, unknown>, name: string, orgDid: string): CheckpointPayload {
  const token = getOwn(record, name)
  if (typeof token !== 'string') throw malformed(`"${name}" must be a compact JWS`)
  try {
    return verifyCheckpoint(token, { orgDid })
  } catch (err) {
    if (err instanceof TesseraError && err.code === 'ERR_AUDIT_CHECKPOINT_INVALID') {
      throw new ProofFailure(err.code, `"${name}": ${err.message}`)
    }
    throw err
  }
}

function checkKept(payload: CheckpointPayload, kept: readonly KeptCheckpoint[]): void {
  for (const checkpoint of kept) {
    if (checkpoint.size === payload.size && checkpoint.root.toLowerCase() !== payload.root) {
      throw new ProofFailure(
        'ERR_AUDIT_TAMPERED',
        `the organisation signed two different roots for size ${payload.size}: its log was rewritten`,
      )
    }
  }
}

/**
 * Verify a proof file with nothing but the file and the organisation's DID: the checkpoint signature(s) with
 * the did:key, the sizes against the checkpoints, the entry's hash, then the RFC 9162 §2.1.3.2 (inclusion) or
 * §2.1.4.2 (consistency) algorithm against the signed root(s). Checkpoints the verifier kept from earlier are
 * compared too: the same size with another root is proof the log was rewritten (`ERR_AUDIT_TAMPERED`).
 *
 * Error codes: `ERR_AUDIT_MALFORMED`, `ERR_SIZE_LIMIT`, `ERR_AUDIT_CHECKPOINT_INVALID`, `ERR_AUDIT_PROOF_INVALID`
 * (with the failed step in `error.reason`), `ERR_AUDIT_TAMPERED`.
 *
 * @param file - The proof file's JSON text, or the value parsed from it.
 * @throws IdentityError `ERR_DID_INVALID` when `orgDid` is not a did:key (the caller's input).
 */
export function verifyProofFile(
  file: string | unknown,
  options: { orgDid: string; checkpoint?: KeptCheckpoint | readonly KeptCheckpoint[] | undefined },
): ProofVerification {
  const kept = options.checkpoint === undefined ? [] : ([] as KeptCheckpoint[]).concat(options.checkpoint)
  const result: ProofVerification = { ok: false }
  try {
    let value: unknown = file
    if (typeof file === 'string') {
      try {
        value = parseJsonCapped(file, {
          maxLength: MAX_PROOF_FILE_LENGTH,
          maxDepth: AUDIT_LIMITS.maxDataDepth + 4,
        })
      } catch (err) {
        if (err instanceof TesseraError && err.code === 'ERR_SIZE_LIMIT')
          throw new ProofFailure(err.code, err.message)
        throw malformed('not JSON')
      }
    }
    if (!isJsonObject(value)) throw malformed('must be a JSON object')
    const type = getOwn(value, 'type')
    const orgDid = getOwn(value, 'orgDid')
    if (type !== 'TesseraInclusionProof' && type !== 'TesseraConsistencyProof') {
      throw malformed(`"type" must be TesseraInclusionProof or TesseraConsistencyProof`)
    }
    result.type = type
    if (orgDid !== options.orgDid) {
      throw new ProofFailure(
        'ERR_AUDIT_CHECKPOINT_INVALID',
        `the proof is for ${JSON.stringify(orgDid)}, not the organisation ${options.orgDid}`,
      )
    }
    if (type === 'TesseraInclusionProof') verifyInclusionFile(value, options.orgDid, kept, result)
    else verifyConsistencyFile(value, options.orgDid, kept, result)
    result.ok = true
    return result
  } catch (err) {
    if (err instanceof ProofFailure) {
      result.error =
        err.reason === undefined
          ? { code: err.code, message: err.message }
          : { code: err.code, message: err.message, reason: err.reason }
      return result
    }
    if (err instanceof VerificationError && err.code === 'ERR_AUDIT_MALFORMED') {
      result.error = { code: err.code, message: err.message }
      return result
    }
    throw err
  }
}

const INCLUSION_MEMBERS = ['type', 'orgDid', 'size', 'leafIndex', 'leafHash', 'entry', 'proof', 'checkpoint']
const CONSISTENCY_MEMBERS = ['type', 'orgDid', 'size1', 'size2', 'proof', 'checkpoint1', 'checkpoint2']

function onlyMembers(record: Record<string, unknown>, members: readonly string[]): void {
  for (const key of Object.keys(record)) {
    if (!members.includes(key)) throw malformed(`unknown member ${JSON.stringify(key)}`)
  }
}

function verifyInclusionFile(
  record: Record<string, unknown>,
  orgDid: string,
  kept: readonly KeptCheckpoint[],
  result: ProofVerification,
): void {
  onlyMembers(record, INCLUSION_MEMBERS)
  const size = readSize(record, 'size')
  const leafIndex = readSize(record, 'leafIndex')
  const leafHashHex = getOwn(record, 'leafHash')
  if (!isHexHash(leafHashHex)) throw malformed(`"leafHash" must be 64 lowercase hex characters`)
  const entry = parseAuditEntry(getOwn(record, 'entry'), 'proof file "entry"')
  if (Object.hasOwn(entry, 'leafHash')) throw malformed(`"entry" must not carry a leafHash`)
  const proof = readHashes(getOwn(record, 'proof'), 'proof')
  const checkpoint = readCheckpoint(record, 'checkpoint', orgDid)
  result.checkpoint = checkpoint
  result.entry = entry
  checkKept(checkpoint, kept)
  if (checkpoint.size !== size) {
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `the proof is for size ${size}, the checkpoint for ${checkpoint.size}`,
      'size-mismatch',
    )
  }
  if (leafIndex !== entry.seq - 1) {
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `"leafIndex" ${leafIndex} is not entry ${entry.seq}'s`,
      'size-mismatch',
    )
  }
  if (entryHash(entry) !== leafHashHex) {
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `the entry does not hash to "leafHash"`,
      'leaf-hash-mismatch',
    )
  }
  const check = verifyInclusion({
    leafHash: Buffer.from(leafHashHex, 'hex'),
    index: leafIndex,
    size,
    proof,
    root: Buffer.from(checkpoint.root, 'hex'),
  })
  if (!check.ok) {
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `the inclusion proof of entry ${entry.seq} does not verify against the checkpoint (${check.reason})`,
      check.reason,
    )
  }
}

function verifyConsistencyFile(
  record: Record<string, unknown>,
  orgDid: string,
  kept: readonly KeptCheckpoint[],
  result: ProofVerification,
): void {
  onlyMembers(record, CONSISTENCY_MEMBERS)
  const size1 = readSize(record, 'size1')
  const size2 = readSize(record, 'size2')
  const proof = readHashes(getOwn(record, 'proof'), 'proof')
  const previous = readCheckpoint(record, 'checkpoint1', orgDid)
  const checkpoint = readCheckpoint(record, 'checkpoint2', orgDid)
  result.previous = previous
  result.checkpoint = checkpoint
  checkKept(previous, kept)
  checkKept(checkpoint, kept)
  if (previous.size !== size1 || checkpoint.size !== size2) {
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `the proof is for sizes ${size1} and ${size2}, the checkpoints for ${previous.size} and ${checkpoint.size}`,
      'size-mismatch',
    )
  }
  const check = verifyConsistency({
    size1,
    size2,
    root1: Buffer.from(previous.root, 'hex'),
    root2: Buffer.from(checkpoint.root, 'hex'),
    proof,
  })
  if (!check.ok) {
    // Two validly signed checkpoints that are not consistent: the organisation's log was rewritten.
    throw new ProofFailure(
      'ERR_AUDIT_PROOF_INVALID',
      `the log at ${size2} is not proven to extend the log at ${size1} (${check.reason})`,
      check.reason,
    )
  }
}
