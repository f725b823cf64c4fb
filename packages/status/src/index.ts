export {
  assertStatusSize,
  Bitstring,
  MAX_BITSTRING_BYTES,
  MAX_STATUS_SIZE,
  MIN_STATUS_LIST_ENTRIES,
} from './bitstring.js'
export {
  type CachedStatusList,
  createStatusCache,
  DEFAULT_LIST_TTL_MS,
  DEFAULT_MAX_LISTS,
  DEFAULT_MIN_TTL_MS,
  DEFAULT_RETRY_AFTER_MS,
  keepRevocations,
  type RefreshResult,
  type StatusCache,
  type StatusCacheEvent,
  type StatusCacheOptions,
} from './cache.js'
export { checkStatus, type DecodedStatusList, type StatusCheck } from './check.js'
export { statusChecker } from './checker.js'
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodeListOptions,
  decodeList,
  encodeList,
  MULTIBASE_BASE64URL_PREFIX,
  maxEncodedLengthFor,
} from './codec.js'
export {
  type BitstringStatusListEntry,
  buildEntry,
  isStatusPurpose,
  parseEntry,
  parseStatusMessages,
  STATUS_ENTRY_TYPE,
  STATUS_PURPOSES,
  type StatusEntry,
  type StatusMessage,
  type StatusPurpose,
} from './entry.js'
export { STATUS_SPEC_ERRORS, type StatusErrorCode, type StatusSpecError } from './errors.js'
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_LIST_BYTES,
  type DirectorySourceOptions,
  directorySource,
  type FetchedStatusList,
  type HttpSourceOptions,
  httpSource,
  listFileName,
  type StatusListSource,
  type StatusListSourceContext,
} from './fetch.js'
export * from './home.js'
export * from './issuer.js'
export {
  type BitstringStatusListCredential,
  buildListCredential,
  CREDENTIALS_V2_CONTEXT,
  type ParsedListCredential,
  parseListCredential,
  STATUS_LIST_CREDENTIAL_TYPE,
  STATUS_LIST_TYPE,
} from './list-credential.js'
export * from './migrations.js'
export { permuteIndex } from './permutation.js'
export * from './persist.js'
export * from './publish.js'
export * from './veramo-plugin.js'
