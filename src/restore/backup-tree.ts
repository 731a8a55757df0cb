/** The folders and files of a backup, as the manifest's flat list of relative paths describes them. */
import { AnemoneError } from '../errors/catalogue.js';
import { displayPart } from '../manifest/file-keys.js';
import type { Manifest, ManifestFile } from '../manifest/manifest.js';

/** `name` is what a person reads (decoded, lossy for names that are not UTF-8); `path` is the file key that addresses it. */
export interface FolderItem {
  name: string;
  path: string;
  fileCount: number;
  size: number;
}

export interface FileItem {
  name: string;
  path: string;
  size: number;
  /** ISO-8601 modification time, from the manifest. */
  mtime: string;
  sha256: string;
}

export interface SelectedFile {
  relPath: string;
  entry: ManifestFile;
}

/** A path as a client sends it: no leading or trailing `/`, NFC like the manifest's; `''` is the share's root. */
export function normaliseBackupPath(input: string): string {
  return input.normalize('NFC').replace(/^\/+|\/+$/g, '');
}

/** The direct children of `folder`, or undefined when the backup has no such folder. */
export function listFolder(manifest: Manifest, folder: string): { folders: FolderItem[]; files: FileItem[] } | undefined {
  const prefix = folder === '' ? '' : `${folder}/`;
  const folders = new Map<string, FolderItem>();
  const files: FileItem[] = [];
  for (const [relPath, entry] of Object.entries(manifest.files)) {
    if (!relPath.startsWith(prefix)) continue;
    const rest = relPath.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) {
      files.push({ name: displayPart(rest), path: relPath, size: entry.size, mtime: new Date(entry.mtimeMs).toISOString(), sha256: entry.sha256 });
      continue;
    }
    const part = rest.slice(0, slash);
    const item = folders.get(part) ?? { name: displayPart(part), path: prefix + part, fileCount: 0, size: 0 };
    item.fileCount += 1;
    item.size += entry.size;
    folders.set(part, item);
  }
  if (folder !== '' && folders.size === 0 && files.length === 0) return undefined;
  return { folders: [...folders.values()].sort(byName), files: files.sort(byName) };
}

/**
 * The files that `paths` name: a file, or every file under a folder (`''`
 * for the whole share). A path naming nothing fails the whole request, so a
 * typo is not silently an empty restore.
 */
export function selectFiles(manifest: Manifest, paths: readonly string[]): SelectedFile[] {
  const selected = new Map<string, ManifestFile>();
  const all = Object.entries(manifest.files);
  for (const raw of paths) {
    const wanted = normaliseBackupPath(raw);
    const exact = wanted === '' ? undefined : Object.hasOwn(manifest.files, wanted) ? manifest.files[wanted] : undefined;
    if (exact) {
      selected.set(wanted, exact);
      continue;
    }
    const prefix = wanted === '' ? '' : `${wanted}/`;
    let found = false;
    for (const [relPath, entry] of all) {
      if (!relPath.startsWith(prefix)) continue;
      selected.set(relPath, entry);
      found = true;
    }
    if (!found && wanted !== '') throw new AnemoneError('RESTORE_NOT_FOUND', { message: `There is no file or folder "${wanted}" in this backup` });
  }
  return [...selected.entries()].map(([relPath, entry]) => ({ relPath, entry })).sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** The one file `relPath` names, or RESTORE_NOT_FOUND. */
export function findFile(manifest: Manifest, relPath: string): SelectedFile {
  const wanted = normaliseBackupPath(relPath);
  const entry = wanted !== '' && Object.hasOwn(manifest.files, wanted) ? manifest.files[wanted] : undefined;
  if (!entry) throw new AnemoneError('RESTORE_NOT_FOUND', { message: `There is no file "${wanted}" in this backup` });
  return { relPath: wanted, entry };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}
