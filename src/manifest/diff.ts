import { createHash } from 'node:crypto';

/**
 * What a sync must do, from what the share holds now and what the peer's
 * manifest says it holds. Pure: no I/O, no clock.
 */
import type { Manifest, ManifestFile } from './manifest.js';
import { ManifestState } from './manifest-state.js';

/** A file at the source, as the scan saw it. */
export interface LocalFileState {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface PlannedUpload extends LocalFileState {
  relPath: string;
  /** 'new': the peer has no such file; 'changed': it has other content under that path */
  reason: 'new' | 'changed';
}

/** Every list is sorted by relPath, so the same inputs always give the same plan. */
export interface SyncPlan {
  upload: PlannedUpload[];
  /** relPaths on the peer that are no longer at the source */
  delete: string[];
  /** same size and SHA-256 on both sides: nothing to encrypt or send */
  unchanged: string[];
  /** the part of `unchanged` whose mtime differs: the next manifest records the source's mtime */
  unchangedWithNewMtime: string[];
  /** peer files the source could not read this time (see `unread`): neither sent nor deleted */
  kept: string[];
}

export type RemoteFiles = Manifest['files'];

/**
 * @param unread relPaths of files and folders that exist at the source but
 *   could not be read by the scan: what the peer holds for them, or under
 *   them, is kept rather than deleted.
 */
export function planSync(
  local: ReadonlyMap<string, LocalFileState>,
  remote: RemoteFiles | null,
  options: { unread?: Iterable<string> } = {},
): SyncPlan {
  const plan: SyncPlan = { upload: [], delete: [], unchanged: [], unchangedWithNewMtime: [], kept: [] };
  const remoteFiles = remote ?? {};

  for (const [relPath, file] of local) {
    const stored = remoteEntry(remoteFiles, relPath);
    if (stored === undefined) {
      plan.upload.push({ relPath, size: file.size, mtimeMs: file.mtimeMs, sha256: file.sha256, reason: 'new' });
    } else if (stored.sha256 === file.sha256 && stored.size === file.size) {
      plan.unchanged.push(relPath);
      if (stored.mtimeMs !== file.mtimeMs) plan.unchangedWithNewMtime.push(relPath);
    } else {
      plan.upload.push({ relPath, size: file.size, mtimeMs: file.mtimeMs, sha256: file.sha256, reason: 'changed' });
    }
  }

  const unread = new Set(options.unread);
  for (const relPath of Object.keys(remoteFiles)) {
    if (local.has(relPath)) continue;
    if (isUnderAny(relPath, unread)) plan.kept.push(relPath);
    else plan.delete.push(relPath);
  }

  plan.upload.sort((a, b) => compare(a.relPath, b.relPath));
  for (const list of [plan.delete, plan.unchanged, plan.unchangedWithNewMtime, plan.kept]) list.sort(compare);
  return plan;
}

/**
 * The manifest that will describe the peer after a sync, as it starts: what
 * the peer holds, with unchanged files at their new mtime (already counted as
 * changes for the next delta). The run then sets each upload that arrives
 * (its entry as the sender recorded it, with its ctSha256) and, at the end,
 * deletes what the plan deletes. An upload that does not arrive leaves the
 * peer's old entry, if any, in place: what the peer still holds.
 */
export function startNextManifest(
  local: ReadonlyMap<string, LocalFileState>,
  remote: RemoteFiles | null,
  plan: Pick<SyncPlan, 'unchangedWithNewMtime'>,
): ManifestState {
  const next = new ManifestState(remote);
  for (const relPath of plan.unchangedWithNewMtime) {
    const stored = next.get(relPath);
    const now = local.get(relPath);
    if (stored !== undefined && now !== undefined) next.set(relPath, { ...stored, mtimeMs: now.mtimeMs });
  }
  return next;
}

export type MassDeletionReason = 'share-missing' | 'share-empty' | 'too-many-deletions';

export interface MassDeletionStop {
  reason: MassDeletionReason;
  message: string;
  hint: string;
}

const CONFIRM_HINT = 'If this is intended, an administrator can confirm the deletions and sync again.';

/**
 * PRODUCT.md §5: a share that is now missing or empty while the peer holds
 * files for it (an unmounted disk, a freshly rebuilt server), or a plan that
 * would delete more than half of what the peer holds, stops the sync before
 * anything is deleted, until an administrator confirms that exact plan
 * (see `heldPlanId`).
 * Exactly half is allowed. A peer that holds nothing has nothing to lose.
 */
export function massDeletionGuard(
  plan: Pick<SyncPlan, 'delete'>,
  remoteFileCount: number,
  localFileCount: number,
  options: { shareMissing: boolean },
): MassDeletionStop | null {
  if (remoteFileCount === 0) return null;
  const held = `the peer holds ${count(remoteFileCount, 'file')} for it`;
  if (options.shareMissing) {
    return {
      reason: 'share-missing',
      message: `The share folder is missing while ${held}; nothing was deleted`,
      hint: `Check that the disk holding the shares is mounted and the folder was not moved. ${CONFIRM_HINT}`,
    };
  }
  if (localFileCount === 0) {
    return {
      reason: 'share-empty',
      message: `The share is empty while ${held}; nothing was deleted`,
      hint: `Check that the right disk is mounted and the files were not moved. ${CONFIRM_HINT}`,
    };
  }
  if (plan.delete.length * 2 > remoteFileCount) {
    return {
      reason: 'too-many-deletions',
      message: `This sync would delete ${plan.delete.length} of the ${count(remoteFileCount, 'file')} the peer holds, more than half; nothing was deleted`,
      hint: `Check that the share's files were deleted or moved on purpose. ${CONFIRM_HINT}`,
    };
  }
  return null;
}

/** A peer holding fewer files than this never trips the tripwire: a handful of edits is no attack to see. */
export const TRIPWIRE_MIN_FILES = 10;

export interface RewriteStop {
  reason: 'mass-rewrite';
  /** Files changed in place (same name, other content), sorted. */
  changed: string[];
  /** New names that replace a deleted file with only the extension added or changed (`a.docx` → `a.docx.locked`, `a.locked`), sorted. */
  renamed: string[];
  message: string;
  hint: string;
}

/**
 * Issue 14, the ransomware tripwire: a sync that would rewrite more than half
 * of the files the peer holds at once — content changed under the same
 * names, plus files replaced by the same name with an added or changed
 * extension — is held until an administrator confirms that exact plan, like
 * the mass-deletion guard. Exactly half is allowed; a peer holding fewer
 * than TRIPWIRE_MIN_FILES files is never held. `where` names the share
 * (`alice/backup`) in the message.
 */
export function ransomwareTripwire(plan: Pick<SyncPlan, 'upload' | 'delete'>, remoteFileCount: number, where: string): RewriteStop | null {
  if (remoteFileCount < TRIPWIRE_MIN_FILES) return null;
  const changed = plan.upload.filter((upload) => upload.reason === 'changed').map((upload) => upload.relPath);
  // a mass rename leaves few deletions unpaired; only those matter, so the cheap test comes first
  if ((changed.length + Math.min(plan.delete.length, plan.upload.length)) * 2 <= remoteFileCount) return null;
  const renamed = renamesToOtherExtensions(plan);
  const rewritten = changed.length + renamed.length;
  if (rewritten * 2 <= remoteFileCount) return null;
  const parts = [changed.length > 0 ? `${changed.length} changed in place` : '', renamed.length > 0 ? `${renamed.length} renamed to another extension` : ''].filter(Boolean);
  return {
    reason: 'mass-rewrite',
    changed,
    renamed,
    message: `${rewritten} of the ${count(remoteFileCount, 'file')} of ${where} would be rewritten at once (${parts.join(', ')}), as ransomware does; nothing was sent`,
    hint: 'Check the files on the server: open a few of them. If the changes are intended, an administrator confirms them on the dashboard (Synchronisation page) and the sync runs again; the peer keeps the earlier versions either way.',
  };
}

/** New uploads whose name is a deleted file's with an extension added or changed, each deletion paired once. */
function renamesToOtherExtensions(plan: Pick<SyncPlan, 'upload' | 'delete'>): string[] {
  // a deleted file is found by its full name (an added extension) or by its name without extension (a changed one)
  const byStem = new Map<string, string[]>();
  for (const relPath of plan.delete) {
    for (const key of new Set([relPath, withoutExtension(relPath)])) {
      const list = byStem.get(key) ?? [];
      list.push(relPath);
      byStem.set(key, list);
    }
  }
  const paired = new Set<string>();
  const renamed: string[] = [];
  for (const upload of plan.upload) {
    if (upload.reason !== 'new') continue;
    const stem = withoutExtension(upload.relPath);
    if (stem === upload.relPath) continue;
    const original = (byStem.get(stem) ?? []).find((relPath) => !paired.has(relPath) && relPath !== upload.relPath);
    if (original === undefined) continue;
    paired.add(original);
    renamed.push(upload.relPath);
  }
  return renamed;
}

/** `relPath` without the extension of its last segment (`a/b.tar.gz` → `a/b.tar`); a leading dot is no extension. */
function withoutExtension(relPath: string): string {
  const dot = relPath.lastIndexOf('.');
  const segmentStart = relPath.lastIndexOf('/') + 1;
  return dot > segmentStart ? relPath.slice(0, dot) : relPath;
}

export type HeldPlanReason = MassDeletionReason | RewriteStop['reason'];

/**
 * What an administrator's confirmation is bound to: the guard's reason, the
 * exact list of deletions and, for the tripwire, of the rewritten paths (the
 * share and peer are bound by the held run itself). Another list — one file
 * more deleted or rewritten since — is another plan, and needs its own
 * confirmation. Without rewritten paths the id is the one the mass-deletion
 * guard always gave, so a plan held before an upgrade stays confirmable.
 */
export function heldPlanId(reason: HeldPlanReason, deletions: readonly string[], rewritten: readonly string[] = []): string {
  const parts: unknown[] = [reason, [...deletions].sort()];
  if (rewritten.length > 0) parts.push([...rewritten].sort());
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The peer's entry for `relPath`, never one inherited from Object.prototype (`constructor`, …). */
function remoteEntry(files: RemoteFiles, relPath: string): ManifestFile | undefined {
  return Object.hasOwn(files, relPath) ? files[relPath] : undefined;
}

/** Whether `relPath` is one of `roots` or lies under one of them. */
function isUnderAny(relPath: string, roots: ReadonlySet<string>): boolean {
  if (roots.size === 0) return false;
  if (roots.has(relPath)) return true;
  for (let slash = relPath.indexOf('/'); slash !== -1; slash = relPath.indexOf('/', slash + 1)) {
    if (roots.has(relPath.slice(0, slash))) return true;
  }
  return false;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
