/**
 * A bulk restore "as of" a time (the ransomware drill): which snapshot a
 * share is put back from, and which current files that snapshot does not
 * hold (created afterwards), which are left in place and reported.
 */
import { AnemoneError } from '../errors/catalogue.js';
import type { Manifest } from '../manifest/manifest.js';
import { PeerError, type PeerClient } from '../peer-client/index.js';
import { ShareMissingError } from '../scan/index.js';
import { walkShare } from '../scan/walk-share.js';
import type { BackupRef } from './backup-access.js';
import { fromPeerError } from './restore-errors.js';

/** The generation of the latest snapshot the peer keeps committed at or before `at`. */
export async function snapshotAsOf(client: PeerClient, ref: BackupRef, at: Date, signal?: AbortSignal): Promise<number> {
  let snapshots;
  try {
    snapshots = await client.listSnapshots(ref.user.username, ref.share.name, { signal });
  } catch (error) {
    throw error instanceof PeerError ? fromPeerError(error) : error;
  }
  // compared as instants: `at` may carry any offset, the peer answers in UTC
  const eligible = snapshots.filter((snapshot) => Date.parse(snapshot.committedAt) <= at.getTime());
  const chosen = eligible.reduce<(typeof eligible)[number] | undefined>((best, snapshot) => (best === undefined || snapshot.generation > best.generation ? snapshot : best), undefined);
  if (chosen) return chosen.generation;
  const oldest = snapshots.reduce<string | undefined>((first, snapshot) => (first === undefined || snapshot.committedAt < first ? snapshot.committedAt : first), undefined);
  throw new AnemoneError('RESTORE_NO_SNAPSHOT_AT', {
    message: `${ref.peer.name} keeps no snapshot of ${ref.user.username}/${ref.share.name} from ${at.toISOString()} or earlier${oldest ? ` (the oldest is from ${oldest})` : ' (it keeps none)'}; nothing was restored into it`,
  });
}

/** The files in the share folder now that `manifest` does not list, by file key; a missing share folder has none. */
export async function filesNotIn(root: string, manifest: Manifest, signal?: AbortSignal): Promise<string[]> {
  let walked;
  try {
    walked = await walkShare(root, { signal });
  } catch (error) {
    if (error instanceof ShareMissingError) return [];
    throw error;
  }
  return walked.files.map((file) => file.relPath).filter((relPath) => !Object.hasOwn(manifest.files, relPath)).sort();
}
