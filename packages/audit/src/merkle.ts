/**
 * Merkle Hash Trees of RFC 9162 (Certificate Transparency 2.0) §2.1, with SHA-256: the tree hash, inclusion
 * proofs (§2.1.3) and consistency proofs (§2.1.4), and their verification algorithms (§2.1.3.2, §2.1.4.2)
 * written step by step as the RFC states them. Pure functions over 32-byte hashes; no I/O.
 *
 * Sizes and indexes are JavaScript numbers (safe integers, so up to 2^53 - 1 leaves); the bit operations of
 * the RFC (LSB, right shift) are done with arithmetic, never with 32-bit `&`/`>>`.
 */
import { hash as sha256 } from 'node:crypto'
import { InputError } from '@tessera/core'

/** A SHA-256 value: 32 bytes. */
export type Hash = Uint8Array

/** Bytes in a {@link Hash}. */
export const HASH_SIZE = 32

/** The hash of the empty tree: MTH({}) = SHA-256() (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Buffer = sha256('sha256', Buffer.alloc(0), 'buffer')

/** Longest proof any tree of up to 2^64 leaves needs (§2.1.3.1: at most ceil(log2(n)); §2.1.4.1: one more). */
const MAX_PROOF_LENGTH = 65

const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE)
nodeInput[0] = 0x01

/**
 * The leaf hash of one entry: SHA-256(0x00 || d) (RFC 9162 §2.1.1, MTH({d(0)})). A string is hashed as its
 * UTF-8 bytes.
 */
export function leafHash(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') {
    // U+0000 is the single byte 0x00 in UTF-8, so this is SHA-256(0x00 || UTF-8(data)) without a copy.
    return sha256('sha256', `\u0000${data}`, 'buffer')
  }
  if (!(data instanceof Uint8Array)) {
    throw new InputError('ERR_INPUT_INVALID', `"data" must be a Uint8Array or a string, got ${typeof data}`)
  }
  const input = Buffer.allocUnsafe(1 + data.length)
  input[0] = 0x00
  input.set(data, 1)
  return sha256('sha256', input, 'buffer')
}

/** The hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). */
export function nodeHash(left: Hash, right: Hash): Buffer {
  if (!isHash(left) || !isHash(right)) {
    throw new InputError('ERR_INPUT_INVALID', `"left" and "right" must be ${HASH_SIZE}-byte hashes`)
  }
  return hashChildren(left, right)
}

/** {@link nodeHash} for hashes already known to be 32 bytes. */
function hashChildren(left: Hash, right: Hash): Buffer {
  nodeInput.set(left, 1)
  nodeInput.set(right, 1 + HASH_SIZE)
  return sha256('sha256', nodeInput, 'buffer')
}

/** True for a {@link Hash}: a Uint8Array of exactly 32 bytes. */
export function isHash(value: unknown): value is Hash {
  return value instanceof Uint8Array && value.length === HASH_SIZE
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function assertSize(value: unknown, name: string): asserts value is number {
  if (!isSize(value)) {
    throw new InputError('ERR_INPUT_INVALID', `"${name}" must be a non-negative safe integer, got ${value}`)
  }
}

const isOdd = (n: number): boolean => n % 2 === 1
const half = (n: number): number => Math.floor(n / 2)

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false
  let m = n
  while (m % 2 === 0) m /= 2
  return m === 1
}

/** The largest power of two smaller than `n` (n > 1): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function popCount(n: number): number {
  let count = 0
  for (let m = n; m > 0; m = half(m)) if (isOdd(m)) count++
  return count
}

/**
 * The right border of a Merkle tree being built leaf by leaf: one perfect subtree hash per 1-bit of the size,
 * largest first (transparency-dev/merkle calls this a compact range [0, size)). Appending is amortised O(1)
 * hashes and the root is O(log n), so the tree hash of millions of leaves needs O(log n) memory.
 */
export class CompactRange {
  #size = 0
  readonly #hashes: Hash[] = []

  /** Leaves appended so far. */
  get size(): number {
    return this.#size
  }

  /** Append the next leaf hash. */
  append(leaf: Hash): void {
    if (!isHash(leaf)) throw new InputError('ERR_INPUT_INVALID', `"leaf" must be a ${HASH_SIZE}-byte hash`)
    let merged: Hash = leaf
    // Each trailing 1-bit of the old size is a perfect subtree as large as what is being merged: join them.
    for (let s = this.#size; isOdd(s); s = half(s)) {
      merged = hashChildren(this.#hashes.pop() as Hash, merged)
    }
    this.#hashes.push(merged)
    this.#size++
  }

  /**
   * MTH of the leaves appended so far (RFC 9162 §2.1.1): the subtree hashes folded right to left, since
   * MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])) where D[0:k] is the largest (first) subtree.
   */
  root(): Buffer {
    const hashes = this.#hashes
    if (hashes.length === 0) return Buffer.from(EMPTY_ROOT)
    let root = hashes[hashes.length - 1] as Hash
    for (let i = hashes.length - 2; i >= 0; i--) root = hashChildren(hashes[i] as Hash, root)
    return Buffer.from(root)
  }

  /** The subtree hashes, largest first (a copy). Together with `size` they let a range be resumed later. */
  hashes(): Buffer[] {
    return this.#hashes.map((h) => Buffer.from(h))
  }

  /** A copy that can grow independently. */
  clone(): CompactRange {
    return CompactRange.from(this.#size, this.#hashes)
  }

  /**
   * Resume a range from its `size` and {@link hashes}. There must be exactly one hash per 1-bit of `size`.
   * @throws InputError `ERR_INPUT_INVALID` otherwise.
   */
  static from(size: number, hashes: readonly Hash[]): CompactRange {
    assertSize(size, 'size')
    if (!Array.isArray(hashes) || hashes.length !== popCount(size) || !hashes.every(isHash)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `a compact range of size ${size} has ${popCount(size)} ${HASH_SIZE}-byte hashes, got ${Array.isArray(hashes) ? hashes.length : typeof hashes}`,
      )
    }
    const range = new CompactRange()
    range.#size = size
    for (const h of hashes) range.#hashes.push(Buffer.from(h))
    return range
  }
}

/** Read access to a list of leaf hashes (an array, or a packed buffer read through `get`). */
export interface LeafHashes {
  readonly length: number
  get(index: number): Hash
}

function leafAccess(leafHashes: readonly Hash[] | LeafHashes): LeafHashes {
  if (Array.isArray(leafHashes)) {
    const list = leafHashes as readonly Hash[]
    return { length: list.length, get: (i) => list[i] as Hash }
  }
  return leafHashes as LeafHashes
}

function subtreeRoot(leaves: LeafHashes, start: number, end: number): Buffer {
  const range = new CompactRange()
  for (let i = start; i < end; i++) range.append(leaves.get(i))
  return range.root()
}

/**
 * MTH of the first `size` leaves (all of them by default), RFC 9162 §2.1.1. Iterative: O(n) hashes,
 * O(log n) memory.
 */
export function rootHash(leafHashes: readonly Hash[] | LeafHashes, size?: number): Buffer {
  const leaves = leafAccess(leafHashes)
  const n = size ?? leaves.length
  assertSize(n, 'size')
  if (n > leaves.length) {
    throw new InputError('ERR_INPUT_INVALID', `"size" ${n} is larger than the ${leaves.length} leaves given`)
  }
  return subtreeRoot(leaves, 0, n)
}

/**
 * The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves:
 * PATH(m, D_n) of RFC 9162 §2.1.3.1, ordered from the leaf's sibling up to the root's child.
 * O(n) hashes in total (each subtree hash is computed once).
 *
 * @throws InputError `ERR_INPUT_INVALID` unless 0 <= index < size <= leafHashes.length.
 */
export function inclusionProof(
  leafHashes: readonly Hash[] | LeafHashes,
  index: number,
  size: number,
): Buffer[] {
  const leaves = leafAccess(leafHashes)
  assertSize(index, 'index')
  assertSize(size, 'size')
  if (index >= size || size > leaves.length) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `need 0 <= index < size <= ${leaves.length} leaves, got index ${index} and size ${size}`,
    )
  }
  const proof: Buffer[] = []
  path(leaves, index, 0, size, proof)
  return proof
}

/** PATH(m, D[start:end]) appended to `out`, bottom-up (RFC 9162 §2.1.3.1). */
function path(leaves: LeafHashes, m: number, start: number, end: number, out: Buffer[]): void {
  const n = end - start
  if (n <= 1) return // PATH(0, {d(0)}) = {}
  const k = splitPoint(n)
  if (m < k) {
    // PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n])
    path(leaves, m, start, start + k, out)
    out.push(subtreeRoot(leaves, start + k, end))
  } else {
    // PATH(m, D_n) = PATH(m - k, D[k:n]) : MTH(D[0:k])
    path(leaves, m - k, start + k, end, out)
    out.push(subtreeRoot(leaves, start, start + k))
  }
}

/**
 * The consistency proof between the trees of the first `size1` and the first `size2` leaves:
 * PROOF(m, D_n) = SUBPROOF(m, D_n, true) of RFC 9162 §2.1.4.1. Empty when size1 = 0 or size1 = size2
 * (nothing to prove). O(n) hashes in total.
 *
 * @throws InputError `ERR_INPUT_INVALID` unless 0 <= size1 <= size2 <= leafHashes.length.
 */
export function consistencyProof(
  leafHashes: readonly Hash[] | LeafHashes,
  size1: number,
  size2: number,
): Buffer[] {
  const leaves = leafAccess(leafHashes)
  assertSize(size1, 'size1')
  assertSize(size2, 'size2')
  if (size1 > size2 || size2 > leaves.length) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `need 0 <= size1 <= size2 <= ${leaves.length} leaves, got size1 ${size1} and size2 ${size2}`,
    )
  }
  const proof: Buffer[] = []
  if (size1 > 0 && size1 < size2) subproof(leaves, size1, 0, size2, true, proof)
  return proof
}

/** SUBPROOF(m, D[start:end], b) appended to `out` (RFC 9162 §2.1.4.1). */
function subproof(
  leaves: LeafHashes,
  m: number,
  start: number,
  end: number,
  b: boolean,
  out: Buffer[],
): void {
  const n = end - start
  if (m === n) {
    // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
    if (!b) out.push(subtreeRoot(leaves, start, end))
    return
  }
  const k = splitPoint(n)
  if (m <= k) {
    // SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
    subproof(leaves, m, start, start + k, b, out)
    out.push(subtreeRoot(leaves, start + k, end))
  } else {
    // SUBPROOF(m, D_n, b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
    subproof(leaves, m - k, start + k, end, false, out)
    out.push(subtreeRoot(leaves, start, start + k))
  }
}

/** Why a proof did not verify. */
export type MerkleFailure =
  /** A size or index that is not a non-negative safe integer, or a hash that is not 32 bytes. */
  | 'malformed'
  /** §2.1.3.2 step 1: leaf_index >= tree_size. */
  | 'index-out-of-range'
  /** §2.1.4.2 precondition: the first tree is larger than the second. */
  | 'size-order'
  /** §2.1.4.2 step 1: a consistency proof is needed (0 < size1 < size2) but the path is empty. */
  | 'empty-proof'
  /** Nothing is to be proven (size1 = 0 or size1 = size2), yet the path is not empty. */
  | 'proof-not-empty'
  /** §2.1.3.2 step 4a / §2.1.4.2 step 6a: sn reached 0 with path elements left over. */
  | 'proof-too-long'
  /** §2.1.3.2 step 5 / §2.1.4.2 step 7: the path ended before sn reached 0. */
  | 'proof-too-short'
  /** The recomputed root differs from `root` (inclusion). */
  | 'root-mismatch'
  /** The recomputed first root (fr) differs from `root1`, or root1 is not the empty-tree hash for size1 = 0. */
  | 'root1-mismatch'
  /** The recomputed second root (sr) differs from `root2`, or root1 != root2 for size1 = size2. */
  | 'root2-mismatch'

/** The answer of a proof verification: never thrown, since a wrong proof is a result. */
export type ProofCheck = { ok: true } | { ok: false; reason: MerkleFailure }

const OK: ProofCheck = Object.freeze({ ok: true })
const fail = (reason: MerkleFailure): ProofCheck => ({ ok: false, reason })

function isProof(proof: unknown): proof is readonly Hash[] {
  return Array.isArray(proof) && proof.every(isHash)
}

/** Arguments of {@link verifyInclusion}. */
export interface VerifyInclusionOptions {
  leafHash: Hash
  /** 0-based index of the leaf. */
  index: number
  /** Size of the tree `root` is the hash of. */
  size: number
  /** The inclusion path, leaf-side first. */
  proof: readonly Hash[]
  root: Hash
}

/**
 * Verify an inclusion proof exactly as RFC 9162 §2.1.3.2 ("Verifying an Inclusion Proof") states it.
 * Returns `{ ok: false, reason }` for every failure, including malformed arguments; never throws.
 */
export function verifyInclusion(options: VerifyInclusionOptions): ProofCheck {
  const { leafHash: hash, index, size, proof, root } = options
  if (!isSize(index) || !isSize(size) || !isHash(hash) || !isHash(root) || !isProof(proof)) {
    return fail('malformed')
  }
  // 1. If leaf_index is greater than or equal to tree_size, then fail the proof verification.
  if (index >= size) return fail('index-out-of-range')
  if (proof.length > MAX_PROOF_LENGTH) return fail('proof-too-long')
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index
  let sn = size - 1
  // 3. Set r to hash.
  let r: Hash = hash
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return fail('proof-too-long')
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (isOdd(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r)
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or
      //     fn is 0.
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p)
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn)
    sn = half(sn)
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the root_hash are
  //    equal, then the log has proven the inclusion of hash. Otherwise, fail the proof verification.
  if (sn !== 0) return fail('proof-too-short')
  return Buffer.compare(r, root) === 0 ? OK : fail('root-mismatch')
}

/** Arguments of {@link verifyConsistency}. */
export interface VerifyConsistencyOptions {
  size1: number
  size2: number
  root1: Hash
  root2: Hash
  /** The consistency path as {@link consistencyProof} returns it. */
  proof: readonly Hash[]
}

/**
 * Verify a consistency proof exactly as RFC 9162 §2.1.4.2 ("Verifying Consistency between Two Tree
 * Heads") states it, for 0 < size1 < size2. The cases the RFC leaves outside its precondition are decided
 * here: size1 > size2 fails; size1 = size2 needs an empty proof and root1 = root2; size1 = 0 needs an empty
 * proof and root1 = MTH({}) (the empty tree is consistent with every tree). Never throws.
 */
export function verifyConsistency(options: VerifyConsistencyOptions): ProofCheck {
  const { size1: first, size2: second, root1: firstHash, root2: secondHash, proof } = options
  if (!isSize(first) || !isSize(second) || !isHash(firstHash) || !isHash(secondHash) || !isProof(proof)) {
    return fail('malformed')
  }
  if (first > second) return fail('size-order')
  if (first === second) {
    if (proof.length !== 0) return fail('proof-not-empty')
    if (first === 0 && Buffer.compare(firstHash, EMPTY_ROOT) !== 0) return fail('root1-mismatch')
    return Buffer.compare(firstHash, secondHash) === 0 ? OK : fail('root2-mismatch')
  }
  if (first === 0) {
    if (proof.length !== 0) return fail('proof-not-empty')
    return Buffer.compare(firstHash, EMPTY_ROOT) === 0 ? OK : fail('root1-mismatch')
  }
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (proof.length === 0) return fail('empty-proof')
  if (proof.length > MAX_PROOF_LENGTH) return fail('proof-too-long')
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path: readonly Hash[] = isPowerOfTwo(first) ? [firstHash, ...proof] : proof
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = first - 1
  let sn = second - 1
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0] as Hash
  let sr = path[0] as Hash
  // 6. For each subsequent value c in the consistency_path array:
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Hash
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return fail('proof-too-long')
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (isOdd(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).
      fr = nodeHash(c, fr)
      // ii. Set sr to HASH(0x01 || c || sr).
      sr = nodeHash(c, sr)
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or
      //      fn is 0.
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c)
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn)
    sn = half(sn)
  }
  // 7. Verify that the fr calculated is equal to the first_hash supplied, that the sr calculated is equal to
  //    the second_hash supplied, and that sn is 0.
  if (sn !== 0) return fail('proof-too-short')
  if (Buffer.compare(fr, firstHash) !== 0) return fail('root1-mismatch')
  return Buffer.compare(sr, secondHash) === 0 ? OK : fail('root2-mismatch')
}
