/// <reference path="./vendor.d.ts" />
/**
 * Issuing Data Integrity proofs: `eddsa-rdfc-2022` (VC Data Integrity EdDSA Cryptosuites v1.0 §3.2) through
 * Digital Bazaar's `@digitalbazaar/vc`, `@digitalbazaar/data-integrity` and
 * `@digitalbazaar/eddsa-rdfc-2022-cryptosuite`, with the bundled document loader and a signer that can be backed
 * by Veramo's key manager ({@link dataIntegritySigner}): the private key never leaves the KMS.
 */
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import * as vc from '@digitalbazaar/vc'
import { InputError, TesseraError } from '@tessera/core'
import { describeValue, getOwn, isJsonObject } from '../limits.js'
import type { DataIntegritySigner } from '../signer.js'
import { documentLoader as bundledLoader, type DocumentLoader } from './document-loader.js'
import { jsonLdError } from './proof.js'

/** Options of {@link signDataIntegrityCredential}. */
export interface SignDataIntegrityCredentialOptions {
  /** The unsecured credential (VC DM 2.0); it is not modified. Its `issuer` must be the signer's DID. */
  credential: Record<string, unknown>
  signer: DataIntegritySigner
  /** The proof's `created`; default now. */
  created?: Date
  /** Default: the bundled loader (no network). */
  documentLoader?: DocumentLoader
}

/** Options of {@link signDataIntegrityPresentation}. */
export interface SignDataIntegrityPresentationOptions {
  /** The unsecured presentation (VC DM 2.0 §4.13); it is not modified. `holder`, when present, must be the signer's DID. */
  presentation: Record<string, unknown>
  signer: DataIntegritySigner
  /** The verifier's challenge, written into the proof (VC Data Integrity 1.0 §2.1 `challenge`). */
  challenge?: string
  /** The verifier's domain, written into the proof (`domain`). */
  domain?: string
  /** The proof's `created`; default now. */
  created?: Date
  documentLoader?: DocumentLoader
}

function readIssuer(credential: Record<string, unknown>): string | undefined {
  const issuer = getOwn(credential, 'issuer')
  const id = isJsonObject(issuer) ? getOwn(issuer, 'id') : issuer
  return typeof id === 'string' ? id : undefined
}

function requireCreated(created: Date | undefined): Date {
  const date = created ?? new Date()
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) {
    throw new InputError('ERR_INPUT_INVALID', '"created" must be a valid Date')
  }
  return date
}

function requireUnsecured(document: unknown, name: string): Record<string, unknown> {
  if (!isJsonObject(document)) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" must be a JSON object, got ${describeValue(document)}`,
    )
  }
  if (Object.hasOwn(document, 'proof')) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${name}" already has a "proof"; Tessera signs unsecured documents only`,
    )
  }
  // A JSON round trip: a plain-data copy the libraries may annotate, with no prototype or accessor surprises.
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>
}

function requireSigner(signer: DataIntegritySigner): void {
  if (
    !isJsonObject(signer) ||
    typeof signer.id !== 'string' ||
    typeof signer.controller !== 'string' ||
    signer.algorithm !== 'Ed25519' ||
    typeof signer.sign !== 'function'
  ) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      '"signer" must be a DataIntegritySigner (see dataIntegritySigner)',
    )
  }
}

/** Library failures: Tessera errors pass through, JSON-LD ones get their code, the rest are bad input. */
function signingError(err: unknown, what: string): TesseraError {
  if (err instanceof TesseraError) return err
  const mapped = jsonLdError(err, what)
  if (mapped.code === 'ERR_CONTEXT_UNKNOWN') return mapped
  const name = (err as { name?: unknown } | null)?.name
  if (typeof name === 'string' && name.startsWith('jsonld.')) return mapped
  return new InputError(
    'ERR_INPUT_INVALID',
    `${what} cannot be signed: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  )
}

/**
 * Secure a credential with a Data Integrity proof, cryptosuite `eddsa-rdfc-2022`, proof purpose
 * `assertionMethod`, `verificationMethod` the signer's did:key Multikey method (VC Data Integrity 1.0 §4.2 "Add
 * Proof"; eddsa-rdfc-2022 §3.2.1 "Create Proof"). The credential is canonicalized with RDFC-1.0 in JSON-LD safe
 * mode against the bundled contexts only: a credential whose terms a context does not define (Tessera's role
 * terms need {@link UNDEFINED_TERMS_V2_CONTEXT}) is refused rather than signed without them.
 *
 * @returns the secured credential: a copy of `credential` with its `proof`.
 * @throws InputError `ERR_INPUT_INVALID` for a credential Digital Bazaar's checks refuse (VC DM 2.0 shape,
 *   dates) or whose `issuer` is not the signer's DID; VerificationError `ERR_CONTEXT_UNKNOWN` for a context that
 *   is not bundled, `ERR_JSONLD_INVALID` for one JSON-LD cannot expand safely; `ERR_KEYSTORE_LOCKED` when the
 *   key manager cannot sign.
 */
export async function signDataIntegrityCredential(
  options: SignDataIntegrityCredentialOptions,
): Promise<Record<string, unknown>> {
  const credential = requireUnsecured(options.credential, 'credential')
  requireSigner(options.signer)
  const created = requireCreated(options.created)
  const issuer = readIssuer(credential)
  if (issuer !== options.signer.controller) {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"credential.issuer" ${describeValue(issuer)} must be the signer's DID ${options.signer.controller}`,
    )
  }
  const suite = new DataIntegrityProof({ signer: options.signer, date: created, cryptosuite })
  try {
    return await vc.issue({
      credential,
      suite,
      documentLoader: options.documentLoader ?? bundledLoader,
      now: created,
    })
  } catch (err) {
    throw signingError(err, 'the credential')
  }
}

/**
 * Secure a presentation with a Data Integrity proof, cryptosuite `eddsa-rdfc-2022`, proof purpose
 * `authentication`, bound to the verifier's `challenge` and `domain` (VC Data Integrity 1.0 §2.1; VC-API
 * "Presentations"). The credentials inside (`verifiableCredential`) must already be secured: Data Integrity
 * credentials or `EnvelopedVerifiableCredential`s.
 *
 * @returns the secured presentation: a copy of `presentation` with its `proof`.
 * @throws as {@link signDataIntegrityCredential}; InputError when `holder` is not the signer's DID.
 */
export async function signDataIntegrityPresentation(
  options: SignDataIntegrityPresentationOptions,
): Promise<Record<string, unknown>> {
  const presentation = requireUnsecured(options.presentation, 'presentation')
  requireSigner(options.signer)
  const created = requireCreated(options.created)
  const { challenge, domain } = options
  for (const [name, value] of [
    ['challenge', challenge],
    ['domain', domain],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"${name}" must be a non-empty string, got ${describeValue(value)}`,
      )
    }
  }
  if (Object.hasOwn(presentation, 'holder')) {
    const holder = getOwn(presentation, 'holder')
    const holderId = isJsonObject(holder) ? getOwn(holder, 'id') : holder
    if (holderId !== options.signer.controller) {
      throw new InputError(
        'ERR_INPUT_INVALID',
        `"presentation.holder" ${describeValue(holderId)} must be the signer's DID ${options.signer.controller}`,
      )
    }
  }
  const suite = new DataIntegrityProof({ signer: options.signer, date: created, cryptosuite })
  // Digital Bazaar's AuthenticationProofPurpose requires a challenge; without one the proof still states its
  // purpose (and domain), as ProofPurpose.update would.
  const purpose =
    challenge === undefined
      ? {
          term: 'authentication',
          update: async (proof: Record<string, unknown>) => {
            proof.proofPurpose = 'authentication'
            if (domain !== undefined) proof.domain = domain
            return proof
          },
        }
      : undefined
  try {
    return await vc.signPresentation({
      presentation,
      suite,
      documentLoader: options.documentLoader ?? bundledLoader,
      ...(purpose === undefined ? { challenge, ...(domain === undefined ? {} : { domain }) } : { purpose }),
    })
  } catch (err) {
    throw signingError(err, 'the presentation')
  }
}
