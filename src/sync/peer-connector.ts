import { isPeerError, type PeerClient } from '../peer-client/index.js';
import type { PeerService } from '../peers/peer-service.js';
import type { PeerConnector, PeerSession } from './types.js';

/**
 * The sync's watchdog judges a peer's silence (sync-service.ts) and ends the
 * run as SYNC_TIMEOUT; the client's own timeouts, on the same limit, run this
 * much later so they do not win the race (undici's timers tick every 0.5 s).
 */
const CLIENT_TIMEOUT_GRACE_MS = 2_000;

/** The engine's view of peers, over the peer service and its pinned mutual-TLS client. */
export function peerConnector(peers: PeerService): PeerConnector {
  return {
    enabledPeers: () => peers.enabledPeers(),
    findPeer: (peerId) => peers.findPeer(peerId),
    recordContact: (peerId, outcome) => peers.recordContact(peerId, outcome),
    async connect(peerId, signal) {
      const client = peers.clientFor(peerId, { timeoutGraceMs: CLIENT_TIMEOUT_GRACE_MS, sharedConnections: true });
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
    fetchManifest: (user, share, ifGeneration) => client.fetchManifest(user, share, { ...options, startsSyncRun: true, ifGeneration }),
    putManifest: (user, share, sealed, generation, totals) => client.putManifest(user, share, sealed, { ...options, generation, totals }),
    putManifestDelta: (user, share, generation, bytes, ctSha256, totals) => client.putManifestDelta(user, share, generation, bytes, ctSha256, { ...options, totals }),
    putFile: (user, share, storedPath, body, size, onSent) => client.putFile(user, share, storedPath, body, size, { ...options, onSent }),
    putBatch: async (user, share, items, onSent) => {
      await client.putBatch(user, share, items, { ...options, onSent });
    },
    putBatchBody: async (user, share, body, onSent) => {
      await client.putBatchBody(user, share, body, { ...options, onSent });
    },
    uploadOffset: async (user, share, storedPath, uploadId, size) => {
      try {
        return await client.uploadOffset(user, share, storedPath, uploadId, size, options);
      } catch (error) {
        // a peer of an older version has no such route (404): the file is sent whole, as before
        if (isPeerError(error) && error.status === 404) return undefined;
        throw error;
      }
    },
    appendUpload: (user, share, storedPath, upload, body, ctSha256, onSent) =>
      client.appendUpload(user, share, storedPath, upload, body, ctSha256, { ...options, onSent }),
    listFiles: (user, share) => client.listFiles(user, share, options),
    deleteFiles: async (user, share, paths) => {
      await client.deleteFiles(user, share, paths, options);
    },
    close: () => client.close(),
  };
}
