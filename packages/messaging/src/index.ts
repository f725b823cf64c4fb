/** @tessera/messaging: DIDComm v2 agent-to-agent channel with a mutual presentation handshake. */
export {}
