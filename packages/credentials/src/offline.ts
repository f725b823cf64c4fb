/**
 * The offline verifier's entry point, `@tessera/credentials/offline`: everything a verifier needs and nothing
 * that loads Veramo or a database (so a verifier process starts fast and holds no key store). Data Integrity
 * verification is here too (the bundled contexts, the loader and the proof checks); signing is not.
 */
export { type ChallengeOutcome, type ChallengeStore, memoryChallengeStore } from './challenge.js'
export * from './claims.js'
export * from './data-integrity/index.js'
export * from './jws.js'
export * from './limits.js'
export type * from './status-check.js'
export * from './verify.js'
