/**
 * What one sync of a share will do, decided before anything is sent: the
 * uploads (small ones in batches, large ones streamed), the deletions, the
 * guard's verdict and the manifest that describes the peer afterwards.
 * Pure: no I/O, no clock — the run fetches and scans, then asks this.
 */
import { encryptedLength } from '../crypto/index.js';
import {
  heldPlanId,
  massDeletionGuard,
  planSync,
  startNextManifest,
  ransomwareTripwire,
  type HeldPlanReason,
  type LocalFileState,
  type PlannedUpload,
  type RemoteFiles,
  type SyncPlan,
} from '../manifest/diff.js';
import type { ManifestState } from '../manifest/manifest-state.js';
import { storedNameFor } from '../manifest/stored-names.js';
import { limits } from '../protocol/v1/index.js';

/** Files of at most one chunk travel in batches, encrypted in memory. */
export const SMALL_FILE_MAX_BYTES = limits.batchFileMaxBytes - 28;

export interface SharePlanInput {
  /** The share as the guards' messages name it: `alice/backup`. */
  shareLabel: string;
  /** What the scan found at the source. */
  local: ReadonlyMap<string, LocalFileState>;
  /** The files of the peer's manifest; null when it holds none. */
  remote: RemoteFiles | null;
  /** Files and folders that exist at the source but could not be read: the peer's copies are kept. */
  unread: readonly string[];
  /** The share folder itself is missing. */
  shareMissing: boolean;
  /** Force Sync: what the peer actually stores (stored path → size); a file its manifest lists but it lacks is sent again. */
  storedOnPeer?: ReadonlyMap<string, number> | undefined;
  /** The held plan (`HeldPlan.planId`) an administrator confirmed. */
  confirmedPlan?: string | undefined;
}

/** Why a plan waits for an administrator, bound to its exact content. */
export interface HeldPlan {
  /** Which guard: the mass-deletion guard or the ransomware tripwire. */
  code: 'MASS_DELETION_GUARD' | 'RANSOMWARE_TRIPWIRE';
  reason: HeldPlanReason;
  message: string;
  hint: string;
  /** What a confirmation lifts: another plan (one more deletion or rewrite) needs its own. */
  planId: string;
  /** An administrator confirmed this very plan: the run goes ahead. */
  confirmed: boolean;
}

export interface SharePlan {
  /** The diff of the scan against the peer's manifest, Force Sync's re-sends included. */
  diff: SyncPlan;
  uploads: {
    /** Sent in batches, encrypted in memory. */
    small: PlannedUpload[];
    /** Streamed one by one, resumable. */
    large: PlannedUpload[];
    files: number;
    bytes: number;
  };
  /** relPaths deleted on the peer, after the final manifest. */
  deletions: string[];
  /** Set when a guard holds the plan; `confirmed` tells whether it may run anyway. */
  held: HeldPlan | null;
  /** Nothing to send, delete or record at a new mtime: the peer's manifest already describes the share. */
  changesNothing: boolean;
  /**
   * The manifest that describes the peer after the run, as it starts (the
   * peer's, with unchanged files at their new mtime): the run adds what
   * arrives, and the deletions at the end only. A new one at each call.
   */
  startNextManifest(): ManifestState;
}

export function planShareSync(input: SharePlanInput): SharePlan {
  const { local, remote } = input;
  const diff = planSync(local, remote, { unread: input.unread });
  if (input.storedOnPeer && remote) requeueFilesMissingOnPeer(diff, local, remote, input.storedOnPeer);
  const small = diff.upload.filter((file) => file.size <= SMALL_FILE_MAX_BYTES);
  const large = diff.upload.filter((file) => file.size > SMALL_FILE_MAX_BYTES);
  const remoteCount = remote ? Object.keys(remote).length : 0;
  const held = heldBy(diff, remoteCount, local.size, input);
  return {
    diff,
    uploads: { small, large, files: diff.upload.length, bytes: diff.upload.reduce((sum, file) => sum + file.size, 0) },
    deletions: diff.delete,
    held: held && { ...held, confirmed: held.planId === input.confirmedPlan },
    changesNothing: remote !== null && diff.upload.length === 0 && diff.delete.length === 0 && diff.unchangedWithNewMtime.length === 0,
    startNextManifest: () => startNextManifest(local, remote, diff),
  };
}

/**
 * The guard that holds this plan, if any. A missing or emptied share is the
 * mass-deletion guard's case; otherwise a mass rewrite (which often deletes
 * too: renames) is named as such before "too many deletions". The plan id
 * binds the deletions and the rewritten paths alike, so one confirmation
 * lifts the whole plan the administrator saw.
 */
function heldBy(diff: SyncPlan, remoteCount: number, localCount: number, input: SharePlanInput): Omit<HeldPlan, 'confirmed'> | null {
  const deletion = massDeletionGuard(diff, remoteCount, localCount, { shareMissing: input.shareMissing });
  if (deletion && deletion.reason !== 'too-many-deletions') return { code: 'MASS_DELETION_GUARD', ...deletion, planId: heldPlanId(deletion.reason, diff.delete) };
  const rewrite = ransomwareTripwire(diff, remoteCount, input.shareLabel);
  if (rewrite) {
    const { reason, message, hint } = rewrite;
    return { code: 'RANSOMWARE_TRIPWIRE', reason, message, hint, planId: heldPlanId(reason, diff.delete, [...rewrite.changed, ...rewrite.renamed]) };
  }
  if (deletion) return { code: 'MASS_DELETION_GUARD', ...deletion, planId: heldPlanId(deletion.reason, diff.delete) };
  return null;
}

/** Force Sync: a file the manifest lists but the peer no longer stores (or stores at the wrong size) is sent again. */
function requeueFilesMissingOnPeer(diff: SyncPlan, local: ReadonlyMap<string, LocalFileState>, remote: RemoteFiles, stored: ReadonlyMap<string, number>): void {
  const stillUnchanged: string[] = [];
  for (const relPath of diff.unchanged) {
    const entry = Object.hasOwn(remote, relPath) ? remote[relPath] : undefined;
    const now = local.get(relPath);
    if (!entry || !now || stored.get(storedNameFor(relPath)) === encryptedLength(entry.size)) {
      stillUnchanged.push(relPath);
    } else {
      diff.upload.push({ relPath, size: now.size, mtimeMs: now.mtimeMs, sha256: now.sha256, reason: 'changed' });
    }
  }
  diff.unchanged = stillUnchanged;
  diff.upload.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}
