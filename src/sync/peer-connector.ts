import type { PeerClient } from '../peer-client/index.js';
import type { PeerService } from '../peers/peer-service.js';
import type { PeerConnector, PeerSession } from './types.js';

/** The engine's view of peers, over the peer service and its pinned mutual-TLS client. */
export function peerConnector(peers: PeerService): PeerConnector {
  return {
    enabledPeers: () => peers.enabledPeers(),
    findPeer: (peerId) => peers.findPeer(peerId),
    recordContact: (peerId, outcome) => peers.recordContact(peerId, outcome),
    async connect(peerId, signal) {
      const client = peers.clientFor(peerId);
      try {
        // a wrong password or a refusing peer fails here, before anything is scanned or sent
        await client.ensureSession({ signal });
      } catch (error) {
        await client.close();
        throw error;
      }
      return sessionOver(client, signal);
    },
  };
}

function sessionOver(client: PeerClient, signal: AbortSignal): PeerSession {
  const options = { signal };
  return {
    // the engine fetches the manifest once, first thing in a run: the peer may drop what an unfinished run left
    getManifest: (user, share) => client.getManifest(user, share, { ...options, startsSyncRun: true }),
    putManifest: (user, share, bytes, ctSha256, generation) => client.putManifest(user, share, bytes, ctSha256, { ...options, generation }),
    putFile: (user, share, storedPath, body, size) => client.putFile(user, share, storedPath, body, size, options),
    putBatch: async (user, share, items) => {
      await client.putBatch(user, share, items, options);
    },
    listFiles: (user, share) => client.listFiles(user, share, options),
    deleteFiles: async (user, share, paths) => {
      await client.deleteFiles(user, share, paths, options);
    },
    close: () => client.close(),
  };
}
