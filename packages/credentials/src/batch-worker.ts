/**
 * The worker thread behind {@link createVerifierPool} (`batch.ts`): it runs {@link verifyPresentation} over
 * chunks of presentations with the pool's trust bundle and options, received once in `workerData`.
 *
 * Protocol (Node.js `worker_threads` messages, structured clone):
 * - worker → pool `ready` once the trust bundle parsed;
 * - pool → worker `verify` with a chunk of items; worker → pool `done` with one decision or failure per item;
 * - when items carry a `challenge`, the worker has no challenge store (it lives in the main thread). Each
 *   such item that reaches redemption (an authentic presentation whose claims passed) waits there; once every
 *   item of the chunk has finished or is waiting, worker → pool `redeem` lists them, the pool redeems in input
 *   order and answers `outcomes`, and the waiting items finish with the real outcome: each Decision is
 *   exactly the one `verifyPresentation` with that store would return. `cancel` drops a chunk's waiters.
 *
 * Not public API: import `createVerifierPool` from the package instead.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { TesseraError } from '@tessera/core'
import { parseTrustBundle } from '@tessera/policy'
import { type EncodedValues, encodeValues } from './batch.js'
import type { ChallengeOutcome, ChallengeStore } from './challenge.js'
import type { JwsAlg } from './jws.js'
import { getOwn, isJsonObject, type Limits, parseJsonCapped } from './limits.js'
import { type Decision, verifyPresentation } from './verify.js'

/** What the pool passes to each worker once, as `workerData`. */
export interface BatchWorkerSetup {
  /** The pool's trust bundle as plain JSON; parsed again here (structured clone drops its freezing). */
  trust: unknown
  limits: Limits
  algorithms: readonly JwsAlg[]
  clockToleranceSec: number | undefined
}

/** One item as sent to a worker (already validated by the pool). */
export interface BatchWorkerItem {
  presentation: string
  domain: string
  request?: { action: string; resource: string }
  challenge?: string
}

/** A Decision plus the `nonce` the verified presentation carried. */
export type BatchWorkerDecision = Decision & { nonce?: string }

/** An exception `verifyPresentation` threw for one item, as data. */
export interface BatchWorkerFailure {
  index: number
  /** A Tessera error code, or undefined for anything else (a bug: the pool reports ERR_INTERNAL). */
  code: string | undefined
  message: string
  details?: Record<string, unknown>
}

/** Messages to a worker. */
export type ToBatchWorker =
  | { type: 'verify'; job: number; now: number; items: BatchWorkerItem[] }
  | { type: 'outcomes'; job: number; outcomes: ChallengeOutcome[] }
  | { type: 'cancel'; job: number }

/** Messages from a worker. */
export type FromBatchWorker =
  | { type: 'ready' }
  | { type: 'redeem'; job: number; indices: number[] }
  | {
      type: 'done'
      job: number
      /** `(BatchWorkerDecision | null)[]`, one per item in order, null where `failures` has the item. */
      decisions: EncodedValues
      failures: BatchWorkerFailure[]
    }

const port = parentPort
if (port === null) {
  throw new TesseraError('ERR_INTERNAL', 'batch-worker.js runs only as a worker thread of createVerifierPool')
}
const setup = workerData as BatchWorkerSetup
const trust = parseTrustBundle(setup.trust)
const { limits, algorithms, clockToleranceSec } = setup

/** Resolvers of items waiting at challenge redemption, by job, in the order of the `redeem` message. */
const waiting = new Map<number, ((outcome: ChallengeOutcome) => void)[]>()

function post(message: FromBatchWorker): void {
  port?.postMessage(message, message.type === 'done' ? [message.decisions.codes.buffer] : [])
}

/**
 * The `nonce` claim of a presentation whose signature verified (`holder` is only set then), so a caller that
 * redeems challenges itself knows which one to redeem. The token already passed the size and depth caps.
 */
function verifiedNonce(presentation: string, decision: Decision): string | undefined {
  if (decision.holder === undefined) return undefined
  const first = presentation.indexOf('.')
  const last = presentation.lastIndexOf('.')
  try {
    const payload = parseJsonCapped(
      Buffer.from(presentation.slice(first + 1, last), 'base64url').toString(),
      {
        maxDepth: limits.maxJsonDepth,
        maxLength: limits.maxPresentationTokenLength,
      },
    )
    const nonce = isJsonObject(payload) ? getOwn(payload, 'nonce') : undefined
    return typeof nonce === 'string' ? nonce : undefined
  } catch {
    return undefined
  }
}

function failure(index: number, err: unknown): BatchWorkerFailure {
  if (err instanceof TesseraError) {
    return err.details === undefined
      ? { index, code: err.code, message: err.message }
      : { index, code: err.code, message: err.message, details: err.details }
  }
  return { index, code: undefined, message: err instanceof Error ? err.message : String(err) }
}

function verifyChunk(job: number, nowMs: number, items: readonly BatchWorkerItem[]): void {
  const now = new Date(nowMs)
  const decisions: (BatchWorkerDecision | null)[] = new Array(items.length).fill(null)
  const failures: BatchWorkerFailure[] = []
  const redeeming = new Map<number, (outcome: ChallengeOutcome) => void>()
  // Items neither finished nor waiting at redemption, and items not finished.
  let running = items.length
  let unfinished = items.length
  let redeemSent = false

  const progress = (): void => {
    if (unfinished === 0) {
      waiting.delete(job)
      failures.sort((a, b) => a.index - b.index)
      post({ type: 'done', job, decisions: encodeValues(decisions), failures })
    } else if (running === 0 && !redeemSent) {
      redeemSent = true
      const indices = [...redeeming.keys()].sort((a, b) => a - b)
      waiting.set(
        job,
        indices.map((i) => redeeming.get(i) as (outcome: ChallengeOutcome) => void),
      )
      post({ type: 'redeem', job, indices })
    }
  }

  items.forEach((item, index) => {
    let redeemed = false
    const challenges: ChallengeStore | undefined =
      item.challenge === undefined
        ? undefined
        : {
            consume: () =>
              new Promise<ChallengeOutcome>((resolve) => {
                redeemed = true
                redeeming.set(index, resolve)
                running--
                progress()
              }),
          }
    verifyPresentation({
      presentation: item.presentation,
      domain: item.domain,
      trust,
      now,
      limits,
      algorithms,
      ...(clockToleranceSec === undefined ? {} : { clockToleranceSec }),
      ...(item.request === undefined ? {} : { request: item.request }),
      ...(challenges === undefined ? {} : { challenge: item.challenge, challenges }),
    })
      .then(
        (decision) => {
          const nonce = verifiedNonce(item.presentation, decision)
          decisions[index] = nonce === undefined ? decision : Object.assign(decision, { nonce })
        },
        (err: unknown) => {
          failures.push(failure(index, err))
        },
      )
      .finally(() => {
        if (!redeemed) running--
        unfinished--
        progress()
      })
  })
}

port.on('message', (message: ToBatchWorker) => {
  switch (message.type) {
    case 'verify':
      verifyChunk(message.job, message.now, message.items)
      break
    case 'outcomes': {
      const resolvers = waiting.get(message.job) ?? []
      waiting.delete(message.job)
      resolvers.forEach((resolve, i) => {
        resolve(message.outcomes[i] ?? 'unknown')
      })
      break
    }
    case 'cancel':
      waiting.delete(message.job)
      break
  }
})
post({ type: 'ready' })
