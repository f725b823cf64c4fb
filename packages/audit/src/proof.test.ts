import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { credentialsMigrations } from '@tessera/credentials'
import { type Home, initHome, openHome } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entryHash } from './entry.js'
import {
  type ConsistencyProofFile,
  type InclusionProofFile,
  proveConsistency,
  proveInclusion,
  verifyProofFile,
} from './proof.js'
import { appendAudit, auditMigrations, createCheckpoint } from './store.js'

const migrations = [...credentialsMigrations, ...auditMigrations]
let root: string
let home: Home
let other: Home
let orgDid: string

async function makeHome(name: string): Promise<Home> {
  await initHome({ dir: join(root, name), org: name, env: {}, migrations })
  return openHome({ dir: join(root, name), env: {}, migrations })
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-audit-proof-'))
  home = await makeHome('acme')
  other = await makeHome('globex')
  orgDid = home.org.did
  for (let batch = 0; batch < 4; batch++) {
    await appendAudit(
      home,
      Array.from({ length: 10 }, (_, i) => ({
        actor: orgDid,
        type: 'access.allowed' as const,
        subject: `did:example:agent-${i}`,
        data: { batch, i },
      })),
    )
  }
  await appendAudit(other, [{ actor: other.org.did, type: 'agent.created' }])
})
afterAll(async () => {
  await home.close()
  await other.close()
  rmSync(root, { recursive: true, force: true })
})

/** A file as a third party receives it: JSON text, read back into a fresh object. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T
const hexFlip = (hex: string) => `${hex[0] === 'a' ? 'b' : 'a'}${hex.slice(1)}`

describe('inclusion proof files', () => {
  it('proves every entry against the checkpoint, verifiable from the file and the DID alone', async () => {
    for (const seq of [1, 2, 17, 39, 40]) {
      const file = await proveInclusion(home, { seq })
      expect(file).toMatchObject({ type: 'TesseraInclusionProof', orgDid, size: 40, leafIndex: seq - 1 })
      expect(file.leafHash).toBe(entryHash(file.entry))
      const result = verifyProofFile(JSON.stringify(file), { orgDid })
      expect(result).toMatchObject({ ok: true, type: 'TesseraInclusionProof', checkpoint: { size: 40 } })
      expect(result.entry).toEqual(file.entry)
    }
    // at an older size, with the checkpoint of that size
    const old = await proveInclusion(home, { seq: 5, size: 12 })
    expect(old.size).toBe(12)
    expect(verifyProofFile(old, { orgDid }).ok).toBe(true)
    await expect(proveInclusion(home, { seq: 13, size: 12 })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    })
    await expect(proveInclusion(home, { seq: 0 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })

  it('rejects altered, foreign and malformed files with their codes', async () => {
    const file = roundTrip(await proveInclusion(home, { seq: 17 }))
    const otherFile = roundTrip(await proveInclusion(other, { seq: 1 }))
    const edited = { ...file.entry, data: { ...file.entry.data, i: 99 } }
    const otherSize = roundTrip(await proveInclusion(home, { seq: 17, size: 20 }))
    const cases: [string, unknown, string, string?][] = [
      ['an edited entry', { ...file, entry: edited }, 'ERR_AUDIT_PROOF_INVALID', 'leaf-hash-mismatch'],
      [
        'an edited entry with its hash recomputed',
        { ...file, entry: edited, leafHash: entryHash(edited) },
        'ERR_AUDIT_PROOF_INVALID',
        'root-mismatch',
      ],
      [
        'a flipped proof hash',
        { ...file, proof: [hexFlip(file.proof[0] as string), ...file.proof.slice(1)] },
        'ERR_AUDIT_PROOF_INVALID',
        'root-mismatch',
      ],
      [
        'a truncated proof',
        { ...file, proof: file.proof.slice(0, -1) },
        'ERR_AUDIT_PROOF_INVALID',
        'proof-too-short',
      ],
      [
        'an extended proof',
        { ...file, proof: [...file.proof, file.leafHash] },
        'ERR_AUDIT_PROOF_INVALID',
        'proof-too-long',
      ],
      [
        'swapped proof hashes',
        { ...file, proof: [file.proof[1], file.proof[0], ...file.proof.slice(2)] },
        'ERR_AUDIT_PROOF_INVALID',
        'root-mismatch',
      ],
      ['another leaf index', { ...file, leafIndex: 17 }, 'ERR_AUDIT_PROOF_INVALID', 'size-mismatch'],
      ['another size', { ...file, size: 41 }, 'ERR_AUDIT_PROOF_INVALID', 'size-mismatch'],
      [
        "another size's checkpoint",
        { ...file, checkpoint: otherSize.checkpoint },
        'ERR_AUDIT_PROOF_INVALID',
        'size-mismatch',
      ],
      [
        "another organisation's checkpoint",
        { ...file, checkpoint: otherFile.checkpoint },
        'ERR_AUDIT_CHECKPOINT_INVALID',
      ],
      ["another organisation's file", otherFile, 'ERR_AUDIT_CHECKPOINT_INVALID'],
      [
        'a forged checkpoint',
        { ...file, checkpoint: `${file.checkpoint.slice(0, -4)}AAAA` },
        'ERR_AUDIT_CHECKPOINT_INVALID',
      ],
      ['an unknown member', { ...file, note: 'trust me' }, 'ERR_AUDIT_MALFORMED'],
      ['an unknown type', { ...file, type: 'TesseraProof' }, 'ERR_AUDIT_MALFORMED'],
      ['an entry with extra members', { ...file, entry: { ...file.entry, extra: 1 } }, 'ERR_AUDIT_MALFORMED'],
      ['a proof hash that is not hex', { ...file, proof: ['zz'] }, 'ERR_AUDIT_MALFORMED'],
      ['not JSON', '{"type":', 'ERR_AUDIT_MALFORMED'],
      ['an array', '[]', 'ERR_AUDIT_MALFORMED'],
      ['an oversized file', `"${'x'.repeat(200 * 1024)}"`, 'ERR_SIZE_LIMIT'],
    ]
    for (const [what, bad, code, reason] of cases) {
      const result = verifyProofFile(typeof bad === 'string' ? bad : JSON.stringify(bad), { orgDid })
      expect(result.ok, what).toBe(false)
      expect(result.error?.code, what).toBe(code)
      if (reason !== undefined) expect(result.error?.reason, what).toBe(reason)
    }
  })
})

describe('consistency proof files', () => {
  it('proves that the log at size2 extends the log at size1', async () => {
    for (const [from, to] of [
      [1, 40],
      [12, 40],
      [16, 33],
      [40, 40],
      [0, 7],
    ] as const) {
      const file = await proveConsistency(home, { from, to })
      expect(file).toMatchObject({ type: 'TesseraConsistencyProof', orgDid, size1: from, size2: to })
      const result = verifyProofFile(JSON.stringify(file), { orgDid })
      expect(result, `${from}→${to}`).toMatchObject({
        ok: true,
        previous: { size: from },
        checkpoint: { size: to },
      })
    }
    await expect(proveConsistency(home, { from: 41 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })

  it('rejects a broken proof and flags a checkpoint the verifier kept that disagrees', async () => {
    const file: ConsistencyProofFile = roundTrip(await proveConsistency(home, { from: 12, to: 40 }))
    const flipped = { ...file, proof: file.proof.map((p, i) => (i === 0 ? hexFlip(p) : p)) }
    expect(verifyProofFile(flipped, { orgDid }).error).toMatchObject({ code: 'ERR_AUDIT_PROOF_INVALID' })
    expect(verifyProofFile({ ...file, proof: [] }, { orgDid }).error).toMatchObject({
      code: 'ERR_AUDIT_PROOF_INVALID',
      reason: 'empty-proof',
    })
    const swapped = { ...file, checkpoint1: file.checkpoint2, checkpoint2: file.checkpoint1 }
    expect(verifyProofFile(swapped, { orgDid }).error).toMatchObject({
      code: 'ERR_AUDIT_PROOF_INVALID',
      reason: 'size-mismatch',
    })
    // the verifier kept another root for size 12: the organisation signed two histories
    const kept = { size: 12, root: 'ab'.repeat(32) }
    expect(verifyProofFile(file, { orgDid, checkpoint: kept }).error).toMatchObject({
      code: 'ERR_AUDIT_TAMPERED',
    })
    const inclusion: InclusionProofFile = await proveInclusion(home, { seq: 3, size: 12 })
    expect(verifyProofFile(inclusion, { orgDid, checkpoint: kept }).error).toMatchObject({
      code: 'ERR_AUDIT_TAMPERED',
    })
    const same = (await createCheckpoint(home, { size: 12 })).payload
    expect(verifyProofFile(file, { orgDid, checkpoint: same }).ok).toBe(true)
  })
})
