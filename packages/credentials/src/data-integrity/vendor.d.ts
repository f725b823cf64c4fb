/**
 * Minimal typings for the Digital Bazaar JSON-LD and Data Integrity libraries, which ship without TypeScript
 * declarations. Only what Tessera calls is declared; values the libraries hand back are typed `unknown` or as
 * plain records, and Tessera reads them defensively. Source files that import these modules reference this
 * file with a triple-slash directive (it is not part of any emitted declaration).
 */

/** A JSON-LD RemoteDocument (JSON-LD 1.1 API §9.4.2). */
interface JsonLdRemoteDocument {
  contextUrl: string | null
  documentUrl: string
  document: unknown
}

type JsonLdDocumentLoader = (url: string) => Promise<JsonLdRemoteDocument>

/** The signer interface Digital Bazaar's suites call: `sign({ data })` returns the raw signature. */
interface DigitalBazaarSigner {
  id: string
  algorithm: string
  sign(options: { data: Uint8Array }): Promise<Uint8Array>
}

declare module 'jsonld' {
  interface JsonLdOptions {
    documentLoader?: JsonLdDocumentLoader
    safe?: boolean
    base?: string | null
    [option: string]: unknown
  }
  const jsonld: {
    expand(input: unknown, options?: JsonLdOptions): Promise<unknown[]>
    toRDF(input: unknown, options?: JsonLdOptions): Promise<unknown>
  }
  export default jsonld
}

declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, unknown>
}

declare module '@digitalbazaar/data-integrity-context' {
  const module: { contexts: Map<string, unknown>; CONTEXT_URL: string }
  export default module
}

declare module '@digitalbazaar/multikey-context' {
  const module: { contexts: Map<string, unknown>; CONTEXT_URL: string }
  export default module
}

declare module 'did-context' {
  const module: { contexts: Map<string, unknown>; CONTEXT_URL: string }
  export default module
}

declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  /** The eddsa-rdfc-2022 cryptosuite object (VC Data Integrity EdDSA Cryptosuites v1.0 §3.2). */
  export const cryptosuite: {
    name: string
    requiredAlgorithm: string
    /** RDFC-1.0 canonical N-Quads of a JSON-LD document (JSON-LD toRDF, then rdf-canonize). */
    canonize(
      input: unknown,
      options: { documentLoader: JsonLdDocumentLoader; safe?: boolean; base?: string | null },
    ): Promise<string>
    createVerifier(options: { verificationMethod: unknown }): Promise<unknown>
  }
}

declare module '@digitalbazaar/data-integrity' {
  export class DataIntegrityProof {
    constructor(options: { signer?: DigitalBazaarSigner; date?: Date | string | null; cryptosuite: unknown })
  }
}

declare module '@digitalbazaar/vc' {
  /** Digital Bazaar's own loader: the contexts the library embeds, nothing fetched. */
  export const defaultDocumentLoader: JsonLdDocumentLoader
  export function issue(options: {
    credential: Record<string, unknown>
    suite: unknown
    documentLoader: JsonLdDocumentLoader
    now?: Date | string
  }): Promise<Record<string, unknown>>
  export function signPresentation(options: {
    presentation: Record<string, unknown>
    suite: unknown
    purpose?: unknown
    challenge?: string
    domain?: string
    documentLoader: JsonLdDocumentLoader
  }): Promise<Record<string, unknown>>
  export function verifyCredential(options: {
    credential: unknown
    suite: unknown
    documentLoader: JsonLdDocumentLoader
    checkStatus?: (options: unknown) => Promise<{ verified: boolean }>
    now?: Date | string
  }): Promise<{ verified: boolean; error?: unknown; results?: unknown[] }>
  export function verify(options: {
    presentation: unknown
    suite: unknown
    documentLoader: JsonLdDocumentLoader
    challenge?: string
    domain?: string
    unsignedPresentation?: boolean
    checkStatus?: (options: unknown) => Promise<{ verified: boolean }>
  }): Promise<{
    verified: boolean
    error?: unknown
    presentationResult?: unknown
    credentialResults?: unknown[]
  }>
  export function createPresentation(options: {
    verifiableCredential?: unknown
    holder?: string
    id?: string
  }): Record<string, unknown>
}

declare module '@digitalbazaar/ed25519-multikey' {
  interface Ed25519MultikeyKeyPair {
    id: string
    controller: string
    publicKeyMultibase: string
    signer(): DigitalBazaarSigner
    verifier(): {
      algorithm: string
      verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean>
    }
    export(options?: {
      publicKey?: boolean
      secretKey?: boolean
      includeContext?: boolean
    }): Promise<Record<string, unknown>>
  }
  export function generate(options?: {
    id?: string
    controller?: string
    seed?: Uint8Array
  }): Promise<Ed25519MultikeyKeyPair>
  export function from(key: Record<string, unknown>): Promise<Ed25519MultikeyKeyPair>
}
