/**
 * The shapes the API answers with, as its zod schemas declare them
 * (src/api/routes/*.ts). Times are ISO-8601 strings, sizes are bytes.
 */

export interface Me {
  id: number;
  username: string;
  isAdmin: boolean;
  serverName: string;
}

/** A user key as shown once: base64, and the same key in groups of characters that cannot be confused on paper. */
export interface ShownKey {
  encryptionKey: string;
  encryptionKeyGrouped: string;
}

export interface SetupResult extends ShownKey {
  serverName: string;
  username: string;
}

/** A new account gets its key; an active account's reset link sets a new password and keeps the key, not shown again. */
export type ActivationResult = ({ username: string; keyUnchanged: false } & ShownKey) | { username: string; keyUnchanged: true };

export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
  activated: boolean;
  activationExpiresAt: string | null;
  createdAt: string;
  /** An administrator marked the account as awaiting the key its user kept. */
  awaitingKey: boolean;
}

export interface CreatedUser extends User {
  activationToken: string;
}

export interface Share {
  id: number;
  name: string;
  syncEnabled: boolean;
  fileCount: number;
  sizeBytes: number;
  lastSuccessfulSyncAt: string | null;
}

export type SyncStatus = 'running' | 'success' | 'failure' | 'interrupted' | 'cancelled';

export interface SyncLog {
  id: number;
  user: string;
  share: string;
  peer: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncStatus;
  fileCount: number;
  bytesTransferred: number;
  error: string | null;
  errorCode: string | null;
  hint: string | null;
  /** Files the run left out (unreadable, refused by the peer…): a success with some is shown as such. */
  notBackedUp: number;
  /** 1 for a run as started; 2 and up for the automatic retries of a failed scheduled run. */
  attempt: number;
}

/** One run with the files it left out (the first thousand; `notBackedUp` is the full count). */
export interface SyncLogDetail extends SyncLog {
  /** `path` is for reading (lossy for names that are not UTF-8); `key` is the file's key. */
  notBackedUpFiles: { key: string; path: string; reason: string }[];
}

export interface SyncProgress {
  logId: number;
  user: string;
  share: string;
  peer: string;
  startedAt: string;
  phase: string;
  filesDone: number;
  filesTotal: number;
  /** Plaintext bytes sent so far; moves while a large file streams. */
  bytesDone: number;
  bytesTotal: number;
  /** Over the last few seconds of the upload; null outside it or before a second was measured. */
  bytesPerSecond: number | null;
  /** Seconds left at that rate; null when unknown. */
  etaSeconds: number | null;
}

export interface SyncStarted {
  started: { logId: number; shareId: number; peerId: number; peerName: string }[];
  refused: { shareId: number; peerId: number; peerName: string; code: string; message: string }[];
}

/** A share's own syncs, as its owner sees them (GET /api/shares/:id/sync). */
export interface ShareSyncStatus {
  running: SyncProgress[];
  runs: SyncLog[];
}

export type PeerStatus = 'online' | 'unconfirmed' | 'offline' | 'unauthorized' | 'forbidden' | 'certificate-changed' | 'error';

export interface Peer {
  id: number;
  name: string;
  address: string;
  port: number;
  passwordSet: boolean;
  enabled: boolean;
  timeoutMinutes: number;
  fingerprint: string | null;
  uploadLimitKiBps: number | null;
  uploadWindows: UploadWindow[];
  remoteServerName: string | null;
  status: string | null;
  statusMessage: string | null;
  lastContactAt: string | null;
  /** The last time the peer answered (the background check about every minute, a sync, a Test Connection). */
  lastSeenAt: string | null;
  createdAt: string;
}

/** What a peer form sends; `password: null` removes a stored one. */
export interface PeerInput {
  name: string;
  address: string;
  port: number;
  password?: string | null;
  enabled: boolean;
  timeoutMinutes: number;
  fingerprint?: string | null;
  uploadLimitKiBps?: number | null;
  uploadWindows?: UploadWindow[];
}

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export type UploadWindowMode = 'limit' | 'unlimited' | 'paused';

/** One window of a peer's weekly upload timetable (server's local time). */
export interface UploadWindow {
  days: Weekday[];
  start: string;
  end: string;
  mode: UploadWindowMode;
  limitKiBps?: number;
}

/** `OK`, or the error code of what failed (docs/troubleshooting.md); the UI switches on PEER_CERTIFICATE_CHANGED. */
export type TestOutcome =
  | 'OK'
  | 'PEER_CONNECTION_REFUSED'
  | 'PEER_TIMEOUT'
  | 'PEER_NAME_NOT_FOUND'
  | 'PEER_UNAUTHORIZED'
  | 'PEER_FORBIDDEN'
  | 'PEER_CERTIFICATE_CHANGED'
  | 'SOURCE_CERT_MISMATCH'
  | 'PEER_RATE_LIMITED'
  | 'PEER_TLS_ERROR'
  | 'PEER_PROTOCOL_ERROR';

export interface TestConnectionResult {
  ok: boolean;
  outcome: TestOutcome;
  message: string;
  hint: string;
  serverName?: string;
  fingerprint?: string;
  retryAfterSeconds?: number;
}

/** One thing that needs attention on the overview, with what to do. */
export interface VerdictReason {
  code: string;
  message: string;
  hint: string;
  at: string | null;
}

/** The overview's headline (GET /api/dashboard `verdict`). */
export interface Verdict {
  state: 'ok' | 'attention' | 'nothing-to-back-up';
  sharesTotal: number;
  sharesBackedUp: number;
  oldestBackupAt: string | null;
  reasons: VerdictReason[];
}

export interface Dashboard {
  verdict: Verdict;
  nextRunAt: string | null;
  users: { user: string; fileCount: number; sizeBytes: number }[];
  shares: {
    id: number;
    user: string;
    name: string;
    syncEnabled: boolean;
    lastSuccessfulSyncAt: string | null;
    /** The share's last run left files out; the list is in that run's log. */
    notBackedUp: { count: number; logId: number; peer: string; finishedAt: string } | null;
    fileCount: number | null;
    sizeBytes: number | null;
  }[];
  connectedPeers: number;
  peers: { id: number; name: string; enabled: boolean; status: string | null; statusMessage: string | null; lastContactAt: string | null; lastSeenAt: string | null }[];
  recentFailures?: {
    id: number;
    user: string;
    share: string;
    peer: string;
    finishedAt: string | null;
    errorCode: string | null;
    error: string | null;
    hint: string | null;
  }[];
  /** Administrators only: users and peers that scheduled syncs and Force Sync leave out, and why. */
  waiting?: { code: 'USER_NOT_ACTIVATED' | 'PEER_NOT_PINNED'; subject: string; message: string; hint: string }[];
}

export type ScheduleMode = 'interval' | 'daily' | 'weekly' | 'monthly';

export interface Schedule {
  enabled: boolean;
  mode: ScheduleMode;
  intervalMinutes: number;
  /** HH:MM, 24-hour, in the server's time zone. */
  time: string;
  /** 0 = Sunday … 6 = Saturday. */
  dayOfWeek: number;
  /** 1–28. */
  dayOfMonth: number;
}

export interface ScheduleView extends Schedule {
  nextRunAt: string | null;
  timeZone: string;
  lastRunAt: string | null;
}

export interface SyncSettings {
  acceptIncoming: boolean;
  passwordSet: boolean;
  fingerprint: string;
  peerPort: number;
  /** Days a peer keeps the old versions of the backups it holds here (0: no history). */
  keepVersionsDays: number;
}

export type NotificationEvent = 'failure' | 'held' | 'stale' | 'recovered';

export interface EmailSettings {
  host: string;
  port: number;
  secure: boolean;
  username: string | null;
  from: string;
  to: string;
}

/** GET /api/admin/settings/notifications: the SMTP password is write-only. */
export interface NotificationSettings {
  webhookUrl: string | null;
  email: (EmailSettings & { passwordSet: boolean }) | null;
  events: NotificationEvent[];
  staleAfterHours: number;
}

/** PUT: an absent `email.password` keeps the stored one. */
export interface NotificationSettingsInput {
  webhookUrl: string | null;
  email: (EmailSettings & { password?: string }) | null;
  events: NotificationEvent[];
  staleAfterHours: number;
}

/** How "Send a test" went on each channel; null: not configured. */
export interface NotificationTestResult {
  webhook: { ok: boolean; error?: string } | null;
  email: { ok: boolean; error?: string } | null;
}

export interface ServerInfo {
  serverName: string;
  fingerprint: string;
  /** The port peers connect to (ANEMONE_PEER_PORT when set). */
  peerPort: number;
  version: string;
}

/** What an API token may open: `metrics` opens GET /metrics and nothing else. */
export type ApiTokenScope = 'metrics';

export interface ApiToken {
  id: number;
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A token just made: its secret is in this answer only. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

export interface IncomingShare {
  user: string;
  share: string;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  generation: number | null;
  /** Space the share's kept old versions take here, beside bytesUsed (the current state). */
  versionBytes: number;
  /** What the next retention prune frees. */
  prunableBytes: number;
}

export interface IncomingSource {
  name: string;
  fingerprint: string | null;
  pendingFingerprint: string | null;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  versionBytes: number;
  prunableBytes: number;
  /** The retention that applies to this source: its own, or this server's. */
  keepVersionsDays: number;
  /** The source's own retention; null: this server's setting. */
  keepVersionsDaysOverride: number | null;
  /** The source's quota, current state and history together; null: none. */
  maxBytes: number | null;
  shares: IncomingShare[];
}

/** What PATCH /api/admin/incoming/:source changes: a field left out stays, null goes back to the default (none for the quota). */
export interface IncomingLimits {
  keepVersionsDays?: number | null;
  maxBytes?: number | null;
}

export interface IncomingOverview {
  peerCount: number;
  fileCount: number;
  bytesUsed: number;
  versionBytes: number;
  sources: IncomingSource[];
}

export interface Problem {
  code: string;
  message: string;
  hint: string;
}

/**
 * A backup of this user on a peer, to restore from (GET /api/restore/sources):
 * one entry per peer and share, or the peer with what kept it from answering.
 */
export type RestoreSource =
  | { peerId: number; peerName: string; share: string; fileCount: number; bytesUsed: number; lastSyncAt: string | null }
  | { peerId: number; peerName: string; error: Problem; lastSeenAt: string | null; syncedShares: { share: string; lastSyncAt: string }[] };

export interface RestoreFolder {
  name: string;
  /** The path in the share, `/`-separated, no leading slash. */
  path: string;
  fileCount: number;
  size: number;
}

export interface RestoreFile {
  name: string;
  path: string;
  size: number;
  mtime: string;
  sha256: string;
}

/** One folder of a backup, from the decrypted manifest (GET /api/restore/:peerId/:share/files?path=). */
export interface RestoreListing {
  peerId: number;
  peerName: string;
  share: string;
  path: string;
  generation: number;
  backedUpAt: string;
  folders: RestoreFolder[];
  files: RestoreFile[];
}

export type RestoreJobStatus = 'running' | 'success' | 'partial' | 'failure' | 'cancelled';

export interface RestoreFileError {
  share: string;
  path: string;
  code: string;
  message: string;
}

interface RestoreProgress {
  filesDone: number;
  filesTotal: number;
  filesFailed: number;
  bytesDone: number;
  bytesTotal: number;
}

/** A bulk restore and its progress per user (GET /api/admin/restore/:jobId). */
export interface RestoreJob extends RestoreProgress {
  id: string;
  kind: 'user' | 'bulk';
  status: RestoreJobStatus;
  peerId: number;
  peerName: string;
  target: 'original' | 'folder';
  /** The share written into: the backup share for `original`, the never-synced `data` share for `folder`. */
  targetShare: string;
  targetFolder: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: Problem | null;
  users: (RestoreProgress & { user: string; shares: string[]; errors: RestoreFileError[]; errorCount: number })[];
  /** A restore as of this time (ISO), or null for the latest state. */
  at: string | null;
  /** Restoring as of `at`: the snapshot (generation) each share was put back from. */
  snapshots: { user: string; share: string; snapshot: number }[];
  /** Restoring as of `at`: files their snapshot does not hold (made later), left as they are; the first 1000. */
  leftInPlace: { user: string; share: string; path: string }[];
  leftInPlaceCount: number;
}

/** A user's own restore into their share (GET /api/restore/jobs/:jobId). */
export interface UserRestoreJob extends RestoreProgress {
  id: string;
  status: RestoreJobStatus;
  peerId: number;
  peerName: string;
  share: string;
  target: 'original' | 'folder';
  /** The share written into: the backup share for `original`, the never-synced `data` share for `folder`. */
  targetShare: string;
  targetFolder: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: Problem | null;
  errors: RestoreFileError[];
  errorCount: number;
}

/** The server recovery kit: whether one was made, and the sealed copies kept on peers (GET /api/admin/recovery-kit). */
export interface RecoveryKitStatus {
  configured: boolean;
  createdAt: string | null;
  peers: { peerId: number; peerName: string; ok: boolean; pushedAt: string | null; error: string | null; hint: string | null; pending: boolean }[];
}

/** One share of a verify report (GET /api/admin/verify/:jobId). */
export interface VerifyShareReport {
  user: string;
  share: string;
  status: 'ok' | 'problems' | 'no-backup' | 'error';
  generation: number | null;
  files: number;
  okCount: number;
  missingCount: number;
  alteredCount: number;
  extraCount: number;
  missing: string[];
  altered: string[];
  extra: string[];
  sample: { checked: number; ok: number; failed: { path: string; reason: string }[] };
  error: Problem | null;
}

export interface VerifyJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  peerId: number;
  peerName: string;
  sample: number;
  startedAt: string;
  finishedAt: string | null;
  sharesDone: number;
  sharesTotal: number;
  ok: boolean | null;
  shares: VerifyShareReport[];
  error: Problem | null;
}

/** A server rebuilt from its recovery kit (POST /api/setup/restore): it must be restarted. */
export interface RebuildResult {
  serverName: string;
  fingerprint: string;
  users: string[];
  peers: string[];
  shares: number;
  automaticSyncPaused: boolean;
  restartRequired: boolean;
  message: string;
}

export type RebuildInput =
  | { passphrase: string; kit: string }
  | { passphrase: string; serverName: string; peer: { address: string; port: number; password: string; fingerprint: string } };

/** Whether the user's key is here, or an administrator marked the account as awaiting it. */
export interface KeyStatus {
  hasKey: boolean;
  awaitingKey: boolean;
}

export interface KeyEntered {
  replaced: boolean;
  verifiedOn: string[];
  unreachable: string[];
}

/** A state of a backup the peer keeps (GET …/snapshots, newest first); the totals are null for snapshots written by an older version. */
export interface RestoreSnapshot {
  id: number;
  at: string;
  fileCount: number | null;
  bytes: number | null;
}

/** One distinct content of a file (GET …/versions, newest first), named by the newest snapshot holding it. */
export interface FileVersion {
  snapshot: number;
  at: string;
  size: number;
}

/** A line of the paged sync log: one run, or with fold=quiet the latest of `foldedRuns` runs of a day that changed nothing. */
export interface SyncLogLine extends SyncLog {
  filesDeleted: number;
  foldedRuns: number;
}

export interface SyncLogPage {
  logs: SyncLogLine[];
  /** Lines matching the filters (folded lines count once). */
  total: number;
  offset: number;
  limit: number;
}

export interface SyncLogQuery {
  limit: number;
  offset: number;
  status?: SyncStatus | undefined;
  user?: string | undefined;
  share?: string | undefined;
  peer?: string | undefined;
  fold?: 'quiet' | undefined;
}

/** A file a run sent (with its plaintext size), deleted on the peer, or skipped (with why). */
export interface SyncRunEntry {
  action: 'sent' | 'deleted' | 'skipped';
  key: string;
  path: string;
  bytes: number | null;
  reason: string | null;
}

export interface SyncRunEntries {
  entries: SyncRunEntry[];
  /** Files beyond the listed ones (lists are capped per run, and pruned after 90 days). */
  unlisted: { sent: number; deleted: number; skipped: number };
}

export interface StatsHistory {
  since: string;
  shares: { shareId: number; user: string; share: string; samples: { day: string; files: number; bytes: number }[] }[];
  bytesSentPerDay: { day: string; bytes: number; runs: number }[];
}

export interface AdminStatsHistory extends StatsHistory {
  disks: { folder: 'shares' | 'incoming'; freeBytes: number; totalBytes: number }[];
  incoming: { source: string; bytesStored: number; maxBytes: number | null }[];
}

/** One folder of a user's own share (GET /api/files/:share). Paths are file keys, as in a restore listing. */
export interface ShareListing {
  share: string;
  path: string;
  folders: { name: string; path: string }[];
  files: ShareFile[];
}

export interface ShareFile {
  name: string;
  path: string;
  size: number;
  mtime: string;
}

/** What the last PATCH of a finished upload answers: where the file landed (`renamed`: beside a file that had the name). */
export interface PlacedUpload {
  share: string;
  path: string;
  renamed: boolean;
}
