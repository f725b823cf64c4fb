/** @tessera/server: the W3C VC-API HTTP face of one organisation home. See README.md. */
export {
  ADMIN_TOKEN_SETTING,
  type BearerCheck,
  checkBearer,
  createAdminToken,
  hashAdminToken,
  storedAdminTokenHash,
  validateAdminTokenHash,
} from './admin-token.js'
export { type ErrorBody, errorBody, httpStatusFor } from './errors.js'
export { DID_RESOLUTION_MEDIA_TYPE } from './resolver-route.js'
export { type ServedHome, type ServeHomeOptions, serveHome } from './serve-home.js'
export {
  createServer,
  DEFAULT_SERVER_LIMITS,
  DIDCOMM_MEDIA_TYPES,
  type InboxHandler,
  type Listening,
  type ListenOptions,
  type ServerContext,
  type ServerLimits,
  type ServerOptions,
  type TesseraServer,
} from './server.js'
export {
  createStatusHost,
  parseListName,
  type StatusBaseUrlOutcome,
  type StatusHost,
  type StatusHostOptions,
  settleStatusBaseUrl,
} from './status-host.js'
export { checkTls, loadTls, selfSignedTls, type TlsMaterial } from './tls.js'
export { type VerificationResponse, type VerificationWarning, warningsFor } from './vc-api.js'
