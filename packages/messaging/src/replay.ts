/**
 * Replay protection for DIDComm messages: each accepted message is remembered by sender and `id` until its
 * `expires_time` (DIDComm Messaging v2 §"Message Headers": `id` MUST be unique to the sender). Every message
 * Tessera accepts carries an `expires_time` at most {@link MAX_MESSAGE_LIFETIME_SEC} after its `created_time`,
 * so what must be remembered is bounded by the message rate times that lifetime.
 */
import { InputError, toNumericDate } from '@tessera/core'
import type { Home } from '@tessera/identity'

/** Remembers the messages an agent accepted until they expire. */
export interface ReplayStore {
  /**
   * Record that `sender` sent a message with `id`, valid until `expiresAt` (epoch seconds). True when the
   * message is new; false when it was already recorded and has not expired (a replay). Atomic.
   */
  remember(request: { sender: string; id: string; expiresAt: number; now: Date }): Promise<boolean>
}

/** How often (in accepted messages) a store drops expired entries. */
const PRUNE_EVERY = 256

/**
 * The home's replay store: one row per accepted message in `tessera_didcomm_seen` (the messaging migration),
 * inserted with `ON CONFLICT DO NOTHING`, so two processes serving one agent from one database never both
 * accept the same message, and a restarted process still refuses a message it accepted before the restart.
 * Expired rows are deleted as new ones arrive.
 */
export function homeReplayStore(home: Home): ReplayStore {
  let accepted = 0
  return {
    remember: ({ sender, id, expiresAt, now }) =>
      home.transaction(async () => {
        const t = toNumericDate(now)
        if (++accepted % PRUNE_EVERY === 1) {
          await home.dataSource.query(`DELETE FROM "tessera_didcomm_seen" WHERE "expires_at" < ?`, [t])
        }
        // A row left behind by an expired message with the same id is no reason to refuse a new one.
        await home.dataSource.query(
          `DELETE FROM "tessera_didcomm_seen" WHERE "sender" = ? AND "id" = ? AND "expires_at" < ?`,
          [sender, id, t],
        )
        const inserted = (await home.dataSource.query(
          `INSERT INTO "tessera_didcomm_seen" ("sender", "id", "expires_at") VALUES (?, ?, ?)
           ON CONFLICT DO NOTHING RETURNING "id"`,
          [sender, id, expiresAt],
        )) as unknown[]
        return inserted.length === 1
      }),
  }
}

/** Default cap on the entries of a {@link memoryReplayStore}. */
export const DEFAULT_MAX_REPLAY_ENTRIES = 100_000

/**
 * A replay store in this process's memory, for tests and embedded agents that do not restart within a
 * message's lifetime. Bounded: expired entries are dropped first; when `maxEntries` unexpired entries are held,
 * a new message is refused (`remember` answers false) rather than forgetting one that could still be replayed.
 */
export function memoryReplayStore(options: { maxEntries?: number } = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_REPLAY_ENTRIES
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InputError('ERR_INPUT_INVALID', `"maxEntries" must be a positive integer, got ${maxEntries}`)
  }
  const seen = new Map<string, number>()
  return {
    async remember({ sender, id, expiresAt, now }) {
      const t = toNumericDate(now)
      const key = `${sender} ${id}`
      const held = seen.get(key)
      if (held !== undefined && held >= t) return false
      if (seen.size >= maxEntries) {
        for (const [k, expiry] of seen) if (expiry < t) seen.delete(k)
        if (seen.size >= maxEntries) return false
      }
      seen.set(key, expiresAt)
      return true
    },
  }
}
