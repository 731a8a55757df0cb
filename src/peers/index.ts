export { PeerService, type PeerView, type NewPeer, type PeerPatch, type UnsavedPeerTest, type PeerServiceDeps } from './peer-service.js';
export { type PeerStatus, statusForFailure } from './peer-status.js';
export { peerPasswordAad, wrapPeerPassword, unwrapPeerPassword } from './peer-password.js';
export * from './peer-fields.js';
