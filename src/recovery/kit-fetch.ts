import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AnemoneError } from '../errors/catalogue.js';
import { loadOrCreateIdentity } from '../identity/identity.js';
import { discoverPeer } from '../peer-client/discover.js';
import { normaliseFingerprint } from '../peer-client/fingerprint.js';
import { PeerClient } from '../peer-client/peer-client.js';
import type { ClientIdentity } from '../peer-client/pinned-agent.js';
import { rebuildPeerFailure } from './peer-failure.js';

const TIMEOUT_MS = 30_000;

export interface KitPeerAddress {
  address: string;
  port: number;
}

/**
 * Who answers at the peer's address, over a connection that accepts any
 * certificate and carries nothing secret: the administrator compares the
 * fingerprint with the one on the peer's Settings page before any password
 * is sent (as Test Connection does).
 */
export async function discoverKitPeer(peer: KitPeerAddress, identity: ClientIdentity): Promise<{ serverName: string; fingerprint: string }> {
  try {
    const found = await discoverPeer({ address: peer.address, port: peer.port, identity, timeoutMs: TIMEOUT_MS });
    return { serverName: found.hello.serverName, fingerprint: found.fingerprint };
  } catch (error) {
    throw rebuildPeerFailure(error);
  }
}

/**
 * The sealed kit the peer keeps for `sourceServer`, fetched over a
 * connection pinned to the confirmed fingerprint: the password reaches that
 * certificate only, never an impostor.
 */
export async function fetchKitFromPeer(
  input: KitPeerAddress & { fingerprint: string; password: string; sourceServer: string },
  identity: ClientIdentity,
): Promise<Buffer> {
  const pinned = normaliseFingerprint(input.fingerprint);
  if (!pinned) {
    throw new AnemoneError('VALIDATION_FAILED', {
      message: `"${input.fingerprint}" is not a SHA-256 certificate fingerprint`,
      hint: "Copy the fingerprint from the peer's Settings page (64 hexadecimal digits, with or without colons).",
    });
  }
  const client = new PeerClient({ address: input.address, port: input.port, identity, pinnedFingerprint: pinned, timeoutMs: TIMEOUT_MS });
  try {
    const sealed = await client.fetchRecoveryKit(input.sourceServer, input.password);
    if (sealed === null) {
      throw new AnemoneError('NOT_FOUND', {
        message: `The peer keeps no recovery kit for "${input.sourceServer}"`,
        hint: 'Check the server name (as the peer lists it under Incoming Backups); a copy is kept only once an administrator has downloaded a kit.',
      });
    }
    return sealed;
  } catch (error) {
    throw rebuildPeerFailure(error);
  } finally {
    await client.close();
  }
}

/**
 * A throwaway certificate for a command-line rebuild: the TLS handshake
 * wants a client certificate, and the server's own is what the kit brings.
 * Made in a temporary folder, removed at once.
 */
export async function throwawayIdentity(): Promise<ClientIdentity> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'anemone-rebuild-'));
  try {
    const identity = await loadOrCreateIdentity({ certsDir: folder });
    return { certPem: identity.certPem, keyPem: identity.keyPem };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
