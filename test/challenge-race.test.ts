import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createChallenge,
  createPresentation,
  credentialsMigrations,
  type Decision,
  issueRoleCredential,
} from '@tessera/credentials'
import { createAgentIdentity, initHome, openHome } from '@tessera/identity'
import { addTrust, emptyTrustBundle, parsePermission, saveTrustBundle } from '@tessera/policy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliAsync, tempDir } from './helpers.js'

const PROCESSES = 6
let temp: ReturnType<typeof tempDir>

beforeAll(() => {
  temp = tempDir('race')
})
afterAll(() => temp.cleanup())

describe('challenges are single-use across processes', () => {
  it(`exactly one of ${PROCESSES} concurrent verifier processes accepts the same challenge`, async () => {
    const migrations = credentialsMigrations
    const acmeDir = join(temp.dir, 'acme')
    const globexDir = join(temp.dir, 'globex')
    await initHome({ dir: acmeDir, org: 'Acme', env: {}, migrations })
    await initHome({ dir: globexDir, org: 'Globex', env: {}, migrations })
    const acme = await openHome({ dir: acmeDir, env: {}, migrations })
    const globex = await openHome({ dir: globexDir, env: {}, migrations })
    const domain = 'globex.example'
    const trustFile = join(temp.dir, 'trust.json')
    let presentationFile: string
    let challenge: string
    try {
      const agent = await createAgentIdentity(acme, { name: 'bot', type: 'support-agent' })
      const issued = await issueRoleCredential(acme, {
        agent: agent.did,
        role: 'support-agent',
        permissions: [parsePermission('read:tickets/*')],
      })
      await saveTrustBundle(
        trustFile,
        addTrust(emptyTrustBundle(), {
          org: 'Acme',
          issuer: acme.org.did,
          role: 'support-agent',
          permissions: ['read:*'],
        }),
      )
      challenge = (await createChallenge(globex, { domain })).challenge
      const presentation = await createPresentation(acme, {
        holder: agent.did,
        credentials: [issued.jwt],
        challenge,
        domain,
      })
      presentationFile = join(temp.dir, 'vp.jwt')
      writeFileSync(presentationFile, presentation)
    } finally {
      await acme.close()
      await globex.close()
    }
    const runs = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        runCliAsync([
          'verify',
          '--presentation',
          presentationFile,
          '--domain',
          domain,
          '--trust',
          trustFile,
          '--challenge',
          challenge,
          '--home',
          globexDir,
          '--json',
        ]),
      ),
    )
    const decisions = runs.map((r) => ({ code: r.code, decision: r.json() as Decision }))
    const accepted = decisions.filter((d) => d.code === 0)
    expect(accepted).toHaveLength(1)
    expect(accepted[0]?.decision.verified).toBe(true)
    for (const d of decisions.filter((x) => x.code !== 0)) {
      expect(d.code).toBe(1)
      expect(d.decision.errors.map((e) => e.code)).toEqual(['ERR_CHALLENGE_USED'])
    }
  })
})
