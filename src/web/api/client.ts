/**
 * The typed API client of the web UI: one function per route it uses, with
 * the request and answer shapes of src/api/routes/*.ts. Every failure throws
 * an ApiError (see http.ts).
 */
import { type DownloadedFile, requestFile, requestJson, withQuery } from './http';
import type {
  ActivationResult,
  AdminStatsHistory,
  StatsHistory,
  SyncLogPage,
  SyncLogQuery,
  SyncRunEntries,
  ApiToken,
  ApiTokenScope,
  CreatedApiToken,
  CreatedUser,
  Dashboard,
  FileVersion,
  IncomingLimits,
  IncomingOverview,
  IncomingSource,
  KeyEntered,
  IncomingDeleted,
  KeyStatus,
  LoginResult,
  Me,
  NotificationSettings,
  NotificationSettingsInput,
  NotificationTestResult,
  Peer,
  PeerIdentity,
  PeerInput,
  PeerPatch,
  PasswordChanged,
  RebuildInput,
  RebuildResult,
  RecoveryKitStatus,
  RestoreJob,
  RestoreListing,
  RestoreSnapshot,
  RestoreSource,
  RestoreStarted,
  SetupState,
  Schedule,
  ScheduleView,
  ServerInfo,
  SetupResult,
  Share,
  ShareListing,
  ShareSyncStatus,
  SyncLog,
  SyncLogDetail,
  SyncProgress,
  SyncSettings,
  SyncStarted,
  TestConnectionResult,
  User,
  UserRestoreJob,
  VerifyJob,
} from './types';

const segment = encodeURIComponent;

export const setupApi = {
  status: () => requestJson<SetupState>('GET', '/api/setup'),
  run: (input: { serverName: string; username: string; password: string }) => requestJson<SetupResult>('POST', '/api/setup', input),
  /** Before a rebuild from a peer: the peer's name and certificate fingerprint, for the administrator to compare. */
  discoverPeer: (input: { address: string; port: number }) => requestJson<PeerIdentity>('POST', '/api/setup/restore/discover', input),
  /** Rebuilds this server from its recovery kit (uploaded, or fetched from a peer); the server must be restarted afterwards. */
  rebuild: (input: RebuildInput) => requestJson<RebuildResult>('POST', '/api/setup/restore', input),
};

export const authApi = {
  me: () => requestJson<Me>('GET', '/api/auth/me'),
  login: (input: { username: string; password: string; remember: boolean }) => requestJson<LoginResult>('POST', '/api/auth/login', input),
  logout: () => requestJson<void>('POST', '/api/auth/logout'),
  activate: (input: { token: string; password: string }) => requestJson<ActivationResult>('POST', '/api/activate', input),
  /** The signed-in user's new password; their other sessions end. */
  changePassword: (input: { currentPassword: string; newPassword: string }) => requestJson<PasswordChanged>('POST', '/api/auth/password', input),
};

export const usersApi = {
  list: async () => (await requestJson<{ users: User[] }>('GET', '/api/admin/users')).users,
  create: (input: { username: string; isAdmin: boolean }) => requestJson<CreatedUser>('POST', '/api/admin/users', input),
  remove: (id: number) => requestJson<void>('DELETE', `/api/admin/users/${id}`),
  /** A new activation link for any user (an active one keeps their key and only sets a new password); earlier links stop working. */
  newActivationLink: (id: number) => requestJson<CreatedUser>('POST', `/api/admin/users/${id}/activation`),
  /** Marks the account as awaiting the key its user kept (after a rebuild without that key), or withdraws it. */
  setAwaitingKey: (id: number, awaiting: boolean) => requestJson<KeyStatus>(awaiting ? 'POST' : 'DELETE', `/api/admin/users/${id}/awaiting-key`),
};

export const sharesApi = {
  list: async () => (await requestJson<{ shares: Share[] }>('GET', '/api/shares')).shares,
  sync: (id: number) => requestJson<SyncStarted>('POST', `/api/shares/${id}/sync`),
  cancelSync: (id: number, logId: number) => requestJson<SyncLog>('POST', `/api/shares/${id}/sync/${logId}/cancel`),
  /** The share's running syncs and the runs asked for by log id: what its owner may see. */
  syncStatus: (id: number, logIds: number[]) =>
    requestJson<ShareSyncStatus>('GET', withQuery(`/api/shares/${id}/sync`, { logIds: logIds.length > 0 ? logIds.join(',') : undefined })),
};

export const dashboardApi = {
  get: () => requestJson<Dashboard>('GET', '/api/dashboard'),
};

export const peersApi = {
  list: async () => (await requestJson<{ peers: Peer[] }>('GET', '/api/admin/peers')).peers,
  create: (input: PeerInput) => requestJson<Peer>('POST', '/api/admin/peers', input),
  update: (id: number, input: PeerPatch) => requestJson<Peer>('PATCH', `/api/admin/peers/${id}`, input),
  remove: (id: number) => requestJson<void>('DELETE', `/api/admin/peers/${id}`),
  test: (id: number) => requestJson<TestConnectionResult>('POST', `/api/admin/peers/${id}/test`),
  /** Tests what a form holds before it is saved; `peerId` lets an edit form reuse the stored password. */
  testUnsaved: (input: { address: string; port: number; password?: string; fingerprint?: string | null; peerId?: number }) =>
    requestJson<TestConnectionResult>('POST', '/api/admin/peers/test', input),
};

export const syncApi = {
  config: () => requestJson<ScheduleView>('GET', '/api/admin/sync/config'),
  saveConfig: (schedule: Schedule) => requestJson<ScheduleView>('PUT', '/api/admin/sync/config', schedule),
  force: () => requestJson<SyncStarted>('POST', '/api/admin/sync/force'),
  confirmDeletions: (input: { logId: number }) => requestJson<SyncStarted>('POST', '/api/admin/sync/confirm-deletions', input),
  logs: async (filter: { limit?: number; status?: SyncLogQuery['status'] } = {}) =>
    (await requestJson<{ logs: SyncLog[] }>('GET', withQuery('/api/admin/sync/logs', filter))).logs,
  log: (id: number) => requestJson<SyncLogDetail>('GET', `/api/admin/sync/logs/${id}`),
  logPage: (query: SyncLogQuery) => requestJson<SyncLogPage>('GET', withQuery('/api/admin/sync/logs', { ...query })),
  entries: (id: number) => requestJson<SyncRunEntries>('GET', `/api/admin/sync/logs/${id}/entries`),
  /** A link the browser downloads itself (the session cookie goes with it). */
  entriesCsvUrl: (id: number) => `/api/admin/sync/logs/${id}/entries.csv`,
  running: async () => (await requestJson<{ running: SyncProgress[] }>('GET', '/api/admin/sync/running')).running,
  cancel: (logId: number) => requestJson<SyncLog>('POST', `/api/admin/sync/running/${logId}/cancel`),
};

export const statsApi = {
  adminHistory: (days: number) => requestJson<AdminStatsHistory>('GET', withQuery('/api/admin/stats/history', { days })),
  myHistory: (days: number) => requestJson<StatsHistory>('GET', withQuery('/api/stats/history', { days })),
};

export const settingsApi = {
  sync: () => requestJson<SyncSettings>('GET', '/api/admin/settings/sync'),
  saveSync: (input: { acceptIncoming?: boolean; password?: string | null }) => requestJson<SyncSettings>('PUT', '/api/admin/settings/sync', input),
  server: () => requestJson<ServerInfo>('GET', '/api/admin/server'),
  recoveryKit: (passphrase: string): Promise<DownloadedFile> => requestFile('POST', '/api/admin/recovery-kit', { passphrase }),
  recoveryKitStatus: () => requestJson<RecoveryKitStatus>('GET', '/api/admin/recovery-kit'),
  notifications: () => requestJson<NotificationSettings>('GET', '/api/admin/settings/notifications'),
  saveNotifications: (input: NotificationSettingsInput) => requestJson<NotificationSettings>('PUT', '/api/admin/settings/notifications', input),
  /** Sends one test message through each saved channel. */
  testNotifications: () => requestJson<NotificationTestResult>('POST', '/api/admin/settings/notifications/test'),
};

export const tokensApi = {
  list: async () => (await requestJson<{ tokens: ApiToken[] }>('GET', '/api/admin/tokens')).tokens,
  create: (input: { name: string; scope: ApiTokenScope }) => requestJson<CreatedApiToken>('POST', '/api/admin/tokens', input),
  revoke: (id: number) => requestJson<void>('DELETE', `/api/admin/tokens/${id}`),
};

export const incomingApi = {
  overview: () => requestJson<IncomingOverview>('GET', '/api/admin/incoming'),
  source: (name: string) => requestJson<IncomingSource>('GET', `/api/admin/incoming/${segment(name)}`),
  remove: (target: { source: string; user?: string; share?: string }) =>
    requestJson<IncomingDeleted>('DELETE', withQuery(`/api/admin/incoming/${segment(target.source)}`, { user: target.user, share: target.share })),
  /** The source's own retention and quota. */
  setLimits: (source: string, limits: IncomingLimits) => requestJson<IncomingSource>('PATCH', `/api/admin/incoming/${segment(source)}`, limits),
  acceptCertificate: (source: string) => requestJson<IncomingSource>('POST', `/api/admin/incoming/${segment(source)}/accept-certificate`),
};

export const restoreApi = {
  sources: async () => (await requestJson<{ sources: RestoreSource[] }>('GET', '/api/restore/sources')).sources,
  /** The snapshots the peer keeps of this backup, newest first. */
  snapshots: async (peerId: number, share: string) =>
    (await requestJson<{ snapshots: RestoreSnapshot[] }>('GET', `/api/restore/${peerId}/${segment(share)}/snapshots`)).snapshots,
  /** One folder; with `snapshot`, as it was then (without, the latest state). */
  list: (peerId: number, share: string, path: string, snapshot?: number) =>
    requestJson<RestoreListing>('GET', withQuery(`/api/restore/${peerId}/${segment(share)}/files`, { path, snapshot })),
  /** The distinct contents one file had, newest first. */
  versions: async (peerId: number, share: string, path: string) =>
    (await requestJson<{ versions: FileVersion[] }>('GET', withQuery(`/api/restore/${peerId}/${segment(share)}/versions`, { path }))).versions,
  /** A plain link: the browser downloads the decrypted file itself, streaming, with the session cookie. */
  fileUrl: (peerId: number, share: string, path: string, snapshot?: number) => withQuery(`/api/restore/${peerId}/${segment(share)}/file`, { path, snapshot }),
  /** Files and folders (`''` is the whole share) as one ZIP. */
  zip: (peerId: number, share: string, paths: string[], snapshot?: number) =>
    requestFile('POST', `/api/restore/${peerId}/${segment(share)}/zip`, snapshot === undefined ? { paths } : { paths, snapshot }),
  /** Where the Restore page posts its ZIP form (a browser download; see downloadByForm). */
  zipAction: (peerId: number, share: string) => `/api/restore/${peerId}/${segment(share)}/zip`,
  /** Writes the selection back into the user's share: over the originals, or into a new folder beside them; with `snapshot`, as it was then. */
  intoShare: (peerId: number, share: string, paths: string[], target: 'original' | 'folder', snapshot?: number) =>
    requestJson<RestoreStarted>('POST', `/api/restore/${peerId}/${segment(share)}/restore`, snapshot === undefined ? { paths, target } : { paths, target, snapshot }),
  job: (jobId: string) => requestJson<UserRestoreJob>('GET', `/api/restore/jobs/${segment(jobId)}`),
  cancelJob: (jobId: string) => requestJson<UserRestoreJob>('POST', `/api/restore/jobs/${segment(jobId)}/cancel`),
  keyStatus: () => requestJson<KeyStatus>('GET', '/api/restore/key'),
  enterKey: (encryptionKey: string) => requestJson<KeyEntered>('POST', '/api/restore/key', { encryptionKey }),
};

export const adminRestoreApi = {
  /** `at`: each share as it was then (ISO time); omitted, the latest state. */
  start: (input: { peerId: number; users: string[]; at?: string }) => requestJson<RestoreStarted>('POST', '/api/admin/restore', input),
  job: (jobId: string) => requestJson<RestoreJob>('GET', `/api/admin/restore/${segment(jobId)}`),
  cancel: (jobId: string) => requestJson<RestoreJob>('POST', `/api/admin/restore/${segment(jobId)}/cancel`),
  jobs: async () => (await requestJson<{ jobs: RestoreJob[] }>('GET', '/api/admin/restore')).jobs,
};

export const verifyApi = {
  start: (input: { peerId: number; users?: string[]; sample?: number }) => requestJson<VerifyJob>('POST', '/api/admin/verify', input),
  job: (jobId: string) => requestJson<VerifyJob>('GET', `/api/admin/verify/${segment(jobId)}`),
};

/** The web file manager: the user's own shares, as they are on this server. */
export const filesApi = {
  list: (share: string, path: string) => requestJson<ShareListing>('GET', withQuery(`/api/files/${segment(share)}`, { path })),
  /** A plain link: the browser downloads the file itself, streaming, with the session cookie. */
  fileUrl: (share: string, path: string) => withQuery(`/api/files/${segment(share)}/file`, { path }),
  makeFolder: (share: string, path: string) => requestJson<{ share: string; path: string }>('POST', `/api/files/${segment(share)}/folder`, { path }),
  /** One file, or one empty folder. */
  remove: (share: string, path: string) => requestJson<{ share: string; path: string; removed: 'file' | 'folder' }>('DELETE', withQuery(`/api/files/${segment(share)}`, { path })),
  /** Where resumable uploads start (tus); see lib/upload-queue.ts. */
  uploadsEndpoint: '/api/files/uploads',
};
