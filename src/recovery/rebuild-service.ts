import type { ClientIdentity } from '../peer-client/pinned-agent.js';
import { type KitPeerAddress, discoverKitPeer, fetchKitFromPeer } from './kit-fetch.js';
import { OneAtATime } from '../crypto/index.js';
import { type RestoreSummary, type RestoreTarget, assertRestorable, openRecoveryKit, restoreServer } from './restore-server.js';

export interface PeerKitSource extends KitPeerAddress {
  /** The peer's certificate fingerprint, confirmed by the administrator: the password goes to that certificate only. */
  fingerprint: string;
  /** The peer's server password. */
  password: string;
}

/**
 * Disaster recovery on a fresh install, from the command line
 * (`anemone restore-server`) or the first-run page: a kit from a file, or
 * fetched from a peer, opened with its passphrase and written into the
 * empty data directory. One rebuild at a time; a second one finds the
 * server set up and is refused.
 */
export class RebuildService {
  private readonly queue = new OneAtATime();

  constructor(
    private readonly deps: {
      target: RestoreTarget;
      /** The certificate presented to the peer while fetching (the kit brings the real one). */
      identity: ClientIdentity;
      /** Told after a rebuild into a running server, which must restart to present the restored certificate. */
      onRestored?: () => void;
    },
  ) {}

  discover(peer: KitPeerAddress): Promise<{ serverName: string; fingerprint: string }> {
    assertRestorable(this.deps.target.repos);
    return discoverKitPeer(peer, this.deps.identity);
  }

  fromKit(sealed: Buffer, passphrase: string): Promise<RestoreSummary> {
    return this.queue.run(async () => {
      // checked before the slow passphrase derivation, and again inside the restore's transaction
      assertRestorable(this.deps.target.repos);
      const summary = await restoreServer(this.deps.target, await openRecoveryKit(sealed, passphrase));
      this.deps.onRestored?.();
      return summary;
    });
  }

  /** Fetches the kit `serverName` left on the peer, then rebuilds from it. */
  async fromPeer(input: { peer: PeerKitSource; serverName: string; passphrase: string }): Promise<RestoreSummary> {
    assertRestorable(this.deps.target.repos);
    const sealed = await fetchKitFromPeer({ ...input.peer, sourceServer: input.serverName }, this.deps.identity);
    return this.fromKit(sealed, input.passphrase);
  }
}
