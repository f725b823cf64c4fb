import { createHash } from 'node:crypto'
import { canonicalJson, canonicalJsonSlow } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import {
  type AuditEntry,
  type AuditEntryInput,
  auditDigest,
  canonicalEntry,
  entryHash,
  GENESIS_HASH,
  parseAuditEntry,
  prepareEntry,
} from './entry.js'

const ORG = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'

const entry: AuditEntry = {
  seq: 1,
  time: '2025-01-31T12:00:00.000Z',
  actor: ORG,
  type: 'access.denied',
  subject: 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp',
  data: { resource: 'tickets/42', action: 'read', outcome: 'denied', reasons: ['ERR_VC_EXPIRED'], n: 1e21 },
  prevHash: GENESIS_HASH,
}

describe('RFC 8785 canonical JSON', () => {
  // the RFC 8785 §3.2.3 sort-order example is tested with canonicalJson itself, in packages/core
  it('orders array-index-like member names by code units too, not as JS enumerates them', () => {
    const value = { '9': 'nine', '10': 'ten', b: { '2': [{ '1': 1, '0': 0 }] }, a: 1 }
    expect(canonicalJson(value)).toBe('{"10":"ten","9":"nine","a":1,"b":{"2":[{"0":0,"1":1}]}}')
    const withIndexNames: AuditEntry = { ...entry, data: value }
    expect(canonicalEntry(withIndexNames)).toBe(canonicalJsonSlow(withIndexNames))
  })

  it('takes the native fast path only when it gives the same bytes as the slow path', () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const names = ['a', 'B', 'é', '€', 'z9', '_', 'aa', '\u00e9', '1', '01', '😀', 'x y']
    const make = (depth: number): unknown => {
      const r = random()
      if (depth > 3 || r < 0.3) return [null, true, 0, -1.5, 1e21, 'x', 'é"\\\n'][Math.floor(random() * 7)]
      if (r < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1))
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [
          names[Math.floor(random() * names.length)],
          make(depth + 1),
        ]),
      )
    }
    for (let i = 0; i < 2000; i++) {
      const value = make(0)
      expect(canonicalJson(value)).toBe(canonicalJsonSlow(value))
    }
  })

  it('writes numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.3333333, 4.5])).toBe(
      '[1e+21,1e-7,0.000001,0,333333333.3333333,4.5]',
    )
  })
})

describe('audit entries', () => {
  it('has canonical bytes: sorted members, subject omitted when absent', () => {
    expect(canonicalEntry(entry)).toBe(canonicalJson(entry))
    expect(canonicalEntry(entry).startsWith('{"actor":')).toBe(true)
    const { subject: _, ...withoutSubject } = entry
    expect(canonicalEntry(withoutSubject)).toBe(canonicalJson(withoutSubject))
    expect(canonicalEntry(withoutSubject)).not.toContain('subject')
  })

  it('hashes as an RFC 9162 leaf: SHA-256(0x00 || UTF-8 canonical bytes)', () => {
    const expected = createHash('sha256')
      .update(Buffer.from([0]))
      .update(Buffer.from(canonicalJson(entry), 'utf8'))
      .digest('hex')
    expect(entryHash(entry)).toBe(expected)
    expect(entryHash({ ...entry, data: { ...entry.data, outcome: 'allowed' } })).not.toBe(expected)
    expect(auditDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(auditDigest({ b: 1, a: 2 })).toBe(auditDigest('{"a":2,"b":1}'))
  })

  it('accepts a valid input and canonicalizes its data', () => {
    const prepared = prepareEntry({ actor: ORG, type: 'role.granted', data: { z: 1, a: [true, null] } })
    expect(prepared.dataJson).toBe('{"a":[true,null],"z":1}')
    expect(prepared.time).toBeUndefined()
    expect(prepareEntry({ actor: ORG, type: 'agent.created', time: new Date(0) }).time).toBe(
      '1970-01-01T00:00:00.000Z',
    )
  })

  it.each<[string, Partial<AuditEntryInput> & Record<string, unknown>]>([
    ['an actor that is not a DID', { actor: 'alice' }],
    ['an actor with a control character', { actor: 'did:key:z6Mk\n' }],
    ['an unknown type', { type: 'agent.deleted' as never }],
    ['an empty subject', { subject: '' }],
    ['data that is an array', { data: [] as never }],
    ['a whole JWS in data', { data: { vp: 'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5In0.c2lnbmF0dXJl' } }],
    ['a secret in data', { data: { nested: { privateKeyHex: 'ab' } } }],
    ['a password in data', { data: { password: 'x' } }],
    ['a lone surrogate', { data: { s: '\ud800' } }],
    ['a non-finite number', { data: { n: Number.NaN } }],
    ['a function', { data: { f: (() => 1) as never } }],
    ['a class instance', { data: { d: new Date() as never } }],
    ['nesting too deep', { data: { a: { b: { c: { d: { e: { f: { g: { h: {} } } } } } } } } }],
    ['data too long', { data: { s: 'x'.repeat(17 * 1024) } }],
    ['a malformed time', { time: '2025-01-31 12:00' }],
    ['a non-UTC time', { time: '2025-01-31T12:00:00+01:00' }],
  ])('refuses %s with ERR_INPUT_INVALID', (_, patch) => {
    const input = { actor: ORG, type: 'agent.created', ...patch } as AuditEntryInput
    expect(() => prepareEntry(input)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }))
  })

  it('parses an entry from untrusted JSON strictly (ERR_AUDIT_MALFORMED)', () => {
    const stored = { ...entry, leafHash: entryHash(entry) }
    expect(parseAuditEntry(JSON.parse(JSON.stringify(stored)))).toEqual(stored)
    for (const bad of [
      null,
      [],
      { ...entry, extra: 1 },
      { ...entry, seq: 0 },
      { ...entry, seq: '1' },
      { ...entry, time: 'yesterday' },
      { ...entry, type: 'nope' },
      { ...entry, data: 'x' },
      { ...entry, prevHash: 'AB'.repeat(32) },
      { ...entry, leafHash: 'zz' },
      { ...entry, subject: 42 },
    ]) {
      expect(() => parseAuditEntry(bad)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_MALFORMED' }))
    }
  })
})
