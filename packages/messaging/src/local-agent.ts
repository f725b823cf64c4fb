import { InputError } from '@tessera/core'
import { type Home, requireActiveAgent } from '@tessera/identity'

/** One of this organisation's agents, as it takes part in a channel: its home, its DID and what it presents. */
export interface LocalAgent {
  /** The organisation home that holds the agent's key (and its audit log, challenges and replay store). */
  home: Home
  /** The agent's did:key. */
  did: string
  /** The agent's role credentials (`vc+jwt`), presented to the peer in the handshake. */
  credentials: readonly string[]
}

/**
 * Check a local agent before it talks: it must be an active agent of the home and have something to present.
 * @throws IdentityError `ERR_AGENT_NOT_FOUND` / `ERR_AGENT_INACTIVE`; InputError `ERR_INPUT_INVALID`.
 */
export async function checkLocalAgent(self: LocalAgent): Promise<void> {
  if (self === null || typeof self !== 'object' || typeof self.did !== 'string') {
    throw new InputError('ERR_INPUT_INVALID', '"self" must be { home, did, credentials }')
  }
  if (!Array.isArray(self.credentials) || self.credentials.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', '"self.credentials" must hold at least one vc+jwt credential')
  }
  await requireActiveAgent(self.home, self.did)
}
