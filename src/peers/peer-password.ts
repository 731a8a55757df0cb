import { unwrapKey, wrapKey } from '../crypto/index.js';

/**
 * A peer's sync password is needed in clear to log in to the peer, so it
 * cannot be hashed: it is stored wrapped by the master key (which lives
 * outside the database), bound to the peer's id so a wrapped value copied
 * onto another peer's row does not unwrap.
 */
export function peerPasswordAad(peerId: number): string {
  return `anemone/peer-password/v1:${peerId}`;
}

export function wrapPeerPassword(masterKey: Buffer, peerId: number, password: string): string {
  return wrapKey(masterKey, Buffer.from(password, 'utf8'), peerPasswordAad(peerId));
}

export function unwrapPeerPassword(masterKey: Buffer, peerId: number, wrapped: string): string {
  return unwrapKey(masterKey, wrapped, peerPasswordAad(peerId)).toString('utf8');
}
