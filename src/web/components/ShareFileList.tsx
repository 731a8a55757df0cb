import { filesApi } from '../api/client';
import type { ShareListing } from '../api/types';
import { DownloadLink, FileCells, FolderIcon } from './BackupBrowser';
import { Button } from './Button';

/** What Delete was pressed on. */
export interface ShareEntry {
  kind: 'file' | 'folder';
  name: string;
  path: string;
}

/** The column of a row's buttons: Download and Delete side by side, stacked on a phone. */
const ACTIONS = 'flex w-24 shrink-0 flex-col items-end gap-1 sm:w-44 sm:flex-row sm:justify-end';

/** One folder of the user's own share, as it is on this server: folders to open, files to download, either to delete. */
export function ShareFileList({ listing, onOpen, onDelete }: { listing: ShareListing; onOpen(path: string): void; onDelete(entry: ShareEntry): void }) {
  if (listing.folders.length === 0 && listing.files.length === 0) {
    return <p className="py-6 text-center text-sm text-slate-600">This folder is empty. Drop files or a folder here, or use the upload buttons.</p>;
  }
  const deleteButton = (entry: ShareEntry) => (
    <Button size="sm" variant="dangerGhost" onClick={() => onDelete(entry)} aria-label={`Delete ${entry.name}`}>
      Delete
    </Button>
  );
  return (
    <div className="-mx-4 sm:-mx-5">
      <div className="flex items-center gap-3 border-b border-slate-200 px-4 py-2 text-xs font-semibold tracking-wide text-slate-600 uppercase sm:px-5">
        <span className="flex-1">Name</span>
        <span className="hidden w-24 text-right sm:block">Size</span>
        <span className="hidden w-36 md:block">Modified</span>
        <span className={ACTIONS} aria-hidden="true" />
      </div>
      <ul className="divide-y divide-slate-200" aria-label={`Contents of ${listing.path === '' ? listing.share : listing.path}`}>
        {listing.folders.map((folder) => (
          <li key={folder.path} className="flex items-center gap-3 px-4 py-2 sm:px-5">
            <span className="flex min-w-0 flex-1 items-center gap-2">
              <FolderIcon />
              <button type="button" onClick={() => onOpen(folder.path)} className="block max-w-full truncate rounded text-left font-medium text-slate-900 hover:text-teal-800 hover:underline">
                {folder.name}
              </button>
            </span>
            <span className="hidden w-24 sm:block" />
            <span className="hidden w-36 md:block" />
            <span className={ACTIONS}>{deleteButton({ kind: 'folder', ...folder })}</span>
          </li>
        ))}
        {listing.files.map((file) => (
          <li key={file.path} className="flex items-center gap-3 px-4 py-2 sm:px-5">
            <FileCells file={file} />
            <span className={ACTIONS}>
              <DownloadLink href={filesApi.fileUrl(listing.share, file.path)} name={file.name} />
              {deleteButton({ kind: 'file', name: file.name, path: file.path })}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
