/**
 * Restore, as the API uses it (PRODUCT.md §7): a user browses their backup
 * on a peer, downloads files decrypted here, or restores them into their
 * share; an administrator bulk-restores users after a disaster.
 */
import type { UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { BackupAccess, type RestoreDeps } from './backup-access.js';
import { listBackupSources } from './backup-sources.js';
import { listSnapshots, listVersions } from './snapshots.js';
import { listFolder, normaliseBackupPath } from './backup-tree.js';
import { openFileDownload, openZipDownload, type FileDownload, type ZipDownload } from './downloads.js';
import { RestoreJobRegistry } from './job-registry.js';
import type { RestoreJob, RestoreTarget } from './restore-job.js';
import { startBulkRestore, startUserRestore } from './restore-jobs.js';

export type { RestoreDeps };

export class RestoreService {
  private readonly access: BackupAccess;
  private readonly jobs: RestoreJobRegistry;

  constructor(private readonly deps: RestoreDeps) {
    this.access = new BackupAccess(deps);
    this.jobs = new RestoreJobRegistry(deps.logger, () => this.now(), deps.isSyncing);
  }

  listSources(user: UserRow) {
    return listBackupSources(this.access, user);
  }

  /** The direct children of `folder` in the user's backup of `shareName` on the peer. */
  async browse(user: UserRow, peerId: number, shareName: string, folder: string, snapshot?: number) {
    const ref = this.access.ownBackup(user, peerId, shareName, snapshot);
    const manifest = await this.access.manifest(ref, { cached: true });
    const folderPath = normaliseBackupPath(folder);
    const listing = listFolder(manifest, folderPath);
    if (!listing) throw new AnemoneError('RESTORE_NOT_FOUND', { message: `There is no folder "${folderPath}" in this backup` });
    return {
      peerId: ref.peer.id,
      peerName: ref.peer.name,
      share: ref.share.name,
      path: folderPath,
      generation: manifest.generation,
      backedUpAt: manifest.createdAt,
      ...listing,
    };
  }

  openFile(user: UserRow, peerId: number, shareName: string, relPath: string, snapshot?: number): Promise<FileDownload> {
    return openFileDownload(this.access, this.access.ownBackup(user, peerId, shareName, snapshot), relPath, this.deps.logger);
  }

  openZip(user: UserRow, peerId: number, shareName: string, paths: readonly string[], snapshot?: number): Promise<ZipDownload> {
    return openZipDownload(this.access, this.access.ownBackup(user, peerId, shareName, snapshot), paths, this.deps.logger);
  }

  /** The snapshots the peer keeps of the user's share, newest first. */
  snapshots(user: UserRow, peerId: number, shareName: string) {
    return listSnapshots(this.access, this.access.ownBackup(user, peerId, shareName));
  }

  /** The distinct versions of one file across the kept snapshots, newest first. */
  versions(user: UserRow, peerId: number, shareName: string, relPath: string) {
    return listVersions(this.access, this.access.ownBackup(user, peerId, shareName), relPath);
  }

  restoreIntoShare(user: UserRow, peerId: number, shareName: string, paths: readonly string[], target: RestoreTarget, snapshot?: number): Promise<RestoreJob> {
    const ref = this.access.ownBackup(user, peerId, shareName, snapshot);
    return startUserRestore(this.access, this.jobs, { ref, paths, target, now: this.now() });
  }

  /** `at`: each share as it was then (its latest snapshot at or before), instead of the latest state. */
  bulkRestore(admin: UserRow, peerId: number, usernames: readonly string[], at?: Date): RestoreJob {
    return startBulkRestore(this.access, this.jobs, { admin, peerId, usernames, at });
  }

  /**
   * For the sync engine: a share being restored is not synced. Half restored,
   * it would look to the peer like files deleted at the source.
   */
  assertNotRestoring(username: string, shareName: string): void {
    if (this.jobs.isRestoring(username, shareName)) {
      throw new AnemoneError('RESTORE_IN_PROGRESS', { message: `A restore into ${username}/${shareName} is running, so the share is not synced now` });
    }
  }

  /** A job its owner may see; someone else's is "not found". */
  ownJob(user: UserRow, jobId: string): RestoreJob {
    const job = this.jobs.get(jobId);
    if (!job || job.ownerId !== user.id) throw new AnemoneError('NOT_FOUND', { message: 'No such restore job' });
    return job;
  }

  ownJobs(user: UserRow): RestoreJob[] {
    return this.jobs.list((job) => job.ownerId === user.id);
  }

  job(jobId: string): RestoreJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new AnemoneError('NOT_FOUND', { message: 'No such restore job' });
    return job;
  }

  allJobs(): RestoreJob[] {
    return this.jobs.list();
  }

  /** Cancels a running job: any job for an administrator, their own for a user (`owner`). Resolves once it ended. */
  cancelJob(jobId: string, by: UserRow, owner?: UserRow): Promise<RestoreJob> {
    return this.jobs.cancel(jobId, by.username, (job) => owner === undefined || job.ownerId === owner.id);
  }

  /** Resolves when a job has ended. */
  settled(jobId: string): Promise<void> {
    return this.jobs.settled(jobId);
  }

  /** Server shutdown: stops running jobs, leaving no partial file behind. */
  stopAll(): Promise<void> {
    return this.jobs.stopAll();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
