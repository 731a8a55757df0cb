export { PeerClient, type PeerClientOptions, type PeerCredentials, type PeerHello, type ManifestFetch, type StoredShare, type StoredFile, type BatchItem, type UploadBody, type CallOptions, type UploadOptions, type PeerSnapshot, type ManifestTotals } from './peer-client.js';
export type { OnBodySent } from './metered-body.js';
export { PeerError, isPeerError, describePeerError, peerErrorKinds, peerErrorCodeOf, type PeerErrorKind, type PeerErrorContext } from './peer-error.js';
export { testConnection, type TestConnectionInput, type TestConnectionResult, type TestOutcome } from './test-connection.js';
export { discoverPeer } from './discover.js';
export { normaliseFingerprint, sameFingerprint } from './fingerprint.js';
export { createPinnedAgent, createDiscoveryAgent, type ClientIdentity } from './pinned-agent.js';
export { SessionSlot, type OpenPeerSession } from './session-slot.js';
export { UploadThrottle, type UploadLimit } from './upload-throttle.js';
