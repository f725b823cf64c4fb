import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { credentialsMigrations, signCredentialJwt, veramoSigner } from '@tessera/credentials'
import { createAgentIdentity, type Home, initHome, openHome } from '@tessera/identity'
import { addTrust, emptyTrustBundle } from '@tessera/policy'
import {
  BitstringStatusListPlugin,
  createStatusCache,
  directorySource,
  publishStatusLists,
  statusChecker,
  statusMigrations,
} from '@tessera/status'
import type { ICredentialPlugin, TAgent, VerifiableCredential } from '@veramo/core'
import { CredentialProviderJWT } from '@veramo/credential-jwt'
import { CredentialPlugin } from '@veramo/credential-w3c'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const migrations = [...credentialsMigrations, ...statusMigrations]
const BASE_URL = 'https://acme.example/status'
let temp: ReturnType<typeof tempDir>
let home: Home
let published: string
let cache: ReturnType<typeof createStatusCache>
let plugin: BitstringStatusListPlugin

type StatusAgent = TAgent<ICredentialPlugin> & {
  credentialStatusGenerate(args: { type: string; credentialId: string; statusPurpose?: string }): Promise<{
    id: string
    type: string
    statusPurpose: string
    statusListIndex: string
    statusListCredential: string
  }>
  credentialStatusUpdate(args: {
    vc: VerifiableCredential
    options: { action: string }
  }): Promise<{ revoked: boolean }>
  credentialStatusTypes(): Promise<string[]>
}

beforeAll(async () => {
  temp = tempDir('veramo-status')
  published = join(temp.dir, 'published')
  mkdirSync(published)
  const dir = join(temp.dir, 'acme')
  const org = await initHome({ dir, org: 'Acme', env: {}, migrations })
  const trust = addTrust(emptyTrustBundle(), {
    org: 'Acme',
    issuer: org.did,
    role: 'any',
    permissions: ['read:*'],
  })
  cache = createStatusCache({ sources: [directorySource(published)], trust, maxStalenessMs: 60_000 })
  let opened: Home | undefined
  plugin = new BitstringStatusListPlugin({
    issuer: {
      // the plugin is built before the home is open: reach the home's database through it once open
      db: { query: (sql, params) => (opened as Home).dataSource.query(sql, params) },
      transaction: (work) => (opened as Home).transaction(work),
      baseUrl: BASE_URL,
    },
    checker: statusChecker(cache),
  })
  opened = await openHome({
    dir,
    env: {},
    migrations,
    plugins: [new CredentialPlugin([new CredentialProviderJWT()]), plugin],
  })
  home = opened
})
afterAll(async () => {
  await home.close()
  temp.cleanup()
})

async function publish(): Promise<void> {
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  await home.transaction(() =>
    publishStatusLists(home.dataSource, {
      issuer: home.org.did,
      baseUrl: BASE_URL,
      outDir: published,
      signCredential: (credential) => signCredentialJwt({ credential: { ...credential }, signer }),
    }),
  )
}

describe('BitstringStatusListPlugin in a plain Veramo agent', () => {
  it('generates entries, and Veramo verifyCredential sees revocation after the issuer updates and publishes', async () => {
    const agent = home.agent as unknown as StatusAgent
    expect(await agent.credentialStatusTypes()).toEqual(['BitstringStatusListEntry'])
    const subject = (await createAgentIdentity(home, { name: 'bot', type: 'worker' })).did
    const id = 'urn:uuid:0b5c7e1e-3f7a-4a43-9a8e-7f3c1b2a9d10'
    const revocation = await agent.credentialStatusGenerate({
      type: 'BitstringStatusListEntry',
      credentialId: id,
    })
    const suspension = await agent.credentialStatusGenerate({
      type: 'BitstringStatusListEntry',
      credentialId: id,
      statusPurpose: 'suspension',
    })
    expect(revocation).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' })
    expect(revocation.statusListCredential).toMatch(/^https:\/\/acme\.example\/status\/1-revocation$/)
    expect(suspension.statusListIndex).toBe(revocation.statusListIndex)
    expect(revocation.id).toBe(`${revocation.statusListCredential}#${revocation.statusListIndex}`)

    // Veramo's own JWT provider issues the credential; our plugin only supplies its status
    const vc = await agent.createVerifiableCredential({
      credential: {
        id,
        issuer: { id: home.org.did },
        credentialSubject: { id: subject, role: 'worker' },
        credentialStatus: revocation,
      },
      proofFormat: 'jwt',
    })
    await publish()
    expect((await agent.verifyCredential({ credential: vc })).verified).toBe(true)

    expect((await agent.credentialStatusUpdate({ vc, options: { action: 'revoke' } })).revoked).toBe(true)
    await publish()
    // the verifier refreshes its cache from the published files (as it would once the list's ttl passed)
    await cache.refresh()
    const after = await agent.verifyCredential({ credential: vc })
    expect(after.verified).toBe(false)
    expect(after.error?.errorCode).toBe('revoked')
    const status = await plugin.methods.checkCredentialStatus({ credential: vc as never })
    expect(status).toMatchObject({ revoked: true, verified: false })
    expect(status.errors.map((e) => e.code)).toEqual(['ERR_STATUS_REVOKED'])
  })

  it('refuses updates for unknown credentials and bad arguments, with codes', async () => {
    const agent = home.agent as unknown as StatusAgent
    await expect(
      agent.credentialStatusUpdate({
        vc: { id: 'urn:uuid:unknown' } as never,
        options: { action: 'revoke' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CREDENTIAL_NOT_FOUND' })
    await expect(
      agent.credentialStatusGenerate({ type: 'StatusList2021Entry', credentialId: 'urn:uuid:x' }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
    await expect(
      agent.credentialStatusUpdate({ vc: { id: 'urn:uuid:x' } as never, options: { action: 'delete' } }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })
})
