import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  type Hash,
  inclusionProof,
  leafHash,
  type MerkleFailure,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'

const h = (hex: string): Buffer => Buffer.from(hex, 'hex')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// The Certificate Transparency reference tree used by transparency-dev/merkle (proof/verify_test.go) and
// Google's earlier CT/trillian tests: eight leaf inputs, the roots of the trees of size 1..8, and known proofs.
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(h)
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
]
const CONSISTENCY_VECTORS: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
]

/** An independent MTH straight from RFC 9162 §2.1.1's recursive definition, with node:crypto's streaming API. */
function naiveMth(data: readonly Uint8Array[]): Buffer {
  const sha = (...parts: Uint8Array[]) => {
    const hash = createHash('sha256')
    for (const p of parts) hash.update(p)
    return hash.digest()
  }
  if (data.length === 0) return sha()
  if (data.length === 1) return sha(Buffer.from([0]), data[0] as Uint8Array)
  let k = 1
  while (k * 2 < data.length) k *= 2
  return sha(Buffer.from([1]), naiveMth(data.slice(0, k)), naiveMth(data.slice(k)))
}

const DATA_64 = Array.from({ length: 64 }, (_, i) => Buffer.from(`entry ${i}`))
const HASHES_64 = DATA_64.map((d) => leafHash(d))
const NAIVE_ROOTS = Array.from({ length: 65 }, (_, n) => naiveMth(DATA_64.slice(0, n)))
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456')

describe('RFC 9162 §2.1.1 Merkle Tree Hash', () => {
  it('hashes the empty tree, leaves and nodes with the 0x00 / 0x01 prefixes', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hex(leafHash(Buffer.alloc(0)))).toBe(ROOTS[0])
    expect(hex(leafHash('abc'))).toBe(hex(leafHash(Buffer.from('abc'))))
    const [a, b] = [leafHash(LEAVES[0] as Buffer), leafHash(LEAVES[1] as Buffer)]
    expect(hex(nodeHash(a, b))).toBe(ROOTS[1])
  })

  it('matches the CT reference roots for trees of size 0..8', () => {
    const hashes = LEAVES.map((d) => leafHash(d))
    expect(hex(rootHash([]))).toBe(hex(EMPTY_ROOT))
    for (let n = 1; n <= 8; n++) {
      expect(hex(rootHash(hashes, n)), `size ${n}`).toBe(ROOTS[n - 1])
      expect(hex(naiveMth(LEAVES.slice(0, n))), `naive size ${n}`).toBe(ROOTS[n - 1])
    }
  })

  it('agrees with the naive recursive definition for every size up to 64, built incrementally', () => {
    const range = new CompactRange()
    expect(hex(range.root())).toBe(hex(NAIVE_ROOTS[0] as Buffer))
    for (let n = 1; n <= 64; n++) {
      range.append(HASHES_64[n - 1] as Hash)
      expect(hex(range.root()), `size ${n}`).toBe(hex(NAIVE_ROOTS[n] as Buffer))
      expect(hex(rootHash(HASHES_64, n))).toBe(hex(NAIVE_ROOTS[n] as Buffer))
      // a range can be saved (size + hashes) and resumed
      const resumed = CompactRange.from(range.size, range.hashes())
      expect(hex(resumed.root())).toBe(hex(range.root()))
    }
  })

  it('refuses a compact range whose hash count does not match its size', () => {
    expect(() => CompactRange.from(3, [SOME_HASH])).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
    expect(() => nodeHash(SOME_HASH, Buffer.alloc(31))).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
  })
})

describe('RFC 9162 §2.1.3 inclusion proofs', () => {
  it('reproduces the CT reference inclusion proofs', () => {
    const hashes = LEAVES.map((d) => leafHash(d))
    for (const v of INCLUSION_VECTORS) {
      expect(inclusionProof(hashes, v.index, v.size).map(hex), `${v.index}/${v.size}`).toEqual(v.proof)
      const check = verifyInclusion({
        leafHash: hashes[v.index] as Hash,
        index: v.index,
        size: v.size,
        proof: v.proof.map(h),
        root: h(ROOTS[v.size - 1] as string),
      })
      expect(check).toEqual({ ok: true })
    }
  })

  it('verifies every (index, size) up to 64 and rejects every corrupted probe', () => {
    const wrong: string[] = []
    let probes = 0
    for (let size = 1; size <= 64; size++) {
      const root = NAIVE_ROOTS[size] as Buffer
      for (let index = 0; index < size; index++) {
        const leaf = HASHES_64[index] as Hash
        const proof = inclusionProof(HASHES_64, index, size)
        if (!verifyInclusion({ leafHash: leaf, index, size, proof, root }).ok) wrong.push(`${index}/${size}`)
        for (const probe of inclusionProbes({ leafHash: leaf, index, size, proof, root })) {
          const check = verifyInclusion(probe.args)
          if (check.ok || !probe.reasons.includes(check.reason)) {
            wrong.push(`${probe.desc} for ${index}/${size}: ${check.ok ? 'verified' : check.reason}`)
          }
          probes++
        }
      }
    }
    expect(wrong).toEqual([])
    expect(probes).toBeGreaterThan(30_000)
  })

  it('rejects malformed arguments and out-of-range indexes with the RFC step that fails', () => {
    const leaf = leafHash('data')
    // a 1-leaf tree: the root is the leaf hash and the proof is empty
    expect(verifyInclusion({ leafHash: leaf, index: 0, size: 1, proof: [], root: leaf })).toEqual({
      ok: true,
    })
    expect(verifyInclusion({ leafHash: leaf, index: 0, size: 1, proof: [], root: EMPTY_ROOT })).toEqual({
      ok: false,
      reason: 'root-mismatch',
    })
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [1, 1],
    ] as const) {
      expect(verifyInclusion({ leafHash: leaf, index, size, proof: [], root: leaf })).toEqual({
        ok: false,
        reason: 'index-out-of-range',
      })
    }
    for (const bad of [
      { leafHash: Buffer.alloc(0), index: 0, size: 1, proof: [], root: leaf },
      { leafHash: leaf, index: 0, size: 1, proof: [], root: Buffer.alloc(31) },
      { leafHash: leaf, index: -1, size: 1, proof: [], root: leaf },
      { leafHash: leaf, index: 0.5, size: 1, proof: [], root: leaf },
      { leafHash: leaf, index: 0, size: 2, proof: [Buffer.from('WrongLeaf')], root: leaf },
    ]) {
      expect(verifyInclusion(bad)).toEqual({ ok: false, reason: 'malformed' })
    }
    expect(() => inclusionProof(HASHES_64, 5, 5)).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
    expect(() => inclusionProof(HASHES_64, 0, 65)).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
  })

  it('works past 2^32 leaves (arithmetic, not 32-bit bit operations)', () => {
    // A proof for the last leaf of a tree of 2^33 + 1 leaves: one sibling, the left subtree of 2^33 leaves.
    const size = 2 ** 33 + 1
    const left = SOME_HASH
    const leaf = leafHash('last')
    const root = nodeHash(left, leaf)
    expect(verifyInclusion({ leafHash: leaf, index: size - 1, size, proof: [left], root })).toEqual({
      ok: true,
    })
    expect(verifyInclusion({ leafHash: leaf, index: size - 2, size, proof: [left], root }).ok).toBe(false)
  })
})

describe('RFC 9162 §2.1.4 consistency proofs', () => {
  it('reproduces the CT reference consistency proofs', () => {
    const hashes = LEAVES.map((d) => leafHash(d))
    for (const v of CONSISTENCY_VECTORS) {
      expect(consistencyProof(hashes, v.size1, v.size2).map(hex), `${v.size1}/${v.size2}`).toEqual(v.proof)
      const check = verifyConsistency({
        size1: v.size1,
        size2: v.size2,
        root1: h(ROOTS[v.size1 - 1] as string),
        root2: h(ROOTS[v.size2 - 1] as string),
        proof: v.proof.map(h),
      })
      expect(check).toEqual({ ok: true })
    }
  })

  it('verifies every (size1, size2) up to 64 and rejects every corrupted probe', () => {
    const wrong: string[] = []
    let probes = 0
    for (let size2 = 0; size2 <= 64; size2++) {
      for (let size1 = 0; size1 <= size2; size1++) {
        const root1 = NAIVE_ROOTS[size1] as Buffer
        const root2 = NAIVE_ROOTS[size2] as Buffer
        const proof = consistencyProof(HASHES_64, size1, size2)
        const args = { size1, size2, root1, root2, proof }
        if (!verifyConsistency(args).ok) wrong.push(`${size1}/${size2}`)
        if (size1 === 0 || size1 === size2) {
          if (proof.length !== 0) wrong.push(`${size1}/${size2} has a proof`)
          continue
        }
        for (const probe of consistencyProbes(args)) {
          const check = verifyConsistency(probe.args)
          if (check.ok || !probe.reasons.includes(check.reason)) {
            wrong.push(`${probe.desc} for ${size1}/${size2}: ${check.ok ? 'verified' : check.reason}`)
          }
          probes++
        }
      }
    }
    expect(wrong).toEqual([])
    expect(probes).toBeGreaterThan(30_000)
  })

  it('decides the cases outside 0 < size1 < size2 explicitly', () => {
    const r1 = leafHash('one')
    const r2 = leafHash('two')
    const cases: [number, number, Hash, Hash, Hash[], MerkleFailure | 'ok'][] = [
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [], 'ok'],
      [0, 0, r1, r1, [], 'root1-mismatch'],
      [0, 5, EMPTY_ROOT, r2, [], 'ok'], // the empty tree is consistent with every tree
      [0, 5, r1, r2, [], 'root1-mismatch'],
      [0, 5, EMPTY_ROOT, r2, [EMPTY_ROOT], 'proof-not-empty'],
      [1, 1, r2, r2, [], 'ok'],
      [1, 1, r1, r2, [], 'root2-mismatch'],
      [1, 1, r1, r1, [EMPTY_ROOT], 'proof-not-empty'],
      [1, 0, r1, r2, [], 'size-order'],
      [2, 1, r1, r2, [], 'size-order'],
      [1, 2, r1, r2, [], 'empty-proof'],
    ]
    for (const [size1, size2, root1, root2, proof, expected] of cases) {
      expect(verifyConsistency({ size1, size2, root1, root2, proof }), `${size1}/${size2}`).toEqual(
        expected === 'ok' ? { ok: true } : { ok: false, reason: expected },
      )
    }
    expect(() => consistencyProof(HASHES_64, 3, 2)).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    )
  })
})

type InclusionArgs = Parameters<typeof verifyInclusion>[0]
type ConsistencyArgs = Parameters<typeof verifyConsistency>[0]

const flip = (proof: readonly Hash[], i: number, bit: number): Hash[] =>
  proof.map((p, j) => {
    if (j !== i) return p
    const copy = Buffer.from(p)
    copy[0] = (copy[0] as number) ^ bit
    return copy
  })

/**
 * The corruptions transparency-dev/merkle probes (proof/verify_test.go), plus swapped neighbours. Like theirs,
 * the size probes are * 2 and / 2: §2.1.3.2 binds the size only through the shape of the path, so size ± 1
 * can verify where the path is the same (leaf 0 of 3 and of 4 leaves); the size that counts is the one the
 * checkpoint signs together with the root.
 */
function inclusionProbes(
  a: InclusionArgs,
): { desc: string; args: InclusionArgs; reasons: MerkleFailure[] }[] {
  const { index, size, proof, root } = a
  const any: MerkleFailure[] = ['root-mismatch', 'proof-too-long', 'proof-too-short', 'index-out-of-range']
  const probes: { desc: string; args: InclusionArgs; reasons: MerkleFailure[] }[] = [
    { desc: 'index + 1', args: { ...a, index: index + 1 }, reasons: any },
    { desc: 'index ^ 2', args: { ...a, index: index ^ 2 }, reasons: any },
    { desc: 'size * 2', args: { ...a, size: size * 2 }, reasons: any },
    { desc: 'index = size', args: { ...a, index: size }, reasons: ['index-out-of-range'] },
    { desc: 'wrong leaf', args: { ...a, leafHash: SOME_HASH }, reasons: ['root-mismatch'] },
    { desc: 'empty-tree root', args: { ...a, root: EMPTY_ROOT }, reasons: ['root-mismatch'] },
    { desc: 'random root', args: { ...a, root: SOME_HASH }, reasons: ['root-mismatch'] },
    { desc: 'trailing root', args: { ...a, proof: [...proof, root] }, reasons: ['proof-too-long'] },
    { desc: 'preceding root', args: { ...a, proof: [root, ...proof] }, reasons: ['proof-too-long'] },
    { desc: 'trailing garbage', args: { ...a, proof: [...proof, Buffer.alloc(0)] }, reasons: ['malformed'] },
  ]
  if (index > 0) probes.push({ desc: 'index - 1', args: { ...a, index: index - 1 }, reasons: any })
  if (size > 1) probes.push({ desc: 'size / 2', args: { ...a, size: Math.floor(size / 2) }, reasons: any })
  for (let i = 0; i < proof.length; i++) {
    probes.push({
      desc: `proof[${i}] bit 3 flipped`,
      args: { ...a, proof: flip(proof, i, 8) },
      reasons: ['root-mismatch'],
    })
  }
  if (proof.length > 0) {
    probes.push({
      desc: 'truncated',
      args: { ...a, proof: proof.slice(0, -1) },
      reasons: ['proof-too-short'],
    })
    probes.push({ desc: 'empty proof', args: { ...a, proof: [] }, reasons: ['proof-too-short'] })
  }
  if (proof.length > 1) {
    const inserted = [proof[0] as Hash, SOME_HASH, ...proof.slice(1)]
    probes.push({ desc: 'inserted component', args: { ...a, proof: inserted }, reasons: ['proof-too-long'] })
    const swapped = [proof[1] as Hash, proof[0] as Hash, ...proof.slice(2)]
    probes.push({ desc: 'swapped', args: { ...a, proof: swapped }, reasons: ['root-mismatch'] })
  }
  return probes
}

function consistencyProbes(
  a: ConsistencyArgs,
): { desc: string; args: ConsistencyArgs; reasons: MerkleFailure[] }[] {
  const { size1, size2, root1, root2, proof } = a
  const any: MerkleFailure[] = [
    'root1-mismatch',
    'root2-mismatch',
    'proof-too-long',
    'proof-too-short',
    'size-order',
    'proof-not-empty',
  ]
  const roots: MerkleFailure[] = ['root1-mismatch', 'root2-mismatch']
  const probes: { desc: string; args: ConsistencyArgs; reasons: MerkleFailure[] }[] = [
    { desc: 'size1 - 1', args: { ...a, size1: size1 - 1 }, reasons: any },
    { desc: 'size1 + 1', args: { ...a, size1: size1 + 1 }, reasons: any },
    { desc: 'size1 ^ 2', args: { ...a, size1: size1 ^ 2 }, reasons: any },
    { desc: 'size2 * 2', args: { ...a, size2: size2 * 2 }, reasons: any },
    { desc: 'size2 / 2', args: { ...a, size2: Math.floor(size2 / 2) }, reasons: any },
    { desc: 'size1 > size2', args: { ...a, size1: size2 + 1 }, reasons: ['size-order'] },
    // when size1 is a power of 2, root1 is the seed of both chains (§2.1.4.2 step 2): a wrong one shows in sr
    { desc: 'wrong root1', args: { ...a, root1: SOME_HASH }, reasons: roots },
    { desc: 'wrong root2', args: { ...a, root2: SOME_HASH }, reasons: ['root2-mismatch'] },
    { desc: 'swapped roots', args: { ...a, root1: root2, root2: root1 }, reasons: roots },
    { desc: 'empty proof', args: { ...a, proof: [] }, reasons: ['empty-proof'] },
    { desc: 'trailing garbage', args: { ...a, proof: [...proof, Buffer.alloc(0)] }, reasons: ['malformed'] },
    { desc: 'trailing root1', args: { ...a, proof: [...proof, root1] }, reasons: ['proof-too-long'] },
    { desc: 'trailing root2', args: { ...a, proof: [...proof, root2] }, reasons: ['proof-too-long'] },
    { desc: 'preceding root1', args: { ...a, proof: [root1, ...proof] }, reasons: ['proof-too-long'] },
    { desc: 'preceding root2', args: { ...a, proof: [root2, ...proof] }, reasons: ['proof-too-long'] },
    {
      desc: 'preceding proof[0]',
      args: { ...a, proof: [proof[0] as Hash, ...proof] },
      reasons: ['proof-too-long'],
    },
    {
      desc: 'truncated',
      args: { ...a, proof: proof.slice(0, -1) },
      reasons: ['proof-too-short', 'empty-proof'],
    },
  ]
  for (let i = 0; i < proof.length; i++) {
    probes.push({
      desc: `proof[${i}] bit 4 flipped`,
      args: { ...a, proof: flip(proof, i, 16) },
      reasons: roots,
    })
  }
  if (proof.length > 1) {
    const swapped = [proof[1] as Hash, proof[0] as Hash, ...proof.slice(2)]
    probes.push({ desc: 'swapped', args: { ...a, proof: swapped }, reasons: roots })
  }
  return probes
}
