import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { memoryReplayStore } from './replay.js'
import { ExpiringMap } from './session.js'

const now = new Date('2026-06-01T12:00:00Z')
const t = Math.floor(now.getTime() / 1000)

describe('memoryReplayStore', () => {
  it('accepts an id once per sender until it expires', async () => {
    const store = memoryReplayStore()
    expect(await store.remember({ sender: 'did:a', id: '1', expiresAt: t + 60, now })).toBe(true)
    expect(await store.remember({ sender: 'did:a', id: '1', expiresAt: t + 60, now })).toBe(false)
    expect(await store.remember({ sender: 'did:b', id: '1', expiresAt: t + 60, now })).toBe(true)
    const later = new Date(now.getTime() + 61_000)
    expect(await store.remember({ sender: 'did:a', id: '1', expiresAt: t + 120, now: later })).toBe(true)
  })

  it('is bounded: drops expired entries, then refuses rather than forgets', async () => {
    const store = memoryReplayStore({ maxEntries: 2 })
    expect(await store.remember({ sender: 's', id: '1', expiresAt: t + 1, now })).toBe(true)
    expect(await store.remember({ sender: 's', id: '2', expiresAt: t + 100, now })).toBe(true)
    expect(await store.remember({ sender: 's', id: '3', expiresAt: t + 100, now })).toBe(false)
    const later = new Date(now.getTime() + 5_000)
    expect(await store.remember({ sender: 's', id: '3', expiresAt: t + 100, now: later })).toBe(true)
    expect(await store.remember({ sender: 's', id: '2', expiresAt: t + 100, now: later })).toBe(false)
    expectError(() => memoryReplayStore({ maxEntries: 0 }), 'ERR_INPUT_INVALID')
  })
})

describe('ExpiringMap (sessions, handshakes in progress)', () => {
  it('forgets expired entries and evicts the oldest when full', () => {
    const map = new ExpiringMap<{ expiresAt: Date; v: number }>(2)
    const at = (ms: number) => new Date(now.getTime() + ms)
    map.set('a', { expiresAt: at(1_000), v: 1 }, now)
    map.set('b', { expiresAt: at(60_000), v: 2 }, now)
    expect(map.get('a', now)?.v).toBe(1)
    expect(map.get('a', at(2_000))).toBeUndefined()
    map.set('c', { expiresAt: at(60_000), v: 3 }, at(2_000))
    map.set('d', { expiresAt: at(60_000), v: 4 }, at(2_000))
    expect(map.values(at(2_000)).map((e) => e.v)).toEqual([3, 4])
    expect(map.delete('c')).toBe(true)
    expect(map.get('c', now)).toBeUndefined()
  })
})
