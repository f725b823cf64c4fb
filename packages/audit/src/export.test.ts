import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { credentialsMigrations } from '@tessera/credentials'
import { type Home, initHome, openHome } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signCheckpoint } from './checkpoint.js'
import { entryHash } from './entry.js'
import { exportAudit, verifyExport } from './export.js'
import { appendAudit, auditMigrations, createCheckpoint, listAudit } from './store.js'
import { verifyLog } from './verify.js'

const migrations = [...credentialsMigrations, ...auditMigrations]
let root: string
let home: Home
let other: Home
let orgDid: string
let lines: string[]

async function makeHome(name: string): Promise<Home> {
  await initHome({ dir: join(root, name), org: name, env: {}, migrations })
  return openHome({ dir: join(root, name), env: {}, migrations })
}

async function collect(source: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const line of source) out.push(line)
  return out
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-audit-export-'))
  home = await makeHome('acme')
  other = await makeHome('globex')
  orgDid = home.org.did
  await appendAudit(
    home,
    Array.from({ length: 25 }, (_, i) => ({
      actor: orgDid,
      type: i % 5 === 0 ? ('role.granted' as const) : ('access.allowed' as const),
      ...(i % 3 === 0 ? {} : { subject: `did:example:agent-${i}` }),
      data: { i, unicode: 'Zürich → 東京 😀', nested: { list: [1, 2.5, null, true] } },
    })),
  )
  lines = await collect(exportAudit(home))
})
afterAll(async () => {
  await home.close()
  await other.close()
  rmSync(root, { recursive: true, force: true })
})

describe('exportAudit / verifyExport', () => {
  it('exports every entry losslessly, then the checkpoint line', async () => {
    expect(lines).toHaveLength(26)
    const stored = await listAudit(home, { limit: 10_000 })
    expect(lines.slice(0, 25).map((l) => JSON.parse(l))).toEqual(stored)
    const last = JSON.parse(lines[25] as string) as { checkpoint: string }
    expect(Object.keys(last)).toEqual(['checkpoint'])
    for (const line of lines.slice(0, 25)) {
      const { leafHash, ...entry } = JSON.parse(line)
      expect(entryHash(entry)).toBe(leafHash)
    }
  })

  it('verifies from the lines and the DID alone, also streamed from a file', async () => {
    const result = await verifyExport(lines, { orgDid })
    const checkpoint = (await createCheckpoint(home)).payload
    expect(result).toEqual({ ok: true, size: 25, root: checkpoint.root, checkpoint })
    const file = join(root, 'audit.jsonl')
    writeFileSync(file, `${lines.join('\r\n')}\r\n`)
    const streamed = await verifyExport(
      createInterface({ input: createReadStream(file), crlfDelay: Infinity }),
      {
        orgDid,
      },
    )
    expect(streamed.ok).toBe(true)
    // a partial export (first 10 entries) with its own checkpoint
    const partial = await collect(exportAudit(home, { size: 10 }))
    expect(partial).toHaveLength(11)
    expect(await verifyExport(partial, { orgDid })).toMatchObject({ ok: true, size: 10 })
    expect(
      await verifyExport(lines, { orgDid, checkpoint: (await createCheckpoint(home, { size: 10 })).token }),
    ).toMatchObject({
      ok: true,
    })
  })

  it('finds every alteration of an export, with its code and first bad entry', async () => {
    const entries = lines.slice(0, 25)
    const checkpointLine = lines[25] as string
    const edit = (i: number, patch: (e: Record<string, unknown>) => void) =>
      entries.map((line, j) => {
        if (j !== i) return line
        const value = JSON.parse(line) as Record<string, unknown>
        patch(value)
        return JSON.stringify(value)
      })
    const otherCheckpoint = (await collect(exportAudit(other))).at(-1) as string
    const cases: [string, string[], string, { seq: number; reason: string }?][] = [
      [
        'an edited entry',
        [
          ...edit(7, (e) => {
            e.actor = 'did:example:mallory'
          }),
          checkpointLine,
        ],
        'ERR_AUDIT_TAMPERED',
        { seq: 8, reason: 'hash-mismatch' },
      ],
      [
        'a deleted entry',
        [...entries.filter((_, j) => j !== 4), checkpointLine],
        'ERR_AUDIT_TAMPERED',
        { seq: 5, reason: 'seq-gap' },
      ],
      [
        'swapped entries',
        [
          ...entries.slice(0, 3),
          entries[4] as string,
          entries[3] as string,
          ...entries.slice(5),
          checkpointLine,
        ],
        'ERR_AUDIT_TAMPERED',
        { seq: 4, reason: 'reordered' },
      ],
      [
        'the newest entries removed',
        [...entries.slice(0, 20), checkpointLine],
        'ERR_AUDIT_TAMPERED',
        { seq: 21, reason: 'truncated' },
      ],
      ['the checkpoint line removed', entries, 'ERR_AUDIT_TAMPERED', { seq: 26, reason: 'truncated' }],
      [
        'an entry appended before the checkpoint',
        [...entries, entries[24] as string, checkpointLine],
        'ERR_AUDIT_TAMPERED',
        { seq: 26, reason: 'reordered' },
      ],
      ["another organisation's checkpoint", [...entries, otherCheckpoint], 'ERR_AUDIT_CHECKPOINT_INVALID'],
      ['a line after the checkpoint', [...lines, entries[0] as string], 'ERR_AUDIT_MALFORMED'],
      [
        'a line that is not JSON',
        [...entries.slice(0, 3), '{"seq":', ...entries.slice(4), checkpointLine],
        'ERR_AUDIT_MALFORMED',
      ],
      [
        'an entry with an extra member',
        [
          ...edit(2, (e) => {
            e.note = 1
          }),
          checkpointLine,
        ],
        'ERR_AUDIT_MALFORMED',
      ],
      ['a bad checkpoint line', [...entries, '{"checkpoint":"x","extra":1}'], 'ERR_AUDIT_MALFORMED'],
      ['an oversized line', [...entries, `"${'x'.repeat(40 * 1024)}"`, checkpointLine], 'ERR_SIZE_LIMIT'],
    ]
    for (const [what, altered, code, firstBad] of cases) {
      const result = await verifyExport(altered, { orgDid })
      expect(result.ok, what).toBe(false)
      expect(result.error?.code, what).toBe(code)
      if (firstBad !== undefined) expect(result.firstBad, what).toEqual(firstBad)
    }
  })

  it('catches a history rewritten with a fresh checkpoint, given one the verifier kept', async () => {
    const kept = (await createCheckpoint(home)).payload
    // an insider rewrites history and signs it: the export verifies on its own...
    const rewritten = [...lines.slice(0, 24)]
    const forged = JSON.parse(lines[24] as string) as Record<string, unknown>
    forged.data = { i: 24, rewritten: true }
    delete forged.leafHash
    forged.leafHash = entryHash(forged as never)
    rewritten.push(JSON.stringify(forged))
    const { root: forgedRoot } = verifyLog(rewritten.map((l) => JSON.parse(l)))
    const resigned = await signCheckpoint(home, { size: 25, root: forgedRoot })
    rewritten.push(JSON.stringify({ checkpoint: resigned.token }))
    expect(await verifyExport(rewritten, { orgDid })).toMatchObject({ ok: true, size: 25 })
    // ...but against the checkpoint the verifier kept from before, it does not
    const result = await verifyExport(rewritten, { orgDid, checkpoint: kept })
    expect(result.firstBad).toEqual({ seq: 25, reason: 'checkpoint-mismatch' })
    expect(result.error?.code).toBe('ERR_AUDIT_TAMPERED')
  })
})
