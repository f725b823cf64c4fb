/** @tessera/messaging: DIDComm v2 agent-to-agent channel with a mutual presentation handshake. */
export * from './envelope.js'
export * from './migrations.js'
export * from './replay.js'
export { type DidCommAgent, didCommAgent, loadDidComm } from './veramo-didcomm.js'
