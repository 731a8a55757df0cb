import type { Database } from './database.js';
import { ApiTokensRepo } from './api-tokens-repo.js';
import { FileHashesRepo } from './file-hashes-repo.js';
import { IncomingHistoryRepo } from './incoming-history-repo.js';
import { IncomingMultipartRepo } from './incoming-multipart-repo.js';
import { IncomingRepo } from './incoming-repo.js';
import { KeyRequestsRepo } from './key-requests-repo.js';
import { LastSyncRepo } from './last-sync-repo.js';
import { PeerManifestsRepo } from './peer-manifests-repo.js';
import { PeersRepo } from './peers-repo.js';
import { RecoveryRepo } from './recovery-repo.js';
import { ResumableUploadsRepo } from './resumable-uploads-repo.js';
import { SessionsRepo } from './sessions-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { SharesRepo } from './shares-repo.js';
import { SyncLogsRepo } from './sync-logs-repo.js';
import { SyncHistoryRepo } from './sync-history-repo.js';
import { ShareStatsRepo } from './share-stats-repo.js';
import { SyncStateRepo } from './sync-state-repo.js';
import { UsersRepo } from './users-repo.js';

export { openDatabase, openDatabaseReadOnly, type Database } from './database.js';
export type { UserRow } from './users-repo.js';
export type { ShareRow } from './shares-repo.js';
export type { SyncLogRow, SyncStatus } from './sync-logs-repo.js';
export { SyncLogsRepo, SyncStateRepo };
export type { FileHash, FileHashRow } from './file-hashes-repo.js';
export { FileHashesRepo };
export type { PeerRow, PeerSettings, PeerContact, StoredUploadWindow } from './peers-repo.js';
export { PeersRepo };
export type { IncomingShareRow, IncomingSourceRow } from './incoming-repo.js';
export { IncomingRepo, IncomingHistoryRepo };
export type { CurrentObject, ObjectVersionRow, SnapshotRow, SourceLimits } from './incoming-history-repo.js';
export type { RestoredUser, RestoredPeer, NamedSyncState } from './recovery-repo.js';
export { RecoveryRepo, KeyRequestsRepo };
export { SessionsRepo, SettingsRepo, SharesRepo, UsersRepo };
export { LastSyncRepo };
export { PeerManifestsRepo };
export type { PeerManifestHead, PeerManifestRow, PeerManifestToSave } from './peer-manifests-repo.js';
export type { ResumableUploadRow } from './resumable-uploads-repo.js';
export { ResumableUploadsRepo };
export type { ApiTokenRow } from './api-tokens-repo.js';
export { ApiTokensRepo };
export type { SyncLogFilter, SyncLogPageRow, RunEntry } from './sync-history-repo.js';
export { SyncHistoryRepo, RUN_ENTRIES_LISTED } from './sync-history-repo.js';
export type { ShareSizeSample, BytesSentOnDay } from './share-stats-repo.js';
export { ShareStatsRepo, utcDay } from './share-stats-repo.js';

export interface Repositories {
  settings: SettingsRepo;
  users: UsersRepo;
  sessions: SessionsRepo;
  shares: SharesRepo;
  fileHashes: FileHashesRepo;
  syncLogs: SyncLogsRepo;
  syncState: SyncStateRepo;
  /** The sync log as history: pages, filters, folded quiet runs, and the files each run sent and deleted. */
  syncHistory: SyncHistoryRepo;
  /** Each share's size per day and bytes sent per day, for the overview's charts. */
  shareStats: ShareStatsRepo;
  /** The source's copy of the manifest each peer holds of each share (cheap no-change syncs, deltas). */
  peerManifests: PeerManifestsRepo;
  peers: PeersRepo;
  incoming: IncomingRepo;
  /** The peer's history of what sources stored: versions, snapshots, retention and quota per source. */
  incomingHistory: IncomingHistoryRepo;
  /** Rows a recovery kit reads and a rebuilt server writes back. */
  recovery: RecoveryRepo;
  keyRequests: KeyRequestsRepo;
  /** The last successful sync of a share to one peer (restore sources). */
  lastSync: LastSyncRepo;
  /** Large files being uploaded to a peer, to resume the same ciphertext after a drop. */
  resumableUploads: ResumableUploadsRepo;
  incomingMultipart: IncomingMultipartRepo;
  /** API tokens of scripts and scrapers (by the hash of their secret). */
  apiTokens: ApiTokensRepo;
  /** Runs `work` in one SQLite transaction: all of its writes land, or none. */
  transaction<T>(work: () => T): T;
  /** A cheap query that throws when the database does not answer (closed, unreadable): the health check. */
  ping(): void;
}

export function createRepositories(db: Database): Repositories {
  return {
    settings: new SettingsRepo(db),
    users: new UsersRepo(db),
    sessions: new SessionsRepo(db),
    shares: new SharesRepo(db),
    fileHashes: new FileHashesRepo(db),
    syncLogs: new SyncLogsRepo(db),
    syncState: new SyncStateRepo(db),
    syncHistory: new SyncHistoryRepo(db),
    shareStats: new ShareStatsRepo(db),
    peerManifests: new PeerManifestsRepo(db),
    peers: new PeersRepo(db),
    incoming: new IncomingRepo(db),
    incomingHistory: new IncomingHistoryRepo(db),
    recovery: new RecoveryRepo(db),
    keyRequests: new KeyRequestsRepo(db),
    lastSync: new LastSyncRepo(db),
    resumableUploads: new ResumableUploadsRepo(db),
    incomingMultipart: new IncomingMultipartRepo(db),
    apiTokens: new ApiTokensRepo(db),
    transaction: (work) => db.transaction(work)(),
    // reads the schema page, so a file gone unreadable fails too, not only a closed connection
    ping: () => void db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get(),
  };
}
