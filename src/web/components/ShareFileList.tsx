import { filesApi } from '../api/client';
import type { ShareListing } from '../api/types';
import { formatBytes } from '../lib/format';
import { FileIcon, FolderIcon } from './BackupBrowser';
import { buttonClass } from './Button';
import { RelativeTime } from './Time';

/** One folder of the user's own share, as it is on this server: folders to open, files to download. */
export function ShareFileList({ listing, onOpen }: { listing: ShareListing; onOpen(path: string): void }) {
  if (listing.folders.length === 0 && listing.files.length === 0) {
    return <p className="py-6 text-center text-sm text-slate-600">This folder is empty. Drop files or a folder here, or use the upload buttons.</p>;
  }
  return (
    <div className="-mx-4 sm:-mx-5">
      <div className="flex items-center gap-3 border-b border-slate-200 px-4 py-2 text-xs font-semibold tracking-wide text-slate-600 uppercase sm:px-5">
        <span className="flex-1">Name</span>
        <span className="hidden w-24 text-right sm:block">Size</span>
        <span className="hidden w-36 md:block">Modified</span>
        <span className="w-24 shrink-0" aria-hidden="true" />
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
            <span className="w-24 shrink-0" />
          </li>
        ))}
        {listing.files.map((file) => (
          <li key={file.path} className="flex items-center gap-3 px-4 py-2 sm:px-5">
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
            <span className="flex w-24 shrink-0 justify-end">
              <a href={filesApi.fileUrl(listing.share, file.path)} download={file.name} className={buttonClass('secondary', 'sm')} aria-label={`Download ${file.name}`}>
                Download
              </a>
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
