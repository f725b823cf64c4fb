/**
 * Group commit for the audit entries of verifier decisions: the entries of requests that arrive together are
 * appended in one `home.transaction`, and each request answers only after its entry is written (a failed write
 * fails the request, as on the CLI). Under load this turns one transaction per request into one per batch.
 */
import { type AuditEntryInput, appendAudit } from '@tessera/audit'
import type { Home } from '@tessera/identity'

interface Pending {
  entry: AuditEntryInput
  resolve: () => void
  reject: (err: unknown) => void
}

/** Most entries appended in one transaction. */
const MAX_BATCH = 256

/** An append queue over one home; `append` resolves once the entry is in the log. */
export interface AuditQueue {
  append(entry: AuditEntryInput): Promise<void>
  /** Resolves when everything queued so far is written (or failed). */
  drain(): Promise<void>
}

/** A queue that flushes on the next turn of the event loop, at most {@link MAX_BATCH} entries at a time. */
export function createAuditQueue(home: Home): AuditQueue {
  let queue: Pending[] = []
  let flushing: Promise<void> | undefined

  const writeBatch = async (batch: Pending[]): Promise<void> => {
    try {
      await home.transaction(() =>
        appendAudit(
          home,
          batch.map((p) => p.entry),
        ),
      )
      for (const p of batch) p.resolve()
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err)
        return
      }
      // One bad entry must not fail the others: write them one by one.
      for (const p of batch) await writeBatch([p])
    }
  }

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH)
      queue = queue.slice(MAX_BATCH)
      await writeBatch(batch)
    }
  }

  const schedule = (): void => {
    if (flushing !== undefined) return
    flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => {
      flushing = undefined
      if (queue.length > 0) schedule()
    })
  }

  return {
    append(entry) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ entry, resolve, reject })
        schedule()
      })
    },
    async drain() {
      while (flushing !== undefined) await flushing
    },
  }
}
