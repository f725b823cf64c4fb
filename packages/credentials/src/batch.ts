/**
 * `createVerifierPool`: {@link verifyPresentation} spread over worker threads (Node.js `worker_threads`), for
 * verifiers that check many presentations at once (a gateway draining a queue, an audit re-check).
 *
 * Each worker receives the trust bundle and options once, at start (`workerData`), then chunks of items: one
 * message per chunk rather than per item, to amortize the cost of `postMessage` and structured clone. Chunks
 * are handed out as workers free up (at most {@link IN_FLIGHT_PER_WORKER} each, so a worker never waits for
 * the main thread), and results are put back in input order.
 *
 * Where the worker script comes from: built, `dist/batch.js` starts `dist/batch-worker.js` beside it. Run from
 * the TypeScript sources (vitest transforms `src/*.ts`, and Node 20 cannot start a `.ts` worker), the module
 * starts the built `../dist/batch-worker.js` instead, so tests need `tsc -b` first.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import {
  EnvironmentError,
  type EnvironmentErrorCode,
  errorFamily,
  IdentityError,
  type IdentityErrorCode,
  InputError,
  type InputErrorCode,
  isErrorCode,
  type Permission,
  PolicyError,
  type PolicyErrorCode,
  TesseraError,
  VerificationError,
  type VerificationErrorCode,
} from '@tessera/core'
import { parseTrustBundle, type TrustBundle, validateRequest } from '@tessera/policy'
import type {
  BatchWorkerFailure,
  BatchWorkerItem,
  BatchWorkerSetup,
  FromBatchWorker,
  ToBatchWorker,
} from './batch-worker.js'
import type { ChallengeOutcome, ChallengeStore } from './challenge.js'
import { isJwsAlg, type JwsAlg } from './jws.js'
import { DEFAULT_LIMITS, describeValue, isJsonObject, type Limits } from './limits.js'
import type { Decision } from './verify.js'

/** Most worker threads one pool may start. */
export const MAX_VERIFIER_THREADS = 256
/** Chunks a batch is cut into per thread, so a worker that finishes early takes more of the work. */
const CHUNKS_PER_THREAD = 4
/** Smallest and largest chunk, in items: below, messaging dominates; above, the load balances poorly. */
const MIN_CHUNK = 8
const MAX_CHUNK = 256
/** Chunks a worker holds at once: it verifies one while the main thread sends the next and reads the last. */
const IN_FLIGHT_PER_WORKER = 2

const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../dist/batch-worker.js', import.meta.url)
  : new URL('./batch-worker.js', import.meta.url)

/** Options of {@link createVerifierPool}: the pool-wide part of {@link VerifyPresentationOptions}. */
export interface VerifierPoolOptions {
  /** Worker threads to start; default `os.availableParallelism()`, at most {@link MAX_VERIFIER_THREADS}. */
  threads?: number
  /** Which issuers this verifier trusts, for which roles, with which ceilings; sent once to each worker. */
  trust: TrustBundle
  limits?: Partial<Limits>
  /** JOSE algorithms accepted; default `['EdDSA']`. */
  algorithms?: readonly JwsAlg[]
  clockToleranceSec?: number
}

/** One presentation to verify: the per-request part of {@link VerifyPresentationOptions}. */
export interface BatchItem {
  /** The `vp+jwt` compact JWS. */
  presentation: string
  /** This verifier's identifier; the presentation's `aud` must contain it. */
  domain: string
  /** Ask for one action on one resource. */
  request?: Permission
  /** The challenge this verifier issued for this presentation; requires `challenges` in the batch options. */
  challenge?: string
}

/** Options of {@link VerifierPool.verifyBatch}. */
export interface VerifyBatchOptions {
  /** The verification time of every item; default the time of the call. */
  now?: Date
  /** Redeems the `challenge` of the items that carry one, in the main thread, in input order. */
  challenges?: ChallengeStore
}

/** A {@link Decision}, plus the presentation's `nonce` claim. */
export interface BatchDecision extends Decision {
  /**
   * The `nonce` claim of the presentation, when its signature verified and it carries a string nonce. It is
   * not redeemed unless the item named it as `challenge`: a caller redeeming challenges itself uses this.
   */
  nonce?: string
}

/** A pool of verifier threads; see {@link createVerifierPool}. */
export interface VerifierPool {
  /** The number of worker threads. */
  readonly threads: number
  /**
   * Verify each item as {@link verifyPresentation} would with the pool's options, in parallel; the decisions
   * come back in input order.
   *
   * @throws InputError `ERR_INPUT_INVALID` for bad items or options (including `challenge` without
   *   `challenges`, and a pool that was closed), `ERR_PERMISSION_INVALID` for a bad `request`; any other
   *   error `verifyPresentation` would throw for an item, or the challenge store throws; TesseraError
   *   `ERR_INTERNAL` when a worker thread stopped while verifying the batch (it is replaced).
   */
  verifyBatch(items: readonly BatchItem[], options?: VerifyBatchOptions): Promise<BatchDecision[]>
  /** Stop the worker threads; batches still running reject with `ERR_INPUT_INVALID`. Idempotent. */
  close(): Promise<void>
}

interface Batch {
  readonly results: BatchDecision[]
  readonly now: Date
  readonly challenges: ChallengeStore | undefined
  readonly chunks: Chunk[]
  /** Chunks whose decisions are not all back yet. */
  chunksLeft: number
  /** Chunks not yet verified up to challenge redemption. */
  verifyingLeft: number
  /** Verified chunks with items waiting at challenge redemption. */
  redeeming: Chunk[]
  redeemStarted: boolean
  settled: boolean
  resolve(results: BatchDecision[]): void
  reject(err: unknown): void
}

interface Chunk {
  readonly batch: Batch
  readonly job: number
  /** Index of the chunk's first item in the batch. */
  readonly offset: number
  readonly items: BatchWorkerItem[]
  slot: Slot | undefined
  /** Sent to a worker and not yet verified up to challenge redemption. */
  verifying: boolean
  /** Items (indices within the chunk) waiting at challenge redemption. */
  redeemIndices: number[]
}

interface Slot {
  readonly worker: Worker
  /** The worker parsed its trust bundle; a worker that stops before is not restarted at once. */
  ready: boolean
  /** Chunks it is verifying. */
  verifying: number
  /** Every chunk it holds, verifying or waiting for redemption outcomes. */
  readonly chunks: Set<Chunk>
  /** The uncaught error it reported, if any. */
  error: unknown
}

/**
 * Decisions as they travel from a worker: JSON-like values (plus `undefined`) flattened into an Int32Array of
 * tags and indices, with each distinct string and object shape (list of keys) sent once per chunk.
 * Hand-written because structured clone costs the main thread ~55 µs to rebuild one Decision (a tenth of a
 * verification, paid on the one thread all results funnel through); this form rebuilds it in ~7 µs.
 */
export interface EncodedValues {
  /** Tags and operands; transferred, not copied. */
  codes: Int32Array<ArrayBuffer>
  strings: string[]
  shapes: string[][]
  numbers: number[]
}

// Tags of encoded values.
const UNDEFINED = 0
const NULL = 1
const FALSE = 2
const TRUE = 3
const NUMBER = 4
const STRING = 5
const ARRAY = 6
const OBJECT = 7

interface ShapeNode {
  next: Map<string, ShapeNode>
  id: number
}

/** Encode a JSON-like value (objects, arrays, strings, numbers, booleans, null, undefined) for {@link decodeValues}. */
export function encodeValues(value: unknown): EncodedValues {
  const strings: string[] = []
  const stringIds = new Map<string, number>()
  const shapes: string[][] = []
  // Shapes are found through a trie of their keys, cheaper than joining each object's keys into a map key.
  const shapeRoot: ShapeNode = { next: new Map(), id: -1 }
  const numbers: number[] = []
  let codes = new Int32Array(4096)
  let length = 0
  const push = (code: number): void => {
    if (length === codes.length) {
      const grown = new Int32Array(length * 2)
      grown.set(codes)
      codes = grown
    }
    codes[length++] = code
  }
  const walk = (v: unknown): void => {
    switch (typeof v) {
      case 'undefined':
        push(UNDEFINED)
        return
      case 'boolean':
        push(v ? TRUE : FALSE)
        return
      case 'number':
        push(NUMBER)
        push(numbers.push(v) - 1)
        return
      case 'string': {
        let id = stringIds.get(v)
        if (id === undefined) {
          id = strings.push(v) - 1
          stringIds.set(v, id)
        }
        push(STRING)
        push(id)
        return
      }
      case 'object': {
        if (v === null) {
          push(NULL)
          return
        }
        if (Array.isArray(v)) {
          push(ARRAY)
          push(v.length)
          for (const item of v) walk(item)
          return
        }
        const record = v as Record<string, unknown>
        const keys = Object.keys(record)
        let shape = shapeRoot
        for (const key of keys) {
          let next = shape.next.get(key)
          if (next === undefined) {
            next = { next: new Map(), id: -1 }
            shape.next.set(key, next)
          }
          shape = next
        }
        if (shape.id === -1) shape.id = shapes.push(keys) - 1
        const id = shape.id
        push(OBJECT)
        push(id)
        for (const key of keys) walk(record[key])
        return
      }
      default:
        throw new TypeError(`cannot encode a ${typeof v} in a batch result`)
    }
  }
  walk(value)
  return { codes: codes.slice(0, length), strings, shapes, numbers }
}

/** Rebuild the value {@link encodeValues} encoded (fresh objects and arrays; strings are shared). */
export function decodeValues(encoded: EncodedValues): unknown {
  const { codes, strings, shapes, numbers } = encoded
  let at = 0
  const read = (): unknown => {
    switch (codes[at++]) {
      case UNDEFINED:
        return undefined
      case NULL:
        return null
      case FALSE:
        return false
      case TRUE:
        return true
      case NUMBER:
        return numbers[codes[at++] as number]
      case STRING:
        return strings[codes[at++] as number]
      case ARRAY: {
        const array: unknown[] = new Array(codes[at++] as number)
        for (let i = 0; i < array.length; i++) array[i] = read()
        return array
      }
      case OBJECT: {
        const keys = shapes[codes[at++] as number] as string[]
        const record: Record<string, unknown> = {}
        for (const key of keys) record[key] = read()
        return record
      }
      default:
        throw new TesseraError('ERR_INTERNAL', 'a batch result from a worker thread is corrupt')
    }
  }
  return read()
}

const poolWorkers = new WeakMap<VerifierPool, () => readonly Worker[]>()

/** @internal The live worker threads of a pool, for tests that make one fail. Not exported by the package. */
export function verifierPoolWorkers(pool: VerifierPool): readonly Worker[] {
  return poolWorkers.get(pool)?.() ?? []
}

function invalid(message: string): InputError {
  return new InputError('ERR_INPUT_INVALID', message)
}

function readThreads(threads: unknown): number {
  if (threads === undefined) return Math.min(availableParallelism(), MAX_VERIFIER_THREADS)
  if (
    typeof threads !== 'number' ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > MAX_VERIFIER_THREADS
  ) {
    throw invalid(
      `"threads" must be an integer from 1 to ${MAX_VERIFIER_THREADS}, got ${describeValue(threads)}`,
    )
  }
  return threads
}

function readLimits(limits: unknown): Limits {
  if (limits === undefined) return DEFAULT_LIMITS
  if (!isJsonObject(limits)) throw invalid(`"limits" must be an object, got ${describeValue(limits)}`)
  for (const [name, value] of Object.entries(limits)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) {
      throw invalid(
        `"limits" has no member ${JSON.stringify(name)}; known: ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
      )
    }
    const least = name.toLowerCase().includes('clocktolerance') ? 0 : 1
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < least)) {
      throw invalid(`"limits.${name}" must be an integer of at least ${least}, got ${describeValue(value)}`)
    }
  }
  return Object.freeze({ ...DEFAULT_LIMITS, ...(limits as Partial<Limits>) })
}

function readAlgorithms(algorithms: unknown): readonly JwsAlg[] {
  if (algorithms === undefined) return ['EdDSA']
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isJwsAlg)) {
    throw invalid(`"algorithms" must be a non-empty list of JWS algorithms, got ${describeValue(algorithms)}`)
  }
  return [...algorithms]
}

function readClockTolerance(tolerance: unknown): number | undefined {
  if (tolerance === undefined) return undefined
  const max = DEFAULT_LIMITS.maxClockToleranceSec
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > max) {
    throw invalid(`"clockToleranceSec" must be a number from 0 to ${max}, got ${describeValue(tolerance)}`)
  }
  return tolerance
}

function readItem(item: unknown, index: number, challenges: ChallengeStore | undefined): BatchWorkerItem {
  const at = `"items[${index}]`
  if (!isJsonObject(item)) throw invalid(`${at}" must be an object, got ${describeValue(item)}`)
  const { presentation, domain, request, challenge } = item
  if (typeof presentation !== 'string') {
    throw invalid(
      `${at}.presentation" must be a vp+jwt compact JWS string, got ${describeValue(presentation)}`,
    )
  }
  if (typeof domain !== 'string' || domain.length === 0) {
    throw invalid(`${at}.domain" must be a non-empty string, got ${describeValue(domain)}`)
  }
  const wire: BatchWorkerItem = { presentation, domain }
  if (request !== undefined) {
    try {
      wire.request = validateRequest(request as Permission)
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      throw new InputError(err.code as InputErrorCode, `${at}.request": ${err.message}`, { cause: err })
    }
  }
  if (challenge !== undefined) {
    if (typeof challenge !== 'string' || challenge.length === 0) {
      throw invalid(`${at}.challenge" must be a non-empty string, got ${describeValue(challenge)}`)
    }
    if (challenges === undefined) {
      throw invalid(`"challenges" (a ChallengeStore) is required with ${at}.challenge" to enforce single use`)
    }
    wire.challenge = challenge
  }
  return wire
}

/** An exception a worker reported for one item, as the error `verifyPresentation` threw. */
function reviveError(failure: BatchWorkerFailure, index: number): TesseraError {
  const { code, message } = failure
  const options = failure.details === undefined ? undefined : { details: failure.details }
  if (code === undefined || !isErrorCode(code)) {
    return new TesseraError('ERR_INTERNAL', `verifying items[${index}] failed in a worker thread: ${message}`)
  }
  switch (errorFamily(code)) {
    case 'input':
      return new InputError(code as InputErrorCode, message, options)
    case 'environment':
      return new EnvironmentError(code as EnvironmentErrorCode, message, options)
    case 'identity':
      return new IdentityError(code as IdentityErrorCode, message, options)
    case 'verification':
      return new VerificationError(code as VerificationErrorCode, message, options)
    case 'policy':
      return new PolicyError(code as PolicyErrorCode, message, options)
    default:
      return new TesseraError(code, message, options)
  }
}

/**
 * Start a pool of worker threads that verify presentations in parallel, each exactly as
 * {@link verifyPresentation} would with the pool's `trust`, `limits`, `algorithms` and `clockToleranceSec`
 * (the workers run that same function; `now` is fixed per batch, default the time of the call).
 *
 * What stays in the main thread:
 * - Challenges. The single-use challenge store lives in the main thread (it is a database). An item with a
 *   `challenge` is verified in a worker up to redemption; the pool then redeems, in input order, with the
 *   batch's `challenges` store and the worker finishes the Decision with the outcome, so a forged or
 *   mistargeted presentation never burns a challenge and two items with the same challenge resolve as they
 *   would one after the other. An item without `challenge` is verified without one; its decision carries the
 *   presentation's `nonce`, for callers that redeem after the batch.
 * - Status. The pool has no status checker yet (a serializable status list snapshot may come later): a
 *   credential carrying `credentialStatus` fails closed with `ERR_STATUS_UNCHECKABLE`, exactly as
 *   `verifyPresentation` without `status` does.
 *
 * Threads are released (`unref`) while idle, so an idle pool does not keep the process alive; `close()` stops
 * them. A worker that stops while holding part of a batch rejects that batch with `ERR_INTERNAL` and is
 * replaced.
 *
 * @throws InputError `ERR_INPUT_INVALID` for bad options, `ERR_TRUST_BUNDLE_INVALID` for an invalid `trust`.
 */
export function createVerifierPool(options: VerifierPoolOptions): VerifierPool {
  if (!isJsonObject(options)) throw invalid(`"options" must be an object, got ${describeValue(options)}`)
  const threads = readThreads(options.threads)
  const setup: BatchWorkerSetup = {
    trust: parseTrustBundle(options.trust),
    limits: readLimits(options.limits),
    algorithms: readAlgorithms(options.algorithms),
    clockToleranceSec: readClockTolerance(options.clockToleranceSec),
  }

  const slots = new Set<Slot>()
  const jobs = new Map<number, Chunk>()
  const active = new Set<Batch>()
  let queue: Chunk[] = []
  let nextJob = 0
  let closing: Promise<void> | undefined

  const send = (slot: Slot, message: ToBatchWorker): void => {
    slot.worker.postMessage(message)
  }

  const release = (slot: Slot, chunk: Chunk): void => {
    jobs.delete(chunk.job)
    slot.chunks.delete(chunk)
    if (slot.chunks.size === 0) slot.worker.unref()
  }

  const settle = (batch: Batch, err?: unknown): void => {
    if (batch.settled) return
    batch.settled = true
    active.delete(batch)
    if (err === undefined) {
      batch.resolve(batch.results)
      return
    }
    batch.reject(err)
    // Queued chunks are skipped by dispatch; chunks being verified finish and are dropped; chunks waiting
    // for redemption outcomes are let go.
    for (const chunk of batch.chunks) {
      if (chunk.slot !== undefined && !chunk.verifying && jobs.has(chunk.job)) {
        send(chunk.slot, { type: 'cancel', job: chunk.job })
        release(chunk.slot, chunk)
      }
    }
  }

  const dispatch = (): void => {
    while (queue.length > 0) {
      let slot: Slot | undefined
      for (const candidate of slots) {
        if (candidate.verifying < IN_FLIGHT_PER_WORKER && (!slot || candidate.verifying < slot.verifying)) {
          slot = candidate
        }
      }
      if (slot === undefined) return
      const chunk = queue.shift() as Chunk
      if (chunk.batch.settled) continue
      chunk.slot = slot
      chunk.verifying = true
      slot.verifying++
      slot.chunks.add(chunk)
      jobs.set(chunk.job, chunk)
      slot.worker.ref()
      send(slot, { type: 'verify', job: chunk.job, now: chunk.batch.now.getTime(), items: chunk.items })
    }
  }

  const verified = (chunk: Chunk): void => {
    if (!chunk.verifying) return
    chunk.verifying = false
    if (chunk.slot) chunk.slot.verifying--
    chunk.batch.verifyingLeft--
  }

  const redeem = async (batch: Batch): Promise<void> => {
    const chunks = batch.redeeming.sort((a, b) => a.offset - b.offset)
    const store = batch.challenges as ChallengeStore
    try {
      const outcomes: ChallengeOutcome[][] = []
      for (const chunk of chunks) {
        const list: ChallengeOutcome[] = []
        for (const index of chunk.redeemIndices) {
          const item = chunk.items[index] as BatchWorkerItem
          if (batch.settled) return
          list.push(
            await store.consume({ challenge: item.challenge as string, domain: item.domain, now: batch.now }),
          )
        }
        outcomes.push(list)
      }
      if (batch.settled) return
      chunks.forEach((chunk, k) => {
        if (chunk.slot) send(chunk.slot, { type: 'outcomes', job: chunk.job, outcomes: outcomes[k] ?? [] })
      })
    } catch (err) {
      settle(batch, err)
    }
  }

  const maybeRedeem = (batch: Batch): void => {
    if (batch.settled || batch.redeemStarted || batch.verifyingLeft > 0 || batch.redeeming.length === 0)
      return
    batch.redeemStarted = true
    void redeem(batch)
  }

  const onMessage = (slot: Slot, message: FromBatchWorker): void => {
    if (message.type === 'ready') {
      slot.ready = true
      return
    }
    const chunk = jobs.get(message.job)
    if (chunk === undefined || chunk.slot !== slot) return
    const { batch } = chunk
    if (message.type === 'redeem') {
      verified(chunk)
      if (batch.settled) {
        // The batch failed meanwhile: nothing will be redeemed, let the waiting items go.
        send(slot, { type: 'cancel', job: chunk.job })
        release(slot, chunk)
        dispatch()
        return
      }
      chunk.redeemIndices = message.indices
      batch.redeeming.push(chunk)
      maybeRedeem(batch)
    } else {
      verified(chunk)
      release(slot, chunk)
      const failure = message.failures[0]
      if (failure !== undefined) {
        settle(batch, reviveError(failure, chunk.offset + failure.index))
      } else if (!batch.settled) {
        const decisions = decodeValues(message.decisions) as BatchDecision[]
        decisions.forEach((decision, i) => {
          batch.results[chunk.offset + i] = decision
        })
        batch.chunksLeft--
        if (batch.chunksLeft === 0) settle(batch)
        else maybeRedeem(batch)
      }
    }
    dispatch()
  }

  const onExit = (slot: Slot, exitCode: number): void => {
    slots.delete(slot)
    if (closing) return
    const cause = slot.error
    const reason = cause instanceof Error ? `: ${cause.message}` : ''
    const error = new TesseraError(
      'ERR_INTERNAL',
      `a verifier worker thread stopped (exit code ${exitCode})${reason}`,
      cause === undefined ? undefined : { cause },
    )
    for (const chunk of [...slot.chunks]) {
      release(slot, chunk)
      settle(chunk.batch, error)
    }
    if (slot.ready) {
      spawn()
    } else if (slots.size === 0) {
      // It could not even start (a missing build, a bad environment): fail what waits rather than retry in a
      // loop; the next batch tries again.
      for (const chunk of queue) settle(chunk.batch, error)
      queue = []
    }
    dispatch()
  }

  const spawn = (): void => {
    const worker = new Worker(WORKER_URL, { workerData: setup })
    worker.unref()
    const slot: Slot = { worker, ready: false, verifying: 0, chunks: new Set(), error: undefined }
    slots.add(slot)
    worker.on('message', (message: FromBatchWorker) => onMessage(slot, message))
    worker.on('error', (err) => {
      slot.error = err
    })
    worker.on('messageerror', (err) => {
      slot.error = err
      void worker.terminate()
    })
    worker.on('exit', (exitCode) => onExit(slot, exitCode))
  }

  const fill = (): void => {
    while (slots.size < threads) spawn()
  }
  fill()

  const pool: VerifierPool = {
    threads,

    async verifyBatch(items, batchOptions = {}) {
      if (closing) throw invalid('the verifier pool is closed')
      if (!Array.isArray(items)) throw invalid(`"items" must be an array, got ${describeValue(items)}`)
      if (!isJsonObject(batchOptions as unknown)) {
        throw invalid(`"options" must be an object, got ${describeValue(batchOptions)}`)
      }
      const { challenges } = batchOptions
      if (challenges !== undefined && typeof challenges?.consume !== 'function') {
        throw invalid(`"challenges" must be a ChallengeStore, got ${describeValue(challenges)}`)
      }
      const now = batchOptions.now ?? new Date()
      if (!(now instanceof Date) || !Number.isFinite(now.getTime()))
        throw invalid(`"now" must be a valid Date`)
      const wire = items.map((item, i) => readItem(item, i, challenges))
      if (wire.length === 0) return []

      fill()
      const size = Math.min(
        MAX_CHUNK,
        Math.max(MIN_CHUNK, Math.ceil(wire.length / (threads * CHUNKS_PER_THREAD))),
      )
      const count = Math.ceil(wire.length / size)
      return new Promise<BatchDecision[]>((resolve, reject) => {
        const batch: Batch = {
          results: new Array(wire.length),
          now,
          challenges,
          chunks: [],
          chunksLeft: count,
          verifyingLeft: count,
          redeeming: [],
          redeemStarted: false,
          settled: false,
          resolve,
          reject,
        }
        for (let offset = 0; offset < wire.length; offset += size) {
          batch.chunks.push({
            batch,
            job: nextJob++,
            offset,
            items: wire.slice(offset, offset + size),
            slot: undefined,
            verifying: false,
            redeemIndices: [],
          })
        }
        active.add(batch)
        queue.push(...batch.chunks)
        dispatch()
      })
    },

    close() {
      if (!closing) {
        const error = invalid('the verifier pool was closed before the batch finished')
        for (const batch of [...active]) settle(batch, error)
        queue = []
        closing = Promise.all([...slots].map((slot) => slot.worker.terminate())).then(() => undefined)
      }
      return closing
    },
  }
  poolWorkers.set(pool, () => [...slots].map((slot) => slot.worker))
  return pool
}
