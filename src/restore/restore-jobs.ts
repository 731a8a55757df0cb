/**
 * Restores that write into shares, run as background jobs: a user's
 * selection back into their own share, and an administrator's bulk restore
 * of whole users after a disaster.
 */
import type { UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { PeerView } from '../peers/peer-service.js';
import type { BackupAccess, BackupRef } from './backup-access.js';
import { selectFiles, type SelectedFile } from './backup-tree.js';
import type { RestoreJobRegistry } from './job-registry.js';
import { describeRestoreError } from './restore-errors.js';
import { snapshotAsOf, filesNotIn } from './as-of.js';
import { newPart, recordError, recordLeftInPlace, type RestoreJob, type RestorePart, type RestoreTarget } from './restore-job.js';
import { restoreFiles } from './restore-files.js';

/**
 * A user's selection (files and folders): back into the share it came from
 * at the original paths, replacing what is there once each file verified,
 * or into a new folder `restored-<YYYY-MM-DD>/` of the user's share that is
 * never synced (`data`) — inside `backup` the restored copies would be
 * uploaded again as new files by the next sync. The selection is checked
 * before the job starts, so a wrong path is an error answer, not a failed job.
 */
export async function startUserRestore(
  access: BackupAccess,
  registry: RestoreJobRegistry,
  input: { ref: BackupRef; paths: readonly string[]; target: RestoreTarget; now: Date },
): Promise<RestoreJob> {
  const { ref } = input;
  const files = selectFiles(await access.manifest(ref, { cached: true }), input.paths);
  const targetFolder = input.target === 'folder' ? `restored-${localDate(input.now)}` : null;
  const targetShare = input.target === 'folder' ? unsyncedShareOf(access, ref.user) : ref.share.name;
  const part = newPart(ref.user.username, ref.share.name, targetShare);
  setTotals(part, files);
  return registry.start(
    { kind: 'user', ownerId: ref.user.id, peerId: ref.peer.id, peerName: ref.peer.name, target: input.target, targetShare, targetFolder, parts: [part] },
    (_job, signal) =>
      access.withClient(ref.peer.id, (client) =>
        restoreFiles({
          client,
          userKey: access.userKey(ref.user),
          context: access.context(ref),
          files,
          root: access.deps.sharePath(ref.user.username, targetShare),
          prefix: targetFolder ?? '',
          part,
          signal,
          logger: access.deps.logger,
          byCtSha256: ref.snapshot !== undefined,
        }),
      ),
  );
}

/**
 * Every synced share of each chosen user, as `peer` holds it, back into
 * `shares/<user>/<share>/` at the original paths. All manifests are read
 * first, so the totals are known before the first file; a share the peer
 * does not hold, or a file that fails, is reported and the rest go on.
 * With `at`, each share is put back from the peer's latest snapshot at or
 * before it; a share with none is reported (RESTORE_NO_SNAPSHOT_AT).
 */
export function startBulkRestore(
  access: BackupAccess,
  registry: RestoreJobRegistry,
  input: { admin: UserRow; peerId: number; usernames: readonly string[]; at?: Date | undefined },
): RestoreJob {
  const peer = access.deps.peers.findPeer(input.peerId);
  if (!peer) throw new AnemoneError('NOT_FOUND', { message: 'No such peer' });
  if (!peer.fingerprint) throw new AnemoneError('PEER_NOT_PINNED');
  const { at } = input;
  const refs = [...new Set(input.usernames)].flatMap((username) => userBackups(access, peer, username));
  const parts = refs.map((ref) => newPart(ref.user.username, ref.share.name));
  return registry.start(
    { kind: 'bulk', ownerId: input.admin.id, peerId: peer.id, peerName: peer.name, target: 'original', targetShare: '', targetFolder: null, parts, at: at?.toISOString() ?? null },
    (_job, signal) =>
      access.withClient(peer.id, async (client) => {
        const planned: { ref: BackupRef; files: SelectedFile[]; index: number }[] = [];
        for (const [index, shareRef] of refs.entries()) {
          const part = parts[index] as RestorePart;
          try {
            // as of a time: the share's latest snapshot then; files made since are kept and listed, never deleted
            const ref = at === undefined ? shareRef : { ...shareRef, snapshot: await snapshotAsOf(client, shareRef, at, signal) };
            const manifest = await access.manifest(ref, { cached: false, client, signal });
            if (ref.snapshot !== undefined) {
              part.snapshot = ref.snapshot;
              recordLeftInPlace(part, await filesNotIn(access.deps.sharePath(ref.user.username, ref.share.name), manifest, signal));
            }
            const files = selectFiles(manifest, ['']);
            setTotals(part, files);
            planned.push({ ref, files, index });
          } catch (error) {
            if (signal.aborted) throw signal.reason;
            const failure = describeRestoreError(error);
            recordError(part, { path: '', code: failure.code, message: failure.message });
          }
        }
        for (const { ref, files, index } of planned) {
          await restoreFiles({
            client,
            userKey: access.userKey(ref.user),
            context: access.context(ref),
            files,
            root: access.deps.sharePath(ref.user.username, ref.share.name),
            prefix: '',
            part: parts[index] as RestorePart,
            signal,
            logger: access.deps.logger,
            byCtSha256: ref.snapshot !== undefined,
          });
        }
      }),
  );
}

/** The synced shares of a user who can be restored: known here and activated (their key decrypts the backup). */
function userBackups(access: BackupAccess, peer: PeerView, username: string): BackupRef[] {
  const user = access.deps.repos.users.findByUsername(username);
  if (!user) throw new AnemoneError('NOT_FOUND', { message: `No user named "${username}"` });
  access.userKey(user);
  return access.deps.repos.shares
    .listForUser(user.id)
    .filter((share) => share.syncEnabled)
    .map((share) => ({ user, share, peer }));
}

/** The user's share that never leaves the server (`data`): restored copies there never loop back into the backup. */
function unsyncedShareOf(access: BackupAccess, user: UserRow): string {
  const share = access.deps.repos.shares.listForUser(user.id).find((candidate) => !candidate.syncEnabled);
  if (!share) {
    throw new AnemoneError('NOT_FOUND', {
      message: `${user.username} has no share that is never synced, to restore into a new folder`,
      hint: 'Restore over the current files instead, or download the files (one, or several as a ZIP).',
    });
  }
  return share.name;
}

function setTotals(part: RestorePart, files: readonly SelectedFile[]): void {
  part.filesTotal = files.length;
  part.bytesTotal = files.reduce((sum, file) => sum + file.entry.size, 0);
}

/** The server's local date, as a person reads it in a folder name. */
function localDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
