/// <reference path="./vendor.d.ts" />
/**
 * The JSON-LD contexts Tessera bundles for Data Integrity (VC Data Integrity 1.0 §2.4 "Contexts and
 * Vocabularies", §4.4 "Context Injection"). They are the only contexts a document may use: nothing is ever
 * fetched (VC Data Integrity 1.0 §5.4 "Context Validation": a verifier should use locally cached, known-good
 * contexts, and an unknown context is an error).
 *
 * The documents come from Digital Bazaar's context packages, which publish the W3C and CCG context files
 * verbatim; the one short context those packages lack (the VC DM 2.0 examples context) is written out here.
 *
 * AgentRoleCredential terms. The published VC DM 2.0 base context no longer carries an `@vocab` (it moved to
 * the Undefined Terms context), so `AgentRoleCredential`, `role`, `permissions`, `action`, `resource` and
 * `agentType` are undefined by the base context alone, and JSON-LD safe mode refuses a document that would drop
 * them from the signature. Tessera does not mint a context URL of its own that no other implementation could
 * load: a role credential secured with Data Integrity lists {@link UNDEFINED_TERMS_V2_CONTEXT} last, as VC DM 2.0
 * §5.2 "Extensibility" requires of a document whose contexts do not define every term it uses. The terms then
 * expand to `https://www.w3.org/ns/credentials/undefined-term#<term>` and are signed like any other claim.
 */
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context'
import dataIntegrityContext from '@digitalbazaar/data-integrity-context'
import multikeyContext from '@digitalbazaar/multikey-context'
import didContext from 'did-context'

/** VC DM 2.0 §4.3: the base context, first in every credential and presentation. */
export const CREDENTIALS_V2_CONTEXT_URL = 'https://www.w3.org/ns/credentials/v2'
/** VC DM 2.0 §5.2: maps terms no other context defines to `https://www.w3.org/ns/credentials/undefined-term#`. */
export const UNDEFINED_TERMS_V2_CONTEXT = 'https://www.w3.org/ns/credentials/undefined-terms/v2'
/** The VC DM 2.0 examples context (the spec's examples and the eddsa-rdfc-2022 test vectors use it). */
export const CREDENTIALS_EXAMPLES_V2_CONTEXT = 'https://www.w3.org/ns/credentials/examples/v2'
/** VC Data Integrity 1.0 §2.4: defines `DataIntegrityProof` and its proof terms. */
export const DATA_INTEGRITY_V2_CONTEXT = 'https://w3id.org/security/data-integrity/v2'
/** Controlled Identifiers 1.0 "Multikey": defines `Multikey` and `publicKeyMultibase`. */
export const MULTIKEY_V1_CONTEXT = 'https://w3id.org/security/multikey/v1'
/** DID Core 1.0 §4.1: the DID v1 context, used for the did:key documents the loader serves. */
export const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1'

/**
 * The contexts an AgentRoleCredential secured with Data Integrity lists: the base context, then the Undefined
 * Terms context that keeps Tessera's role terms in the signed data (VC DM 2.0 §5.2).
 */
export const ROLE_CREDENTIAL_DI_CONTEXTS: readonly string[] = Object.freeze([
  CREDENTIALS_V2_CONTEXT_URL,
  UNDEFINED_TERMS_V2_CONTEXT,
])

/**
 * https://www.w3.org/ns/credentials/examples/v2 as W3C publishes it: one `@vocab`, so the spec's example
 * terms expand to `https://www.w3.org/ns/credentials/examples#<term>`.
 */
const EXAMPLES_V2 = { '@context': { '@vocab': 'https://www.w3.org/ns/credentials/examples#' } }

function pick(map: Map<string, unknown>, url: string): unknown {
  const document = map.get(url)
  if (document === undefined) throw new Error(`bundled context ${url} is missing from its package`)
  return document
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * Every context a Data Integrity document may use, by URL, deeply frozen. Anything else is refused with
 * `ERR_CONTEXT_UNKNOWN` by the document loader.
 */
export const BUNDLED_CONTEXTS: ReadonlyMap<string, unknown> = new Map<string, unknown>(
  [
    [CREDENTIALS_V2_CONTEXT_URL, pick(credentialsContexts, CREDENTIALS_V2_CONTEXT_URL)],
    [UNDEFINED_TERMS_V2_CONTEXT, pick(credentialsContexts, UNDEFINED_TERMS_V2_CONTEXT)],
    [CREDENTIALS_EXAMPLES_V2_CONTEXT, EXAMPLES_V2],
    [DATA_INTEGRITY_V2_CONTEXT, pick(dataIntegrityContext.contexts, DATA_INTEGRITY_V2_CONTEXT)],
    [MULTIKEY_V1_CONTEXT, pick(multikeyContext.contexts, MULTIKEY_V1_CONTEXT)],
    [DID_V1_CONTEXT, pick(didContext.contexts, DID_V1_CONTEXT)],
  ].map(([url, document]) => [url as string, deepFreeze(structuredClone(document))]),
)
