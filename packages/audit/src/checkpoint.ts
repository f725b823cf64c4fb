/**
 * Signed checkpoints: the organisation's signature on the size and Merkle root of its log, as a compact JWS
 * (RFC 7515 §7.1) any JOSE library verifies with the key of the organisation's did:key. The role is that of a
 * CT Signed Tree Head (RFC 9162 §4.10): a verifier who keeps one can later prove the log was truncated or
 * rewritten, and checks inclusion and consistency proofs against it.
 */
import { InputError, TesseraError, VerificationError } from '@tessera/core'
import {
  decodeCompactJws,
  getOwn,
  keyMatchesAlg,
  signCompactJws,
  veramoSigner,
  verifyJwsSignature,
} from '@tessera/credentials'
import type { Home } from '@tessera/identity'
import { verificationKey } from '@tessera/identity/did-key'
import { isHexHash } from './entry.js'

/** The JOSE `typ` of a checkpoint (RFC 8725 §3.11 explicit typing): nothing else is accepted as one. */
export const CHECKPOINT_TYP = 'tessera-checkpoint+jwt'

/** Longest checkpoint token accepted, checked before anything is decoded. */
export const MAX_CHECKPOINT_LENGTH = 4096

/** The JWS Payload of a checkpoint. */
export interface CheckpointPayload {
  /** The organisation's DID, whose key signed. */
  iss: string
  /** Entries in the log (the tree size). */
  size: number
  /** MTH of the first `size` entries, 64 lowercase hex characters (RFC 9162 §2.1.1). */
  root: string
  /** When it was signed, seconds since the epoch (RFC 7519 §4.1.6 NumericDate). */
  iat: number
}

/** A checkpoint: the token and what it says. */
export interface SignedCheckpoint {
  token: string
  payload: CheckpointPayload
}

function invalid(message: string, cause?: unknown, details?: Record<string, unknown>): VerificationError {
  return new VerificationError('ERR_AUDIT_CHECKPOINT_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
  })
}

function checkSizeRoot(size: unknown, root: unknown): void {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InputError('ERR_INPUT_INVALID', `"size" must be a non-negative integer, got ${size}`)
  }
  if (!isHexHash(root)) {
    throw new InputError('ERR_INPUT_INVALID', `"root" must be 64 lowercase hex characters`)
  }
}

/**
 * Sign a checkpoint for `{ size, root }` with the organisation's key, through Veramo's key manager (the key
 * never leaves the KMS). This only signs: `createCheckpoint` (store) computes and checks the root first.
 *
 * @throws InputError `ERR_INPUT_INVALID` for a bad size or root; `ERR_KEYSTORE_LOCKED` if signing fails.
 */
export async function signCheckpoint(
  home: Home,
  options: { size: number; root: string; now?: Date },
): Promise<SignedCheckpoint> {
  checkSizeRoot(options.size, options.root)
  const signer = await veramoSigner({ agent: home.agent, did: home.org.did })
  const payload: CheckpointPayload = {
    iss: home.org.did,
    size: options.size,
    root: options.root,
    iat: Math.floor((options.now ?? new Date()).getTime() / 1000),
  }
  const token = await signCompactJws({
    header: { alg: signer.alg, typ: CHECKPOINT_TYP, kid: signer.kid },
    payload: { ...payload },
    sign: signer.sign,
  })
  return { token, payload }
}

/**
 * Verify a checkpoint: a compact JWS with `alg` EdDSA, `typ` {@link CHECKPOINT_TYP}, a `kid` that is a
 * verification method of `orgDid` (did:key), a valid signature by that key, and a payload whose `iss` is
 * `orgDid`, `size` a non-negative integer, `root` 64 lowercase hex and `iat` an integer.
 *
 * @returns the payload.
 * @throws VerificationError `ERR_AUDIT_CHECKPOINT_INVALID` for any failure, with the underlying JOSE code
 *   (`ERR_JWS_SIGNATURE`, `ERR_JWS_TYP`, ...) in `details.reason` when there is one; IdentityError
 *   `ERR_DID_INVALID` when `orgDid` itself is not a did:key.
 */
export function verifyCheckpoint(token: string, options: { orgDid: string }): CheckpointPayload {
  const orgKey = verificationKey(options.orgDid) // the caller's input: a bad DID is the caller's error
  let decoded: ReturnType<typeof decodeCompactJws>
  try {
    decoded = decodeCompactJws(token, {
      maxLength: MAX_CHECKPOINT_LENGTH,
      maxDepth: 4,
      expectedTyp: [CHECKPOINT_TYP],
      allowedAlgs: ['EdDSA'],
    })
  } catch (err) {
    if (err instanceof TesseraError) {
      throw invalid(`not a checkpoint: ${err.message}`, err, { reason: err.code })
    }
    throw err
  }
  const { header, payload, signingInput, signature } = decoded
  // The key comes from the organisation the caller trusts, never from the token: the kid must name it.
  if (header.kid !== orgKey.vmId) {
    throw invalid(`checkpoint "kid" ${JSON.stringify(header.kid)} is not ${orgKey.vmId}`, undefined, {
      reason: 'ERR_JWS_KID',
    })
  }
  if (!keyMatchesAlg(orgKey.keyObject, header.alg)) {
    throw invalid(`the key of ${options.orgDid} cannot verify ${header.alg}`, undefined, {
      reason: 'ERR_JWS_ALG',
    })
  }
  if (!verifyJwsSignature({ alg: header.alg, keyObject: orgKey.keyObject, signingInput, signature })) {
    throw invalid(`checkpoint signature does not verify with ${orgKey.vmId}`, undefined, {
      reason: 'ERR_JWS_SIGNATURE',
    })
  }
  const iss = getOwn(payload, 'iss')
  const size = getOwn(payload, 'size')
  const root = getOwn(payload, 'root')
  const iat = getOwn(payload, 'iat')
  if (iss !== orgKey.did) throw invalid(`checkpoint "iss" ${JSON.stringify(iss)} is not ${orgKey.did}`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`checkpoint "size" must be a non-negative integer, got ${JSON.stringify(size)}`)
  }
  if (!isHexHash(root)) throw invalid(`checkpoint "root" must be 64 lowercase hex characters`)
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) {
    throw invalid(`checkpoint "iat" must be a NumericDate, got ${JSON.stringify(iat)}`)
  }
  return { iss: orgKey.did, size, root, iat }
}

/**
 * Read a checkpoint row of this home's table back: its token must verify with the home's DID and say what
 * the row says (an attacker with the database can delete rows, but cannot forge one).
 *
 * @throws VerificationError `ERR_AUDIT_CHECKPOINT_INVALID`.
 */
export function verifyStoredCheckpoint(
  home: Home,
  row: { size: number; root: string; jws: string },
): CheckpointPayload {
  const payload = verifyCheckpoint(row.jws, { orgDid: home.org.did })
  if (payload.size !== row.size || payload.root !== row.root) {
    throw invalid(`a stored checkpoint's row (size ${row.size}) does not match its signed payload`)
  }
  return payload
}
