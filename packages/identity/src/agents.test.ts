import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TesseraError } from '@tessera/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { createAgentIdentity, getAgent, listAgents, requireActiveAgent, transitionAgent } from './agents.js'
import { type Home, initHome, openHome } from './home.js'

let root: string
let home: Home
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-agents-'))
  await initHome({ dir: join(root, 'home'), org: 'Acme', env: {} })
  home = await openHome({ dir: join(root, 'home'), env: {} })
})
afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

describe('agent identities', () => {
  it('creates an agent with its own did:key, key in the KMS and a profile', async () => {
    const agent = await createAgentIdentity(home, {
      name: 'Helpdesk bot',
      type: 'support-agent',
      owner: 'platform@acme.example',
      metadata: { team: 'support', tier: 2 },
    })
    expect(agent).toMatchObject({
      name: 'Helpdesk bot',
      type: 'support-agent',
      status: 'active',
      owner: 'platform@acme.example',
    })
    expect(agent.did).toMatch(/^did:key:z6Mk/)
    expect(agent.metadata).toEqual({ team: 'support', tier: 2 })
    const identifier = await home.agent.didManagerGet({ did: agent.did })
    expect(identifier.keys[0]?.type).toBe('Ed25519')
    // the key signs through the key manager
    const sig = await home.agent.keyManagerSign({
      keyRef: identifier.keys[0]?.kid ?? '',
      data: 'x',
      algorithm: 'EdDSA',
    })
    expect(sig.length).toBeGreaterThan(80)
    expect(await getAgent(home, agent.did)).toEqual(agent)
  })

  it('validates its inputs', async () => {
    const bad = [
      { name: '', type: 'support-agent' },
      { name: 'x'.repeat(129), type: 'support-agent' },
      { name: 'ok', type: 'Support Agent' },
      { name: 'ok', type: '' },
      { name: 'ok', type: 'a'.repeat(65) },
      { name: 'ok', type: 'support-agent', owner: '' },
      { name: 'ok', type: 'support-agent', metadata: [1, 2] },
      { name: 'ok', type: 'support-agent', metadata: 'text' },
      { name: 'ok', type: 'support-agent', metadata: { big: 'x'.repeat(17 * 1024) } },
      {
        name: 'ok',
        type: 'support-agent',
        metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } },
      },
    ]
    for (const input of bad) {
      expect(await codeOf(createAgentIdentity(home, input))).toBe('ERR_INPUT_INVALID')
    }
  })

  it('lists agents with filters', async () => {
    const analyst = await createAgentIdentity(home, { name: 'Analyst', type: 'data-analyst' })
    const all = await listAgents(home)
    expect(all.map((a) => a.did)).toContain(analyst.did)
    const analysts = await listAgents(home, { type: 'data-analyst' })
    expect(analysts.map((a) => a.did)).toEqual([analyst.did])
    expect(await listAgents(home, { status: 'retired' })).toEqual([])
    expect(await codeOf(listAgents(home, { status: 'sleeping' as never }))).toBe('ERR_INPUT_INVALID')
  })

  it('moves through the lifecycle and refuses illegal transitions', async () => {
    const agent = await createAgentIdentity(home, { name: 'Lifecycle', type: 'support-agent' })
    expect(await codeOf(transitionAgent(home, agent.did, 'resume'))).toBe('ERR_AGENT_TRANSITION')
    expect((await transitionAgent(home, agent.did, 'suspend')).status).toBe('suspended')
    expect(await codeOf(transitionAgent(home, agent.did, 'suspend'))).toBe('ERR_AGENT_TRANSITION')
    expect(await codeOf(requireActiveAgent(home, agent.did))).toBe('ERR_AGENT_INACTIVE')
    expect((await transitionAgent(home, agent.did, 'resume')).status).toBe('active')
    expect((await requireActiveAgent(home, agent.did)).did).toBe(agent.did)
    expect((await transitionAgent(home, agent.did, 'retire')).status).toBe('retired')
    // retired is final
    expect(await codeOf(transitionAgent(home, agent.did, 'resume'))).toBe('ERR_AGENT_TRANSITION')
    expect(await codeOf(transitionAgent(home, agent.did, 'suspend'))).toBe('ERR_AGENT_TRANSITION')
    expect(await codeOf(transitionAgent(home, agent.did, 'retire'))).toBe('ERR_AGENT_TRANSITION')
    expect((await getAgent(home, agent.did)).status).toBe('retired')
  })

  it('retires a suspended agent', async () => {
    const agent = await createAgentIdentity(home, { name: 'S', type: 'support-agent' })
    await transitionAgent(home, agent.did, 'suspend')
    expect((await transitionAgent(home, agent.did, 'retire')).status).toBe('retired')
  })

  it('runs lifecycle hooks inside the transaction: a failing hook undoes the transition', async () => {
    const agent = await createAgentIdentity(home, { name: 'Hooked', type: 'support-agent' })
    const seen: string[] = []
    home.hooks.agentTransition.push(async ({ transition, agent: a }) => {
      seen.push(`${transition}:${a.status}`)
      if (transition === 'retire') throw new TesseraError('ERR_DB_FAILURE', 'hook failed')
    })
    try {
      await transitionAgent(home, agent.did, 'suspend')
      expect(await codeOf(transitionAgent(home, agent.did, 'retire'))).toBe('ERR_DB_FAILURE')
      expect((await getAgent(home, agent.did)).status).toBe('suspended')
      expect(seen).toEqual(['suspend:suspended', 'retire:retired'])
    } finally {
      home.hooks.agentTransition.length = 0
    }
  })

  it('reports unknown agents', async () => {
    expect(await codeOf(getAgent(home, 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH'))).toBe(
      'ERR_AGENT_NOT_FOUND',
    )
    expect(await codeOf(transitionAgent(home, 'did:key:nope', 'suspend'))).toBe('ERR_AGENT_NOT_FOUND')
    expect(await codeOf(getAgent(home, ''))).toBe('ERR_INPUT_INVALID')
  })

  it('keeps concurrent creations consistent (in-process transactions are serialized)', async () => {
    const before = (await listAgents(home)).length
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createAgentIdentity(home, { name: `p${i}`, type: 'worker' })),
    )
    expect(new Set(made.map((a) => a.did)).size).toBe(20)
    expect((await listAgents(home)).length).toBe(before + 20)
    const [counts] = (await home.dataSource.query(
      `SELECT (SELECT count(*) FROM identifier) AS ids, (SELECT count(*) FROM "private-key") AS keys,
              (SELECT count(*) FROM tessera_agent) AS agents`,
    )) as { ids: number; keys: number; agents: number }[]
    // one identifier and key per agent, plus the organisation's
    expect(counts).toEqual({
      ids: counts?.agents ? counts.agents + 1 : -1,
      keys: (counts?.agents ?? 0) + 1,
      agents: counts?.agents,
    })
  })
})
