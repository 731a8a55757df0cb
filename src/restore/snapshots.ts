/** The snapshots a peer keeps of a user's share, and the versions of one file across them. */
import { AnemoneError } from '../errors/catalogue.js';
import { PeerError, type PeerSnapshot } from '../peer-client/index.js';
import type { BackupAccess, BackupRef } from './backup-access.js';
import { normaliseBackupPath } from './backup-tree.js';
import { fromPeerError } from './restore-errors.js';

export interface SnapshotView {
  /** The manifest generation: what `snapshot=` takes. */
  id: number;
  at: string;
  fileCount: number | null;
  bytes: number | null;
}

export interface FileVersionView {
  /** The newest snapshot holding this version. */
  snapshot: number;
  at: string;
  size: number;
}

export async function listSnapshots(access: BackupAccess, ref: BackupRef): Promise<{ snapshots: SnapshotView[] }> {
  const snapshots = await peerSnapshots(access, ref);
  return { snapshots: snapshots.map((snapshot) => ({ id: snapshot.generation, at: snapshot.committedAt, fileCount: snapshot.fileCount, bytes: snapshot.bytes })) };
}

/**
 * Each distinct content (ciphertext SHA-256) `relPath` had across the kept
 * snapshots, newest first, named by the newest snapshot that holds it. Reads
 * one manifest per snapshot, one at a time (each is decrypted and checked).
 */
export async function listVersions(access: BackupAccess, ref: BackupRef, relPath: string): Promise<{ versions: FileVersionView[] }> {
  const wanted = normaliseBackupPath(relPath);
  const snapshots = await peerSnapshots(access, ref);
  const seen = new Set<string>();
  const versions: FileVersionView[] = [];
  await access.withClient(ref.peer.id, async (client) => {
    for (const snapshot of snapshots) {
      const manifest = await access.manifest({ ...ref, snapshot: snapshot.generation }, { cached: true, client });
      const entry = Object.hasOwn(manifest.files, wanted) ? manifest.files[wanted] : undefined;
      if (entry === undefined || seen.has(entry.ctSha256)) continue;
      seen.add(entry.ctSha256);
      versions.push({ snapshot: snapshot.generation, at: snapshot.committedAt, size: entry.size });
    }
  });
  if (versions.length === 0) throw new AnemoneError('RESTORE_NOT_FOUND', { message: `There is no file "${wanted}" in any snapshot of this backup` });
  return { versions };
}

async function peerSnapshots(access: BackupAccess, ref: BackupRef): Promise<PeerSnapshot[]> {
  return access.withClient(ref.peer.id, async (client) => {
    try {
      return await client.listSnapshots(ref.user.username, ref.share.name);
    } catch (error) {
      throw error instanceof PeerError ? fromPeerError(error) : error;
    }
  });
}
