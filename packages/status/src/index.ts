export {
  assertStatusSize,
  Bitstring,
  MAX_BITSTRING_BYTES,
  MAX_STATUS_SIZE,
  MIN_STATUS_LIST_ENTRIES,
} from './bitstring.js'
export { checkStatus, type DecodedStatusList, type StatusCheck } from './check.js'
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
  type BitstringStatusListCredential,
  buildListCredential,
  CREDENTIALS_V2_CONTEXT,
  type ParsedListCredential,
  parseListCredential,
  STATUS_LIST_CREDENTIAL_TYPE,
  STATUS_LIST_TYPE,
} from './list-credential.js'
export * from './issuer.js'
export * from './migrations.js'
export { permuteIndex } from './permutation.js'
export * from './publish.js'
export * from './home.js'
