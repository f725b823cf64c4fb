/// <reference path="./vendor.d.ts" />
/**
 * The JSON-LD document loader of Tessera's Data Integrity code: bundled contexts and offline did:key
 * resolution, and nothing else. It never touches the network (VC Data Integrity 1.0 §5.4 "Context
 * Validation"; §5.5 "Verification Method Binding" for the did:key documents).
 */
import { IdentityError, InputError, VerificationError } from '@tessera/core'
import { type DidDocument, resolveDidKey } from '@tessera/identity/did-key'
import { describeValue } from '../limits.js'
import { BUNDLED_CONTEXTS, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from './contexts.js'

/** A JSON-LD RemoteDocument (JSON-LD 1.1 API §9.4.2), as `jsonld` and Digital Bazaar's suites expect. */
export interface RemoteDocument {
  contextUrl: null
  documentUrl: string
  document: unknown
}

/** A JSON-LD document loader: `(url) => Promise<RemoteDocument>`. */
export type DocumentLoader = (url: string) => Promise<RemoteDocument>

/** Options of {@link createDocumentLoader}. */
export interface DocumentLoaderOptions {
  /** Serve did:key DID documents and verification methods too; default true. */
  didKey?: boolean
  /**
   * More contexts the caller vouches for, by URL, served as given (they cannot replace a bundled one).
   * Default: none.
   */
  contexts?: ReadonlyMap<string, unknown>
}

const DID_KEY_PREFIX = 'did:key:'
/** The @context of the did:key documents served to JSON-LD processors. */
const DID_DOCUMENT_CONTEXT: readonly string[] = Object.freeze([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT])
/** Longest URL the loader looks at; a did:key URL with its fragment is at most 201 characters. */
const MAX_URL_LENGTH = 2048

/**
 * The did:key document for JSON-LD: the DID v1 context first (Digital Bazaar's controller check reads DID v1
 * documents without framing them) and the Multikey context, which the resolver's own DID v1.1 context
 * (did:key v0.9) would otherwise provide. The verification methods and relationships are the resolver's.
 */
function didDocumentForJsonLd(document: DidDocument): Record<string, unknown> {
  return Object.freeze({ ...document, '@context': DID_DOCUMENT_CONTEXT })
}

function verificationMethodForJsonLd(document: DidDocument, url: string): Record<string, unknown> {
  const embedded = (document.keyAgreement ?? []).filter((k) => typeof k !== 'string')
  const vm = [...document.verificationMethod, ...embedded].find((m) => m.id === url)
  if (vm === undefined) {
    throw new IdentityError('ERR_DID_INVALID', `${url} is not a verification method of ${document.id}`)
  }
  return Object.freeze({ '@context': MULTIKEY_V1_CONTEXT, ...vm })
}

function loadDidKey(url: string): RemoteDocument {
  const hash = url.indexOf('#')
  const did = hash === -1 ? url : url.slice(0, hash)
  // resolveDidKey validates the DID (IdentityError ERR_DID_INVALID) and caches the document.
  const document = resolveDidKey(did)
  return {
    contextUrl: null,
    documentUrl: url,
    document: hash === -1 ? didDocumentForJsonLd(document) : verificationMethodForJsonLd(document, url),
  }
}

/**
 * Create a document loader that serves {@link BUNDLED_CONTEXTS} (and the caller's extra `contexts`), the DID
 * documents of did:key DIDs and their verification methods (`did:key:z6Mk...#z6Mk...`, a `Multikey`), resolved
 * offline by `@tessera/identity/did-key`. Every other URL is refused: nothing is ever fetched.
 *
 * @returns the loader. It rejects with VerificationError `ERR_CONTEXT_UNKNOWN` for a URL it does not serve,
 *   IdentityError `ERR_DID_INVALID` for a malformed did:key or an unknown fragment.
 */
export function createDocumentLoader(options: DocumentLoaderOptions = {}): DocumentLoader {
  const extra = options.contexts ?? new Map<string, unknown>()
  const didKey = options.didKey ?? true
  for (const url of extra.keys()) {
    if (BUNDLED_CONTEXTS.has(url)) {
      throw new InputError('ERR_INPUT_INVALID', `"contexts" must not replace the bundled context ${url}`)
    }
  }
  return async (url: string): Promise<RemoteDocument> => {
    if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) {
      throw new VerificationError('ERR_CONTEXT_UNKNOWN', `cannot load ${describeValue(url)}`)
    }
    const bundled = BUNDLED_CONTEXTS.get(url) ?? extra.get(url)
    if (bundled !== undefined) return { contextUrl: null, documentUrl: url, document: bundled }
    if (didKey && url.startsWith(DID_KEY_PREFIX)) return loadDidKey(url)
    throw new VerificationError(
      'ERR_CONTEXT_UNKNOWN',
      `${describeValue(url)} is not a bundled context or a did:key; nothing is fetched`,
    )
  }
}

/** The default loader: {@link BUNDLED_CONTEXTS} and did:key, nothing else (see {@link createDocumentLoader}). */
export const documentLoader: DocumentLoader = createDocumentLoader()

/** A loader of the bundled contexts only, for canonicalization: a DID document is never a JSON-LD context. */
export const contextLoader: DocumentLoader = createDocumentLoader({ didKey: false })
