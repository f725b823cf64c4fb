/** Data Integrity (VC Data Integrity 1.0, eddsa-rdfc-2022): bundled contexts, the loader, signing, proof checks. */
export {
  BUNDLED_CONTEXTS,
  CREDENTIALS_EXAMPLES_V2_CONTEXT,
  DATA_INTEGRITY_V2_CONTEXT,
  DID_V1_CONTEXT,
  MULTIKEY_V1_CONTEXT,
  ROLE_CREDENTIAL_DI_CONTEXTS,
  UNDEFINED_TERMS_V2_CONTEXT,
} from './contexts.js'
export {
  createDocumentLoader,
  type DocumentLoader,
  type DocumentLoaderOptions,
  documentLoader,
  type RemoteDocument,
} from './document-loader.js'
export {
  clearDataIntegrityCache,
  DATA_INTEGRITY_PROOF_TYPE,
  type DataIntegrityProofValue,
  dataIntegrityHashData,
  EDDSA_RDFC_2022,
  HASH_DATA_CACHE_SIZE,
  type ProofPurpose,
  readDataIntegrityProof,
} from './proof.js'
