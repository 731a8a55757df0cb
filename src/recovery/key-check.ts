import { openSealedManifest } from '../manifest/sealed-manifest.js';
import type { PeerService } from '../peers/peer-service.js';

export interface KeyCheckOutcome {
  /** Peers holding a backup of the user's that this key opens. */
  opensOn: string[];
  /** Peers holding a backup of the user's that this key does not open. */
  failsOn: string[];
  /** Peers that could not be asked (offline, or refusing this server's new certificate yet). */
  unreachable: string[];
}

/**
 * Tries a key a user typed in on the manifests their synced shares have on
 * each enabled, pinned peer: a manifest decrypts only with the right key
 * (and only under this server's name, user and share), so this tells a typo
 * from the real key before it replaces anything.
 */
export async function checkKeyOnPeers(input: {
  peers: Pick<PeerService, 'list' | 'clientFor'>;
  serverName: string;
  username: string;
  shares: string[];
  userKey: Buffer;
}): Promise<KeyCheckOutcome> {
  const outcome: KeyCheckOutcome = { opensOn: [], failsOn: [], unreachable: [] };
  const peers = input.peers.list().filter((peer) => peer.enabled && peer.fingerprint !== null);
  await Promise.all(
    peers.map(async (peer) => {
      let opened = false;
      let failed = false;
      try {
        const client = input.peers.clientFor(peer.id);
        try {
          for (const share of input.shares) {
            const fetched = await client.fetchManifest(input.username, share, { signal: AbortSignal.timeout(60_000) });
            if (fetched.kind !== 'stored') continue;
            try {
              // the key is checked against the full manifest: its journal says nothing more about the key
              openSealedManifest(input.userKey, { sourceServer: input.serverName, user: input.username, share }, fetched.base);
              opened = true;
            } catch {
              failed = true;
            }
          }
        } finally {
          await client.close();
        }
      } catch {
        outcome.unreachable.push(peer.name);
        return;
      }
      if (opened) outcome.opensOn.push(peer.name);
      else if (failed) outcome.failsOn.push(peer.name);
    }),
  );
  return outcome;
}
