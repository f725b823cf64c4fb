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
