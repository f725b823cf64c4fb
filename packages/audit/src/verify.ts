/**
 * Verify a log from its entries alone: seq continuity, each entry's hash, the hash chain, and the Merkle tree
 * hash (RFC 9162 §2.1.1) against any checkpoints the verifier kept. One pass, O(1) hashes per entry and
 * O(log n) memory, so a million entries stream through without being held in memory.
 */
import { type AuditEntry, canonicalEntry, canonicalEntryText, GENESIS_HASH } from './entry.js'
import { CompactRange, leafHash } from './merkle.js'

/** Why a log failed verification. */
export type AuditFailureReason =
  /** An entry's content does not hash to the `leafHash` stored with it (it was edited). */
  | 'hash-mismatch'
  /** An entry's `prevHash` is not the hash of the entry before it. */
  | 'chain-broken'
  /** A seq is missing (an entry was deleted). */
  | 'seq-gap'
  /** Entries are out of order (two were swapped or moved). */
  | 'reordered'
  /** The tree hash at a checkpoint's size is not the checkpoint's root (history was rewritten). */
  | 'checkpoint-mismatch'
  /** The log is shorter than a checkpoint the verifier kept (its newest entries were removed). */
  | 'truncated'

/** The first entry at fault. */
export interface FirstBad {
  /** The seq where the log stops verifying: the entry at fault, the missing seq, or the checkpoint size. */
  seq: number
  reason: AuditFailureReason
}

/** A checkpoint the verifier kept: the tree size and root (hex) the organisation signed. */
export interface KeptCheckpoint {
  size: number
  root: string
}

/** What {@link verifyLog} found. */
export interface LogVerification {
  ok: boolean
  /** Entries that verified (all of them when ok; those before `firstBad` otherwise). */
  size: number
  /** MTH of those entries, hex (RFC 9162 §2.1.1; the empty-tree hash for 0). */
  root: string
  firstBad?: FirstBad
}

/** Options of {@link verifyLog} and {@link createLogVerifier}. */
export interface VerifyLogOptions {
  /** Checkpoint(s) the verifier kept (already signature-checked, e.g. by `verifyCheckpoint`). */
  checkpoint?: KeptCheckpoint | readonly KeptCheckpoint[] | undefined
}

/** An entry as the verifier reads it; `leafHash`, when present, is checked against the content. */
export type VerifiableEntry = AuditEntry & { leafHash?: string | undefined }

/** Where verification resumes (internal: the store verifies from a checkpoint it signed). */
export interface VerifierStart {
  range: CompactRange
  prevHash: string
}

/** The first failure, with what a later entry must show to make it a reordering. */
type Failure = FirstBad & { expectedPrev: string; matchPrev: boolean }

// After the first failure, look this many entries further to tell a reordering from an edit or a deletion.
const LOOKAHEAD = 1024

/**
 * An incremental log verifier: feed entries in the order read (`add`), then read the outcome (`result`).
 * {@link verifyLog} is this over an iterable; the store feeds it rows straight from SQLite.
 */
export class LogVerifier {
  readonly #range: CompactRange
  readonly #checkpoints: KeptCheckpoint[]
  #prevHash: string
  #next: number
  #failure: Failure | undefined
  #lookahead = 0
  #result: LogVerification | undefined

  constructor(options: VerifyLogOptions = {}, start?: VerifierStart) {
    this.#range = start ? start.range.clone() : new CompactRange()
    this.#prevHash = start ? start.prevHash : GENESIS_HASH
    this.#next = this.#range.size + 1
    const kept = options.checkpoint === undefined ? [] : ([] as KeptCheckpoint[]).concat(options.checkpoint)
    this.#checkpoints = kept
      .filter((c) => c.size >= this.#range.size)
      .sort((a, b) => a.size - b.size)
      .map((c) => ({ size: c.size, root: c.root.toLowerCase() }))
    this.#checkAtSize()
  }

  /** A copy of the tree built so far (the entries accepted). */
  range(): CompactRange {
    return this.#range.clone()
  }

  /** Seq of the next entry expected. */
  get nextSeq(): number {
    return this.#next
  }

  /** True once a failure is known and classified: further entries change nothing. */
  get done(): boolean {
    return this.#failure !== undefined && this.#lookahead === 0
  }

  /**
   * True when the entry is the next one expected and should be hashed; otherwise it is classified (after a
   * failure) or recorded as reordered / a gap.
   */
  #inSequence(seq: number, prevHash: string): boolean {
    if (this.done || this.#result !== undefined) return false
    if (this.#failure !== undefined) {
      this.#classify(seq, prevHash)
      return false
    }
    if (seq !== this.#next) {
      this.#fail(seq < this.#next ? 'reordered' : 'seq-gap', this.#next, prevHash)
      return false
    }
    return true
  }

  /** Verify the next entry read. */
  add(entry: VerifiableEntry): void {
    if (this.#inSequence(entry.seq, entry.prevHash)) this.#accept(entry, canonicalEntry(entry))
  }

  /**
   * Verify the next entry given its canonical text (the store passes the `data` column as stored, which
   * the append wrote in canonical form: any other bytes are an edit and fail the hash).
   */
  addCanonical(entry: Omit<VerifiableEntry, 'data'> & { dataJson: string }): void {
    if (this.#inSequence(entry.seq, entry.prevHash)) this.#accept(entry, canonicalEntryText(entry))
  }

  #accept(entry: { seq: number; prevHash: string; leafHash?: string | undefined }, text: string): void {
    const hash = leafHash(text)
    const hex = hash.toString('hex')
    if (entry.leafHash !== undefined && entry.leafHash !== hex) {
      this.#fail('hash-mismatch', entry.seq, entry.prevHash)
      return
    }
    if (entry.prevHash !== this.#prevHash) {
      this.#fail('chain-broken', entry.seq, entry.prevHash)
      return
    }
    this.#range.append(hash)
    this.#prevHash = hex
    this.#next++
    this.#checkAtSize()
  }

  /** Compare the tree hash with every kept checkpoint of the current size. */
  #checkAtSize(): void {
    const size = this.#range.size
    while (this.#checkpoints.length > 0 && (this.#checkpoints[0] as KeptCheckpoint).size === size) {
      const checkpoint = this.#checkpoints.shift() as KeptCheckpoint
      if (this.#failure === undefined && this.#range.root().toString('hex') !== checkpoint.root) {
        this.#failure = {
          seq: size,
          reason: 'checkpoint-mismatch',
          expectedPrev: this.#prevHash,
          matchPrev: false,
        }
        this.#lookahead = 0
      }
    }
  }

  #fail(reason: AuditFailureReason, seq: number, prevHash: string): void {
    // An entry that claims this position (it chains onto the entry before) but fails was edited or forged
    // here; only one that chains from elsewhere may have been moved here.
    const matchPrev = prevHash !== this.#prevHash
    this.#failure = { seq, reason, expectedPrev: this.#prevHash, matchPrev }
    this.#lookahead = reason === 'reordered' ? 0 : LOOKAHEAD
  }

  /**
   * A failure is a reordering when a later entry carries the seq expected at the failure or, if the failing
   * entry chains from elsewhere, chains onto the entry before the failure: it belongs where the failure is.
   */
  #classify(seq: number, prevHash: string): void {
    const failure = this.#failure as Failure
    this.#lookahead--
    if (seq === failure.seq || (failure.matchPrev && prevHash === failure.expectedPrev)) {
      failure.reason = 'reordered'
      this.#lookahead = 0
    }
  }

  /** The outcome, once all entries were added (entries added after it change nothing). */
  result(): LogVerification {
    this.#result ??= this.#conclude()
    return { ...this.#result }
  }

  #conclude(): LogVerification {
    const size = this.#range.size
    const root = this.#range.root().toString('hex')
    const failure = this.#failure
    if (failure !== undefined) {
      return { ok: false, size, root, firstBad: { seq: failure.seq, reason: failure.reason } }
    }
    // A kept checkpoint larger than the log: its newest entries are gone.
    if (this.#checkpoints.length > 0) {
      return { ok: false, size, root, firstBad: { seq: size + 1, reason: 'truncated' } }
    }
    return { ok: true, size, root }
  }
}

/** A verifier to feed entries one at a time (for streams); see {@link verifyLog}. */
export function createLogVerifier(options: VerifyLogOptions = {}): LogVerifier {
  return new LogVerifier(options)
}

/**
 * Verify a whole log, from seq 1, in one pass: detects an edited entry (`hash-mismatch` when entries carry
 * their `leafHash`, otherwise `chain-broken` at the next one), a deleted one (`seq-gap`), an inserted one
 * (`hash-mismatch`/`chain-broken`), swapped ones (`reordered`), and, against the checkpoints the verifier
 * kept, removed newest entries (`truncated`) and a history rewritten to the same size (`checkpoint-mismatch`).
 * Without a checkpoint, entries appended after the last one a verifier kept are only as good as the chain.
 */
export function verifyLog(
  entries: Iterable<VerifiableEntry>,
  options: VerifyLogOptions = {},
): LogVerification {
  const verifier = new LogVerifier(options)
  for (const entry of entries) {
    verifier.add(entry)
    if (verifier.done) break
  }
  return verifier.result()
}
