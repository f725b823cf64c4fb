import { InputError, toNumericDate } from '@tessera/core'
import { type Home, requireActiveAgent } from '@tessera/identity'
import { validateDomain } from './challenge.js'
import { signCompactJws } from './jws.js'
import { CREDENTIALS_V2 } from './role-credential.js'
import { veramoSigner } from './signer.js'

/** Media type of an enveloped vc+jwt credential (VC-JOSE-COSE §3.1.1, VC DM 2.0 §4.13.1 enveloped credentials). */
export const VC_JWT_DATA_URL_PREFIX = 'data:application/vc+jwt,'
/** Default lifetime of a presentation: 5 minutes. */
export const DEFAULT_PRESENTATION_TTL_SEC = 300
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** Wrap a vc+jwt in an EnvelopedVerifiableCredential (VC DM 2.0 §4.13.1). */
export function envelopeCredential(jwt: string): { '@context': string; type: string; id: string } {
  if (typeof jwt !== 'string' || !COMPACT_JWS.test(jwt)) {
    throw new InputError('ERR_INPUT_INVALID', '"credential" must be a vc+jwt compact JWS')
  }
  return {
    '@context': CREDENTIALS_V2,
    type: 'EnvelopedVerifiableCredential',
    id: `${VC_JWT_DATA_URL_PREFIX}${jwt}`,
  }
}

/**
 * An agent answers a verifier's challenge: a VC-JOSE-COSE `vp+jwt` (§3.1.2) signed by the agent's did:key,
 * enveloping its vc+jwt credentials, bound to the challenge with `nonce` and to the verifier with `aud`
 * (RFC 7519 §4.1.3), short-lived (`exp`).
 */
export async function createPresentation(
  home: Home,
  options: {
    holder: string
    credentials: readonly string[]
    challenge: string
    domain: string
    ttlSec?: number
    now?: Date
  },
): Promise<string> {
  const agent = await requireActiveAgent(home, options.holder)
  if (options.credentials.length === 0) {
    throw new InputError('ERR_INPUT_INVALID', 'a presentation needs at least one credential')
  }
  if (
    typeof options.challenge !== 'string' ||
    options.challenge.length < 16 ||
    options.challenge.length > 256
  ) {
    throw new InputError('ERR_INPUT_INVALID', '"challenge" must be the verifier\'s challenge string')
  }
  const domain = validateDomain(options.domain)
  const signer = await veramoSigner({ agent: home.agent, did: agent.did })
  const iat = toNumericDate(options.now ?? new Date())
  return signCompactJws({
    header: { alg: signer.alg, typ: 'vp+jwt', kid: signer.kid },
    payload: {
      '@context': [CREDENTIALS_V2],
      type: ['VerifiablePresentation'],
      holder: agent.did,
      verifiableCredential: options.credentials.map(envelopeCredential),
      iss: agent.did,
      aud: domain,
      nonce: options.challenge,
      iat,
      exp: iat + (options.ttlSec ?? DEFAULT_PRESENTATION_TTL_SEC),
    },
    sign: signer.sign,
  })
}
