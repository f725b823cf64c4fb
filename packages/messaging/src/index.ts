/** @tessera/messaging: DIDComm v2 agent-to-agent channel with a mutual presentation handshake. See README.md. */
export {
  type HandshakeAuditOptions,
  handshakeAuditEntry,
  type RequestAuditOptions,
  requestAuditEntry,
  statusListVersions,
} from './audit.js'
export * from './channel.js'
export * from './endpoint.js'
export * from './envelope.js'
export * from './inbox.js'
export * from './local-agent.js'
export * from './migrations.js'
export * from './protocol.js'
export * from './replay.js'
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_SEC,
  type Session,
  type SessionInfo,
} from './session.js'
export * from './transport.js'
export { type DidCommAgent, didCommAgent, loadDidComm } from './veramo-didcomm.js'
