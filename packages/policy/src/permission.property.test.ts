/**
 * Property-style tests over seeded random data (no generator library): permission matching agrees with an
 * independent regular-expression model, and intersection is exactly "covered by both sides".
 */
import type { Permission } from '@tessera/core'
import { describe, expect, it } from 'vitest'
import { formatPermission, intersectPermissions, parsePermission, permissionCovers } from './permission.js'

/** mulberry32: a small deterministic PRNG, so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Small alphabets so random patterns and requests collide often.
const ACTIONS = ['read', 'write', 're']
const SEGMENTS = ['a', 'b', 'ab', 'a.b', 'ba', 'a-']

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T
}

function concretePath(random: () => number): string {
  const depth = 1 + Math.floor(random() * 3)
  return Array.from({ length: depth }, () => pick(random, SEGMENTS)).join('/')
}

function concreteRequest(random: () => number): Permission {
  return { action: pick(random, ACTIONS), resource: concretePath(random) }
}

function patternResource(random: () => number): string {
  const path = concretePath(random)
  const r = random()
  if (r < 0.1) return '*'
  if (r < 0.4) return `${path}/*`
  if (r < 0.55) return `${path}*`
  if (r < 0.7) {
    // a partial last segment: "a/a" + "*" where the segment would continue
    const cut = path.slice(0, 1 + Math.floor(random() * path.length))
    const candidate = `${cut}*`
    try {
      return parsePermission(`x:${candidate}`).resource
    } catch {
      return path
    }
  }
  return path
}

function pattern(random: () => number): Permission {
  return { action: random() < 0.25 ? '*' : pick(random, ACTIONS), resource: patternResource(random) }
}

function patterns(random: () => number): Permission[] {
  return Array.from({ length: Math.floor(random() * 5) }, () => pattern(random))
}

/** Independent model: `*` means "any characters" (only ever at the end), everything else is literal. */
function modelCovers(granted: Permission, requested: Permission): boolean {
  const toRegExp = (text: string) =>
    new RegExp(`^${text.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*')}$`)
  return (
    toRegExp(granted.action).test(requested.action) && toRegExp(granted.resource).test(requested.resource)
  )
}

const anyCovers = (set: readonly Permission[], request: Permission) =>
  set.some((g) => permissionCovers(g, request))

describe('permission properties', () => {
  it('generated patterns are valid and round-trip through the text form', () => {
    const random = prng(1)
    for (let i = 0; i < 2_000; i++) {
      const perm = pattern(random)
      const back = parsePermission(formatPermission(perm))
      if (back.action !== perm.action || back.resource !== perm.resource) expect.fail(formatPermission(perm))
    }
  })

  it('permissionCovers agrees with a regular-expression model', () => {
    const random = prng(2)
    let positives = 0
    for (let i = 0; i < 20_000; i++) {
      const granted = pattern(random)
      const request = concreteRequest(random)
      const expected = modelCovers(granted, request)
      if (expected) positives++
      if (permissionCovers(granted, request) !== expected) {
        expect.fail(`${formatPermission(granted)} vs ${formatPermission(request)}: expected ${expected}`)
      }
    }
    expect(positives).toBeGreaterThan(500)
  })

  it('covers(intersection, r) === covers(granted, r) && covers(ceiling, r)', () => {
    const random = prng(3)
    let positives = 0
    for (let trial = 0; trial < 2_000; trial++) {
      const granted = patterns(random)
      const ceiling = patterns(random)
      const effective = intersectPermissions(granted, ceiling)
      for (let k = 0; k < 25; k++) {
        const request = concreteRequest(random)
        const expected = anyCovers(granted, request) && anyCovers(ceiling, request)
        if (expected) positives++
        if (anyCovers(effective, request) !== expected) {
          expect.fail(
            `granted=${granted.map(formatPermission)} ceiling=${ceiling.map(formatPermission)} ` +
              `request=${formatPermission(request)}: expected ${expected}`,
          )
        }
      }
    }
    expect(positives).toBeGreaterThan(1_000)
  })

  it('intersection results are valid, unique, and each within some granted and some ceiling permission', () => {
    const random = prng(4)
    for (let trial = 0; trial < 2_000; trial++) {
      const granted = patterns(random)
      const ceiling = patterns(random)
      const effective = intersectPermissions(granted, ceiling)
      const texts = effective.map(formatPermission)
      expect(new Set(texts).size).toBe(texts.length)
      // is commutative as a set
      expect(new Set(intersectPermissions(ceiling, granted).map(formatPermission))).toEqual(new Set(texts))
      // never broader than either side: every concrete request it covers is covered by both
      for (let k = 0; k < 10; k++) {
        const request = concreteRequest(random)
        if (anyCovers(effective, request) && !(anyCovers(granted, request) && anyCovers(ceiling, request))) {
          expect.fail(
            `${effective.map(formatPermission)} is broader than its inputs at ${formatPermission(request)}`,
          )
        }
      }
    }
  })
})
