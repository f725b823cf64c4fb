export {
  type BatchDecision,
  type BatchItem,
  createVerifierPool,
  MAX_VERIFIER_THREADS,
  type VerifierPool,
  type VerifierPoolOptions,
  type VerifyBatchOptions,
} from './batch.js'
export * from './challenge.js'
export {
  CREDENTIALS_V2_CONTEXT,
  type CredentialClaimsOptions,
  checkCredentialClaims,
  checkPresentationClaims,
  type ExtractEnvelopedCredentialsOptions,
  extractEnvelopedCredentials,
  type PresentationClaimsOptions,
  parseDateTimeStamp,
} from './claims.js'
export * from './credential-input.js'
export * from './data-integrity/index.js'
export * from './data-integrity/sign.js'
export * from './issue.js'
export * from './issue-credential.js'
export {
  type DecodeCompactJwsOptions,
  type DecodedJws,
  decodeCompactJws,
  isJwsAlg,
  JWS_ALGS,
  type JwsAlg,
  type JwsHeader,
  keyMatchesAlg,
  type SignCompactJwsOptions,
  signCompactJws,
  type VerifyJwsSignatureOptions,
  verifyJwsSignature,
} from './jws.js'
export {
  DEFAULT_LIMITS,
  getOwn,
  isJsonObject,
  type Limits,
  type ParseJsonCappedOptions,
  parseJsonCapped,
} from './limits.js'
export * from './migrations.js'
export * from './present.js'
export * from './provider.js'
export * from './register.js'
export * from './role-credential.js'
export * from './signer.js'
export * from './status-check.js'
export * from './verify.js'
