import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TesseraError } from '@tessera/core'
import {
  credentialsMigrations,
  issueRoleCredential,
  signCredentialJwt,
  veramoSigner,
} from '@tessera/credentials'
import { decodeCompactJws } from '@tessera/credentials/offline'
import { createAgentIdentity, type Home, initHome, openHome, transitionAgent } from '@tessera/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../test/expect-error.js'
import { Bitstring } from './bitstring.js'
import { decodeList } from './codec.js'
import { enableStatusLists, statusBaseUrl } from './home.js'
import {
  allocateStatusEntries,
  changeCredentialStatus,
  getCredentialStatus,
  validateStatusBaseUrl,
} from './issuer.js'
import { parseListCredential } from './list-credential.js'
import { statusMigrations } from './migrations.js'
import { permuteIndex } from './permutation.js'
import { publishStatusLists } from './publish.js'

const migrations = [...credentialsMigrations, ...statusMigrations]
let root: string
let home: Home
let agentDid: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-status-'))
  await initHome({ dir: join(root, 'acme'), org: 'Acme Corp', env: {}, migrations })
  home = await openHome({ dir: join(root, 'acme'), env: {}, migrations })
  enableStatusLists(home)
  agentDid = (await createAgentIdentity(home, { name: 'bot', type: 'support-agent' })).did
})
afterAll(async () => {
  await home.close()
  rmSync(root, { recursive: true, force: true })
})

const grant = () =>
  issueRoleCredential(home, {
    agent: agentDid,
    role: 'support-agent',
    permissions: [{ action: 'read', resource: 'tickets/*' }],
  })

const publish = async (out?: string, force = false) => {
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  return home.transaction(() =>
    publishStatusLists(home.dataSource, {
      issuer: home.org.did,
      baseUrl: statusBaseUrl(home),
      signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
      ...(out ? { outDir: out } : {}),
      force,
    }),
  )
}

const bitOf = (file: string, index: number) => {
  const token = readFileSync(file, 'utf8').trim()
  const { payload } = decodeCompactJws(token, {
    maxLength: 1 << 20,
    maxDepth: 16,
    expectedTyp: 'vc+jwt',
    allowedAlgs: ['EdDSA'],
  })
  const list = parseListCredential(payload)
  return decodeList(list.encodedList).get(index)
}

describe('keyed index permutation', () => {
  it('is a permutation of [0, length) for several lengths and keys', () => {
    for (const length of [2, 3, 1000, 4096, 5000]) {
      const key = Buffer.from(`key-${length}`)
      const seen = new Set<number>()
      for (let k = 0; k < length; k++) {
        const index = permuteIndex(key, k, length)
        expect(index).toBeGreaterThanOrEqual(0)
        expect(index).toBeLessThan(length)
        seen.add(index)
      }
      expect(seen.size).toBe(length)
    }
  })

  it('spreads consecutive positions: indexes do not reveal issuance order', () => {
    const key = Buffer.from('spread')
    const first = Array.from({ length: 100 }, (_, k) => permuteIndex(key, k, 131_072))
    const increasing = first.filter((v, i) => i > 0 && v > (first[i - 1] as number)).length
    expect(increasing).toBeGreaterThan(20)
    expect(increasing).toBeLessThan(80)
    expect(new Set(first.map((i) => Math.floor(i / 16_384))).size).toBeGreaterThan(4)
  })
})

describe('issuer-side status lists', () => {
  it('gives every role credential a revocation and a suspension entry at one random index', async () => {
    const issued = await grant()
    expect(issued.statusEntries).toHaveLength(2)
    const [revocation, suspension] = issued.statusEntries as Record<string, string>[]
    expect(revocation).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' })
    expect(suspension).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'suspension' })
    expect(revocation?.statusListIndex).toBe(suspension?.statusListIndex)
    expect(revocation?.statusListCredential).toBe('https://acme-corp.tessera.invalid/status/1-revocation')
    const state = await getCredentialStatus(home.dataSource, issued.id)
    expect(state).toMatchObject({ revoked: false, suspended: false, listNumber: 1 })
    expect(String(state.index)).toBe(revocation?.statusListIndex)
  })

  it('never puts two credentials on one index', async () => {
    const all = await Promise.all(Array.from({ length: 30 }, () => grant()))
    const rows = (await home.dataSource.query(
      `SELECT "list_number", "status_index", count(*) AS n FROM "tessera_status_entry" GROUP BY 1, 2 HAVING n > 1`,
    )) as unknown[]
    expect(rows).toEqual([])
    expect(new Set(all.map((c) => c.statusEntries[0]?.statusListIndex)).size).toBe(30)
  })

  it('starts a new list when one is full', async () => {
    await home.transaction(async () => {
      await home.dataSource.query(
        `UPDATE "tessera_status_list" SET "allocated" = "length" WHERE "list_number" = 1`,
      )
    })
    const issued = await grant()
    expect(issued.statusEntries[0]?.statusListCredential).toMatch(/\/2-revocation$/)
    expect((await getCredentialStatus(home.dataSource, issued.id)).listNumber).toBe(2)
  })

  it('revokes for good, suspends and reinstates, idempotently', async () => {
    const { id } = await grant()
    const change = (action: 'revoke' | 'suspend' | 'reinstate') =>
      home.transaction(() => changeCredentialStatus(home.dataSource, { credentialId: id, action }))
    expect(await change('suspend')).toMatchObject({
      suspended: true,
      suspendedBy: ['credential'],
      changed: true,
    })
    expect(await change('suspend')).toMatchObject({ suspended: true, changed: false })
    expect(await change('reinstate')).toMatchObject({ suspended: false, changed: true })
    expect(await change('revoke')).toMatchObject({ revoked: true, changed: true })
    expect(await change('revoke')).toMatchObject({ revoked: true, changed: false })
    expect(await codeOf(change('reinstate'))).toBe('ERR_STATUS_REVOKED_FINAL')
    expect(await codeOf(change('suspend'))).toBe('ERR_STATUS_REVOKED_FINAL')
    expect(
      await codeOf(
        home.transaction(() =>
          changeCredentialStatus(home.dataSource, { credentialId: 'urn:uuid:nope', action: 'revoke' }),
        ),
      ),
    ).toBe('ERR_CREDENTIAL_NOT_FOUND')
  })

  it('follows the agent: suspension by agent is lifted on resume, a credential suspension is not; retirement revokes', async () => {
    const agent = (await createAgentIdentity(home, { name: 'follower', type: 'support-agent' })).did
    const a = await issueRoleCredential(home, {
      agent,
      role: 'r',
      permissions: [{ action: 'read', resource: 'x' }],
    })
    const b = await issueRoleCredential(home, {
      agent,
      role: 'r',
      permissions: [{ action: 'read', resource: 'x' }],
    })
    await home.transaction(() =>
      changeCredentialStatus(home.dataSource, { credentialId: b.id, action: 'suspend' }),
    )
    await transitionAgent(home, agent, 'suspend')
    expect(await getCredentialStatus(home.dataSource, a.id)).toMatchObject({
      suspended: true,
      suspendedBy: ['agent'],
    })
    expect(await getCredentialStatus(home.dataSource, b.id)).toMatchObject({
      suspendedBy: ['credential', 'agent'],
    })
    await transitionAgent(home, agent, 'resume')
    expect(await getCredentialStatus(home.dataSource, a.id)).toMatchObject({ suspended: false })
    expect(await getCredentialStatus(home.dataSource, b.id)).toMatchObject({
      suspended: true,
      suspendedBy: ['credential'],
    })
    await transitionAgent(home, agent, 'retire')
    expect(await getCredentialStatus(home.dataSource, a.id)).toMatchObject({ revoked: true })
    expect(await getCredentialStatus(home.dataSource, b.id)).toMatchObject({ revoked: true })
  })

  it('publishes signed list credentials, re-signing only the lists that changed', async () => {
    const out = join(root, 'published')
    const first = await publish(out)
    expect(first.length).toBeGreaterThanOrEqual(4)
    expect(first.every((l) => l.resigned)).toBe(true)
    const again = await publish(out)
    expect(again.every((l) => !l.resigned)).toBe(true)
    expect(again.map((l) => l.file)).toEqual(first.map((l) => l.file))

    const { id } = await grant()
    const state = await getCredentialStatus(home.dataSource, id)
    const revocationFile = join(out, `${state.listNumber}-revocation`)
    expect(bitOf(revocationFile, state.index)).toBe(0)
    await home.transaction(() =>
      changeCredentialStatus(home.dataSource, { credentialId: id, action: 'revoke' }),
    )
    const third = await publish(out)
    const changed = third.filter((l) => l.resigned).map((l) => `${l.listNumber}-${l.purpose}`)
    expect(changed).toEqual([`${state.listNumber}-revocation`])
    expect(bitOf(revocationFile, state.index)).toBe(1)
    // the signed list credential is a VC 2.0 BitstringStatusListCredential from the organisation, with a ttl
    const token = readFileSync(revocationFile, 'utf8').trim()
    const { header, payload } = decodeCompactJws(token, {
      maxLength: 1 << 20,
      maxDepth: 16,
      expectedTyp: 'vc+jwt',
      allowedAlgs: ['EdDSA'],
    })
    expect(header.kid.startsWith(home.org.did)).toBe(true)
    expect(payload).toMatchObject({
      issuer: home.org.did,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    })
    expect(parseListCredential(payload)).toMatchObject({ statusPurpose: 'revocation' })
    expect((await publish(out, true)).every((l) => l.resigned)).toBe(true)
  })

  it('allocates through the library without a home hook too, and validates the base URL', async () => {
    expect(() => validateStatusBaseUrl('http://acme.example/status')).toThrow(TesseraError)
    expect(() => validateStatusBaseUrl('https://acme.example/status?x=1')).toThrow(TesseraError)
    expect(validateStatusBaseUrl('http://127.0.0.1:8080/status/')).toBe('http://127.0.0.1:8080/status')
    const entries = await home.transaction(() =>
      allocateStatusEntries(home.dataSource, {
        credentialId: 'urn:uuid:direct',
        baseUrl: 'https://s.example/lists',
      }),
    )
    expect(entries.map((e) => e.statusListCredential)).toEqual([
      expect.stringMatching(/^https:\/\/s\.example\/lists\/\d+-revocation$/),
      expect.stringMatching(/^https:\/\/s\.example\/lists\/\d+-suspension$/),
    ])
    expect(new Bitstring().length).toBe(131_072)
  })
})
