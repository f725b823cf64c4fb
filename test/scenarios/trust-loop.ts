/**
 * The cross-organisation trust loop as a shared scenario suite: Acme issues a role to its agent, Globex trusts
 * Acme for that role with a ceiling, the agent presents to Globex, Globex decides. The same suite runs against
 * every driver (the library in-process, the CLI as subprocesses), so both front doors behave the same.
 */
import { join } from 'node:path'
import type { Decision } from '@tessera/credentials'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.js'

export interface Driver {
  /** Create an organisation home; returns its issuer DID. */
  init(home: string, org: string): Promise<string>
  createAgent(home: string, name: string, type: string): Promise<string>
  suspend(home: string, did: string): Promise<void>
  /** Grant a role; returns the vc+jwt. `validFrom` back-dates it. */
  grant(
    home: string,
    agent: string,
    role: string,
    permissions: string[],
    options?: { validFrom?: string; validFor?: string },
  ): Promise<string>
  /** Expect a refused grant; returns the error code. */
  grantFails(home: string, agent: string, role: string, permissions: string[]): Promise<string>
  restrictRole(home: string, role: string, types: string[]): Promise<void>
  trustAdd(file: string, org: string, issuer: string, role: string, permissions: string[]): Promise<void>
  trustRemove(file: string, org: string): Promise<void>
  /** Publish the issuer's status lists into `dir`. */
  publish(home: string, dir: string): Promise<void>
  /** Revoke, suspend or reinstate a credential; a refusal returns its error code. */
  changeStatus(
    home: string,
    credentialId: string,
    action: 'revoke' | 'suspend' | 'reinstate',
  ): Promise<string | undefined>
  challenge(home: string, domain: string): Promise<string>
  present(
    home: string,
    agent: string,
    credentials: string[],
    challenge: string,
    domain: string,
  ): Promise<string>
  verify(
    home: string,
    options: {
      presentation: string
      domain: string
      trust: string
      statusDir: string
      challenge?: string
      action?: string
      resource?: string
    },
  ): Promise<{ decision: Decision; exitCode?: number }>
}

const codes = (d: Decision) => d.errors.map((e) => e.code)
/** The credential id (`jti`) of a vc+jwt. */
const idOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { id: string }).id

export function defineTrustLoopSuite(name: string, makeDriver: () => Driver | Promise<Driver>): void {
  describe(`trust loop across organisations (${name})`, () => {
    let temp: ReturnType<typeof tempDir>
    let driver: Driver
    let acme: string
    let globex: string
    let trust: string
    let statusDir: string
    let acmeDid: string
    let agent: string
    let credential: string
    const domain = 'api.globex.example'

    beforeAll(async () => {
      temp = tempDir('scenario')
      driver = await makeDriver()
      acme = join(temp.dir, 'acme')
      globex = join(temp.dir, 'globex')
      trust = join(temp.dir, 'globex-trust.json')
      statusDir = join(temp.dir, 'acme-status')
      acmeDid = await driver.init(acme, 'Acme')
      await driver.init(globex, 'Globex')
      agent = await driver.createAgent(acme, 'Helpdesk bot', 'support-agent')
      credential = await driver.grant(acme, agent, 'support-agent', ['read:tickets/*', 'delete:tickets/*'])
      await driver.trustAdd(trust, 'Acme', acmeDid, 'support-agent', ['read:tickets/*', 'write:tickets/*'])
      await driver.publish(acme, statusDir)
    })
    afterAll(() => temp.cleanup())

    const presentFresh = async (credentials = [credential], who = agent) => {
      const challenge = await driver.challenge(globex, domain)
      const presentation = await driver.present(acme, who, credentials, challenge, domain)
      return { challenge, presentation }
    }

    it('allows an action within both the credential and the ceiling', async () => {
      const { challenge, presentation } = await presentFresh()
      const { decision, exitCode } = await driver.verify(globex, {
        presentation,
        domain,
        trust,
        statusDir,
        challenge,
        action: 'read',
        resource: 'tickets/42',
      })
      expect(codes(decision)).toEqual([])
      expect(decision.verified).toBe(true)
      expect(decision.allowed).toBe(true)
      expect(decision.holder).toBe(agent)
      expect(decision.grantedBy?.permission).toEqual({ action: 'read', resource: 'tickets/*' })
      expect(decision.credentials[0]?.org).toBe('Acme')
      if (exitCode !== undefined) expect(exitCode).toBe(0)
    })

    it('denies an action the credential grants but the ceiling does not', async () => {
      const { challenge, presentation } = await presentFresh()
      const { decision, exitCode } = await driver.verify(globex, {
        presentation,
        domain,
        trust,
        statusDir,
        challenge,
        action: 'delete',
        resource: 'tickets/42',
      })
      expect(decision.verified).toBe(true)
      expect(decision.allowed).toBe(false)
      expect(codes(decision)).toEqual(['ERR_POLICY_DENIED'])
      if (exitCode !== undefined) expect(exitCode).toBe(1)
    })

    it('accepts a challenge once only', async () => {
      const { challenge, presentation } = await presentFresh()
      const first = await driver.verify(globex, { presentation, domain, trust, statusDir, challenge })
      expect(first.decision.verified).toBe(true)
      const replay = await driver.verify(globex, { presentation, domain, trust, statusDir, challenge })
      expect(replay.decision.verified).toBe(false)
      expect(codes(replay.decision)).toContain('ERR_CHALLENGE_USED')
    })

    it('refuses a presentation for another domain', async () => {
      const { challenge, presentation } = await presentFresh()
      const { decision } = await driver.verify(globex, {
        presentation,
        domain: 'other.example',
        trust,
        statusDir,
        challenge,
      })
      expect(decision.verified).toBe(false)
      expect(codes(decision)).toContain('ERR_DOMAIN_MISMATCH')
    })

    it('denies an expired credential inside a fresh presentation', async () => {
      const expired = await driver.grant(acme, agent, 'support-agent', ['read:tickets/*'], {
        validFrom: '2026-01-01T00:00:00Z',
        validFor: '1d',
      })
      await driver.publish(acme, statusDir)
      const { challenge, presentation } = await presentFresh([expired])
      const { decision } = await driver.verify(globex, {
        presentation,
        domain,
        trust,
        statusDir,
        challenge,
        action: 'read',
        resource: 'tickets/42',
      })
      expect(decision.allowed).toBe(false)
      expect(codes(decision)).toContain('ERR_VC_EXPIRED')
    })

    it('refuses to grant roles to suspended agents and to agent types the issuer excluded', async () => {
      const other = await driver.createAgent(acme, 'Analyst', 'data-analyst')
      await driver.restrictRole(acme, 'ticket-admin', ['support-agent'])
      expect(await driver.grantFails(acme, other, 'ticket-admin', ['write:tickets/*'])).toBe(
        'ERR_ROLE_NOT_ALLOWED_FOR_TYPE',
      )
      await driver.grant(acme, agent, 'ticket-admin', ['write:tickets/*'])
      await driver.suspend(acme, other)
      expect(await driver.grantFails(acme, other, 'support-agent', ['read:tickets/*'])).toBe(
        'ERR_AGENT_INACTIVE',
      )
    })

    it('denies a role Globex does not trust Acme to grant', async () => {
      const admin = await driver.grant(acme, agent, 'ticket-admin', ['write:tickets/*'])
      await driver.publish(acme, statusDir)
      const { challenge, presentation } = await presentFresh([admin])
      const { decision } = await driver.verify(globex, {
        presentation,
        domain,
        trust,
        statusDir,
        challenge,
        action: 'write',
        resource: 'tickets/1',
      })
      expect(decision.allowed).toBe(false)
      expect(codes(decision)).toContain('ERR_TRUST_ROLE_NOT_ALLOWED')
    })

    it('follows status lists: suspended and revoked credentials are denied once published, a suspension can be lifted', async () => {
      const own = await driver.grant(acme, agent, 'support-agent', ['read:tickets/*'])
      await driver.publish(acme, statusDir)
      const decide = async () => {
        const { challenge, presentation } = await presentFresh([own])
        const { decision } = await driver.verify(globex, {
          presentation,
          domain,
          trust,
          statusDir,
          challenge,
          action: 'read',
          resource: 'tickets/7',
        })
        return decision
      }
      expect((await decide()).allowed).toBe(true)
      expect(await driver.changeStatus(acme, idOf(own), 'suspend')).toBeUndefined()
      // not yet published: verifiers still see the old list
      expect((await decide()).allowed).toBe(true)
      await driver.publish(acme, statusDir)
      const suspended = await decide()
      expect(suspended.allowed).toBe(false)
      expect(codes(suspended)).toEqual(['ERR_STATUS_SUSPENDED'])
      expect(await driver.changeStatus(acme, idOf(own), 'reinstate')).toBeUndefined()
      await driver.publish(acme, statusDir)
      expect((await decide()).allowed).toBe(true)
      expect(await driver.changeStatus(acme, idOf(own), 'revoke')).toBeUndefined()
      await driver.publish(acme, statusDir)
      const revoked = await decide()
      expect(revoked.allowed).toBe(false)
      expect(codes(revoked)).toEqual(['ERR_STATUS_REVOKED'])
      expect(await driver.changeStatus(acme, idOf(own), 'reinstate')).toBe('ERR_STATUS_REVOKED_FINAL')
    })

    it('denies everything once Globex stops trusting Acme', async () => {
      const stopped = join(temp.dir, 'stopped-trust.json')
      await driver.trustAdd(stopped, 'Acme', acmeDid, 'support-agent', ['read:tickets/*'])
      await driver.trustAdd(
        stopped,
        'Initech',
        'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
        'auditor',
        ['read:*'],
      )
      await driver.trustRemove(stopped, 'Acme')
      const { challenge, presentation } = await presentFresh()
      const { decision } = await driver.verify(globex, {
        presentation,
        domain,
        trust: stopped,
        statusDir,
        challenge,
        action: 'read',
        resource: 'tickets/42',
      })
      expect(decision.allowed).toBe(false)
      expect(codes(decision)).toContain('ERR_TRUST_ISSUER_UNKNOWN')
    })
  })
}
