/**
 * The shapes the API answers with, inferred from the server's own zod schemas
 * in src/contract/ (docs/architecture.md, "Where API types live"): a field the
 * server stops sending, or starts sending, changes these types and the
 * typecheck of the UI. Type imports only, so zod stays out of the bundle.
 * Times are ISO-8601 strings, sizes are bytes. What the UI sends is typed by
 * the request schemas' input (`z.input`): defaults may be left out.
 */
import type { z } from 'zod';
import type {
  activationResultSchema,
  apiTokenSchema,
  API_TOKEN_SCOPES,
  createdApiTokenSchema,
  createdUserSchema,
  keyEnteredSchema,
  keyStatusSchema,
  loginResultSchema,
  meSchema,
  passwordChangedSchema,
  setupResultSchema,
  setupStateSchema,
  shownKeySchema,
  userSchema,
} from '../../contract/accounts.js';
import type { adminHistorySchema, dashboardSchema, historySchema, verdictReasonSchema, verdictSchema } from '../../contract/dashboard.js';
import type { incomingDeletedSchema, incomingLimitsSchema, incomingOverviewSchema, incomingShareSchema, incomingSourceSchema } from '../../contract/incoming.js';
import type {
  peerInputSchema,
  peerPatchSchema,
  peerSchema,
  testConnectionResultSchema,
  UPLOAD_WINDOW_MODES,
  uploadWindowViewSchema,
  WEEKDAYS,
} from '../../contract/peers.js';
import type {
  peerIdentitySchema,
  rebuildFromKitSchema,
  rebuildFromPeerSchema,
  rebuildResultSchema, recoveryKitStatusSchema, verifyJobSchema, verifyShareReportSchema } from '../../contract/recovery.js';
import type {
  fileVersionsSchema,
  problemSchema,
  restoreFileErrorSchema,
  restoreFileSchema,
  restoreFolderSchema,
  restoreJobSchema,
  restoreListingSchema,
  restoreSnapshotsSchema,
  restoreSourceSchema,
  restoreStartedSchema,
  userRestoreJobSchema,
} from '../../contract/restore.js';
import type {
  NOTIFICATION_EVENTS,
  notificationSettingsInputSchema,
  notificationSettingsSchema,
  notificationTestResultSchema,
  scheduleSchema,
  scheduleViewSchema,
  serverInfoSchema,
  syncSettingsSchema,
} from '../../contract/settings.js';
import type { placedUploadSchema, shareListingSchema, shareSchema } from '../../contract/shares.js';
import type {
  shareSyncStatusSchema,
  SYNC_STATUSES,
  syncLogDetailSchema,
  syncLogLineSchema,
  syncLogPageSchema,
  syncLogQuerySchema,
  syncLogSchema,
  syncProgressSchema,
  syncRunEntriesSchema,
  syncRunEntrySchema,
  syncStartedSchema,
} from '../../contract/sync.js';

type Answer<Schema extends z.ZodType> = z.output<Schema>;
type Sent<Schema extends z.ZodType> = z.input<Schema>;

// accounts
export type Me = Answer<typeof meSchema>;
export type LoginResult = Answer<typeof loginResultSchema>;
export type PasswordChanged = Answer<typeof passwordChangedSchema>;
export type SetupState = Answer<typeof setupStateSchema>;
export type ShownKey = Answer<typeof shownKeySchema>;
export type SetupResult = Answer<typeof setupResultSchema>;
export type ActivationResult = Answer<typeof activationResultSchema>;
export type User = Answer<typeof userSchema>;
export type CreatedUser = Answer<typeof createdUserSchema>;
export type KeyStatus = Answer<typeof keyStatusSchema>;
export type KeyEntered = Answer<typeof keyEnteredSchema>;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];
export type ApiToken = Answer<typeof apiTokenSchema>;
export type CreatedApiToken = Answer<typeof createdApiTokenSchema>;

// shares and files
export type Share = Answer<typeof shareSchema>;
export type ShareListing = Answer<typeof shareListingSchema>;
export type ShareFile = ShareListing['files'][number];
export type PlacedUpload = Answer<typeof placedUploadSchema>;

// sync
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export type SyncLog = Answer<typeof syncLogSchema>;
export type SyncLogDetail = Answer<typeof syncLogDetailSchema>;
export type SyncProgress = Answer<typeof syncProgressSchema>;
export type SyncStarted = Answer<typeof syncStartedSchema>;
export type ShareSyncStatus = Answer<typeof shareSyncStatusSchema>;
export type SyncLogLine = Answer<typeof syncLogLineSchema>;
export type SyncLogPage = Answer<typeof syncLogPageSchema>;
/** What the log page asks for: the query as the server reads it (defaults applied). */
export type SyncLogQuery = z.output<typeof syncLogQuerySchema>;
export type SyncRunEntry = Answer<typeof syncRunEntrySchema>;
export type SyncRunEntries = Answer<typeof syncRunEntriesSchema>;

// peers
export type Weekday = (typeof WEEKDAYS)[number];
export type UploadWindowMode = (typeof UPLOAD_WINDOW_MODES)[number];
export type UploadWindow = Answer<typeof uploadWindowViewSchema>;
export type Peer = Answer<typeof peerSchema>;
export type TestConnectionResult = Answer<typeof testConnectionResultSchema>;
export type PeerIdentity = Answer<typeof peerIdentitySchema>;
export type PeerInput = Sent<typeof peerInputSchema>;
export type PeerPatch = Sent<typeof peerPatchSchema>;

// overview and history
export type VerdictReason = Answer<typeof verdictReasonSchema>;
export type Verdict = Answer<typeof verdictSchema>;
export type Dashboard = Answer<typeof dashboardSchema>;
export type StatsHistory = Answer<typeof historySchema>;
export type AdminStatsHistory = Answer<typeof adminHistorySchema>;

// settings
export type Schedule = z.output<typeof scheduleSchema>;
export type ScheduleMode = Schedule['mode'];
export type ScheduleView = Answer<typeof scheduleViewSchema>;
export type SyncSettings = Answer<typeof syncSettingsSchema>;
export type ServerInfo = Answer<typeof serverInfoSchema>;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export type NotificationSettings = Answer<typeof notificationSettingsSchema>;
export type NotificationSettingsInput = Sent<typeof notificationSettingsInputSchema>;
export type NotificationTestResult = Answer<typeof notificationTestResultSchema>;

// incoming backups
export type IncomingShare = Answer<typeof incomingShareSchema>;
export type IncomingSource = Answer<typeof incomingSourceSchema>;
export type IncomingOverview = Answer<typeof incomingOverviewSchema>;
export type IncomingDeleted = Answer<typeof incomingDeletedSchema>;
export type IncomingLimits = Sent<typeof incomingLimitsSchema>;

// restore, recovery and verify
export type Problem = Answer<typeof problemSchema>;
export type RestoreSource = Answer<typeof restoreSourceSchema>;
export type RestoreFolder = Answer<typeof restoreFolderSchema>;
export type RestoreFile = Answer<typeof restoreFileSchema>;
export type RestoreListing = Answer<typeof restoreListingSchema>;
export type RestoreSnapshot = Answer<typeof restoreSnapshotsSchema>['snapshots'][number];
export type FileVersion = Answer<typeof fileVersionsSchema>['versions'][number];
export type RestoreStarted = Answer<typeof restoreStartedSchema>;
export type RestoreFileError = Answer<typeof restoreFileErrorSchema>;
export type RestoreJob = Answer<typeof restoreJobSchema>;
export type RestoreJobStatus = RestoreJob['status'];
export type UserRestoreJob = Answer<typeof userRestoreJobSchema>;
export type RecoveryKitStatus = Answer<typeof recoveryKitStatusSchema>;
export type RebuildInput = Sent<typeof rebuildFromKitSchema> | Sent<typeof rebuildFromPeerSchema>;
export type RebuildResult = Answer<typeof rebuildResultSchema>;
export type VerifyShareReport = Answer<typeof verifyShareReportSchema>;
export type VerifyJob = Answer<typeof verifyJobSchema>;
