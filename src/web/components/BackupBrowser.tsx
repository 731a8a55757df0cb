import { restoreApi } from '../api/client';
import type { RestoreFile, RestoreListing } from '../api/types';
import { displayKeyPart } from '../lib/file-names';
import { formatBytes, formatCount } from '../lib/format';
import { Button, buttonClass } from './Button';
import { RelativeTime } from './Time';

export function FolderIcon() {
  return (
    <svg viewBox="0 0 20 20" className="size-5 shrink-0 text-amber-500" fill="currentColor" aria-hidden="true">
      <path d="M2 5.5A1.5 1.5 0 0 1 3.5 4h4l1.5 2h7.5A1.5 1.5 0 0 1 18 7.5v7a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 2 14.5v-9Z" />
    </svg>
  );
}

export function FileIcon() {
  return (
    <svg viewBox="0 0 20 20" className="size-5 shrink-0 text-slate-500" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M5 2.75h6.5L15.25 6.5v10.75H5z" />
      <path d="M11.5 2.75V6.5h3.75" />
    </svg>
  );
}

/** A file's name (with its size and date below it on a phone), then its size and date columns on wider screens. */
export function FileCells({ file }: { file: { name: string; size: number; mtime: string } }) {
  return (
    <>
      <span className="flex min-w-0 flex-1 items-center gap-2">
        <FileIcon />
        <span className="min-w-0">
          <span className="block truncate text-slate-900">{file.name}</span>
          <span className="block text-xs text-slate-600 sm:hidden">
            {formatBytes(file.size)} · <RelativeTime iso={file.mtime} />
          </span>
        </span>
      </span>
      <span className="hidden w-24 text-right text-sm text-slate-600 sm:block">{formatBytes(file.size)}</span>
      <span className="hidden w-36 text-sm text-slate-600 md:block">
        <RelativeTime iso={file.mtime} />
      </span>
    </>
  );
}

/** A plain link the browser downloads by itself (streamed, with the session cookie), named for the file. */
export function DownloadLink({ href, name }: { href: string; name: string }) {
  return (
    <a href={href} download={name} className={buttonClass('secondary', 'sm')} aria-label={`Download ${name}`}>
      Download
    </a>
  );
}

/** The folder's path as links: backup / photos / 2024. */
export function Breadcrumbs({ share, path, onOpen }: { share: string; path: string; onOpen(path: string): void }) {
  const parts = path === '' ? [] : path.split('/');
  return (
    <nav aria-label="Folder" className="flex flex-wrap items-center gap-1 text-sm">
      {parts.length === 0 ? (
        <span aria-current="location" className="px-1 font-medium text-slate-900">
          {share}
        </span>
      ) : (
        <button type="button" onClick={() => onOpen('')} className="rounded px-1 font-medium text-teal-800 hover:underline">
          {share}
        </button>
      )}
      {parts.map((part, index) => {
        const target = parts.slice(0, index + 1).join('/');
        const last = index === parts.length - 1;
        return (
          <span key={target} className="flex items-center gap-1">
            <span aria-hidden="true" className="text-slate-400">
              /
            </span>
            {last ? (
              <span aria-current="location" className="px-1 font-medium text-slate-900">
                {displayKeyPart(part)}
              </span>
            ) : (
              <button type="button" onClick={() => onOpen(target)} className="rounded px-1 font-medium text-teal-800 hover:underline">
                {displayKeyPart(part)}
              </button>
            )}
          </span>
        );
      })}
    </nav>
  );
}

/** The column of a row's buttons: Versions and Download side by side, stacked on a phone. */
const ACTIONS = 'w-24 shrink-0 sm:w-48';

/**
 * One folder of a backup: folders to open, files to download one by one,
 * and a checkbox on each to build a selection across folders.
 */
export function BackupBrowser({
  listing,
  selected,
  onToggle,
  onOpen,
  snapshot,
  onVersions,
}: {
  listing: RestoreListing;
  selected: ReadonlySet<string>;
  onToggle(paths: string[], checked: boolean): void;
  onOpen(path: string): void;
  /** The snapshot shown (undefined: the latest state): downloads are of it. */
  snapshot?: number | undefined;
  onVersions(file: RestoreFile): void;
}) {
  const all = [...listing.folders.map((folder) => folder.path), ...listing.files.map((file) => file.path)];
  const allSelected = all.length > 0 && all.every((path) => selected.has(path));
  if (all.length === 0) return <p className="py-6 text-center text-sm text-slate-600">This folder is empty.</p>;
  return (
    <div className="-mx-4 sm:-mx-5">
      <div className="flex items-center gap-3 border-b border-slate-200 px-4 py-2 text-xs font-semibold tracking-wide text-slate-600 uppercase sm:px-5">
        <input
          type="checkbox"
          aria-label="Select everything in this folder"
          checked={allSelected}
          onChange={(event) => onToggle(all, event.target.checked)}
          className="size-4 accent-teal-700"
        />
        <span className="flex-1">Name</span>
        <span className="hidden w-24 text-right sm:block">Size</span>
        <span className="hidden w-36 md:block">Modified</span>
        <span className={ACTIONS} aria-hidden="true" />
      </div>
      <ul className="divide-y divide-slate-200">
        {listing.folders.map((folder) => (
          <li key={folder.path} className="flex items-center gap-3 px-4 py-2 sm:px-5">
            <input
              type="checkbox"
              aria-label={`Select the folder ${folder.name}`}
              checked={selected.has(folder.path)}
              onChange={(event) => onToggle([folder.path], event.target.checked)}
              className="size-4 accent-teal-700"
            />
            <span className="flex min-w-0 flex-1 items-center gap-2">
              <FolderIcon />
              <span className="min-w-0">
                <button type="button" onClick={() => onOpen(folder.path)} className="block max-w-full truncate rounded text-left font-medium text-slate-900 hover:text-teal-800 hover:underline">
                  {folder.name}
                </button>
                <span className="block text-xs text-slate-600">
                  {formatCount(folder.fileCount, 'file')}
                  <span className="sm:hidden"> · {formatBytes(folder.size)}</span>
                </span>
              </span>
            </span>
            <span className="hidden w-24 text-right text-sm text-slate-600 sm:block">{formatBytes(folder.size)}</span>
            <span className="hidden w-36 text-sm text-slate-600 md:block">—</span>
            <span className={ACTIONS} />
          </li>
        ))}
        {listing.files.map((file) => (
          <li key={file.path} className="flex items-center gap-3 px-4 py-2 sm:px-5">
            <input
              type="checkbox"
              aria-label={`Select ${file.name}`}
              checked={selected.has(file.path)}
              onChange={(event) => onToggle([file.path], event.target.checked)}
              className="size-4 accent-teal-700"
            />
            <FileCells file={file} />
            <span className={`${ACTIONS} flex flex-col items-end gap-1 sm:flex-row sm:justify-end`}>
              <Button size="sm" variant="ghost" onClick={() => onVersions(file)} aria-label={`Versions of ${file.name}`}>
                Versions
              </Button>
              <DownloadLink href={restoreApi.fileUrl(listing.peerId, listing.share, file.path, snapshot)} name={file.name} />
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
