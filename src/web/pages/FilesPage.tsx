import { type DragEvent, type Ref, useCallback, useEffect, useRef, useState } from 'react';
import { filesApi, sharesApi } from '../api/client';
import type { ApiError } from '../api/http';
import { Breadcrumbs } from '../components/BackupBrowser';
import { Button, Spinner } from '../components/Button';
import { Card, PageHeader } from '../components/Card';
import { DeleteEntryDialog } from '../components/DeleteEntryDialog';
import { NewFolderForm } from '../components/NewFolderForm';
import { ErrorNotice, Notice } from '../components/Notice';
import { type ShareEntry, ShareFileList } from '../components/ShareFileList';
import { UploadPanel } from '../components/UploadPanel';
import { formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { type PickedFiles, pickedFromDrop, pickedFromInput } from '../lib/picked-files';
import { useUploadQueue } from '../lib/upload-queue';

const SHARE_PURPOSE: Record<string, string> = {
  backup: 'Files here are encrypted and copied to the peer servers at the next sync.',
  data: 'Files here stay on this server only; they are never synced.',
};

/** Reloads the folder at most this often while many small files land in it. */
const RELOAD_EVERY_MS = 1_000;

/**
 * The empty folders of a drop, made one after another (parents with them);
 * the first refusal stops the rest. The files go alongside: a file's own
 * folders are made when it lands.
 */
async function makeEmptyFolders(share: string, into: string, folders: string[]): Promise<void> {
  for (const relPath of folders) await filesApi.makeFolder(share, into === '' ? relPath : `${into}/${relPath}`);
}

/** Calls `reload` soon, once for a burst of calls. */
function useCoalesced(reload: () => void): () => void {
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      reload();
    }, RELOAD_EVERY_MS);
  }, [reload]);
}

/** A file input the page's buttons open; whatever is picked goes to `onPicked`, and the input is emptied for the next pick. */
function PickerInput({ ref, label, multiple, onPicked }: { ref: Ref<HTMLInputElement>; label: string; multiple?: boolean; onPicked(picked: PickedFiles): void }) {
  return (
    <input
      ref={ref}
      type="file"
      multiple={multiple}
      hidden
      aria-label={label}
      onChange={(event) => {
        if (event.target.files) onPicked(pickedFromInput(event.target.files));
        event.target.value = '';
      }}
    />
  );
}

/**
 * The user's own shares as they are on this server: browse, download, make
 * a folder, and upload files or whole folders (buttons or drag and drop),
 * resumable, several at a time, each with its progress and Cancel.
 */
export function FilesPage() {
  const shares = useLoad(sharesApi.list);
  const [share, setShare] = useState('backup');
  const [folder, setFolder] = useState('');
  const listing = useLoad(() => filesApi.list(share, folder), { deps: [share, folder] });
  const reloadSoon = useCoalesced(() => void listing.reload());
  const queue = useUploadQueue(reloadSoon);
  const [skipped, setSkipped] = useState(0);
  const [folderError, setFolderError] = useState<ApiError>();
  const [dragging, setDragging] = useState(false);
  const [deleting, setDeleting] = useState<ShareEntry>();
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  // not a React attribute: set on the element (every current browser supports it)
  useEffect(() => {
    if (folderInput.current) folderInput.current.webkitdirectory = true;
  }, []);

  function enqueue(picked: PickedFiles) {
    setSkipped(picked.hiddenSkipped);
    setFolderError(undefined);
    queue.add(share, folder, picked.files);
    if (picked.emptyFolders.length > 0) makeEmptyFolders(share, folder, picked.emptyFolders).then(reloadSoon, (error: ApiError) => setFolderError(error));
  }

  function open(nextShare: string, nextFolder: string) {
    setShare(nextShare);
    setFolder(nextFolder);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    void pickedFromDrop(event.dataTransfer).then(enqueue);
  }

  function onDragOver(event: DragEvent) {
    if (!Array.from(event.dataTransfer.types).includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  }

  const shareNames = shares.data?.map((found) => found.name) ?? ['backup', 'data'];

  return (
    <>
      <PageHeader
        title="Files"
        description={
          <>
            Your shares on this server. Drop files or whole folders on the list to upload them into the folder shown; a large file resumes where it stopped if the connection drops. A file never replaces one of the same name: it is
            saved beside it as “name (1)”.
          </>
        }
      />
      <div className="space-y-6">
        <div role="tablist" aria-label="Share" className="flex gap-2">
          {shareNames.map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={name === share}
              onClick={() => open(name, '')}
              className={`rounded-md px-3 py-1.5 text-sm font-medium capitalize ${name === share ? 'bg-teal-700 text-white' : 'bg-white text-slate-800 ring-1 ring-slate-300 ring-inset hover:bg-slate-50'}`}
            >
              {name}
            </button>
          ))}
        </div>
        <Card
          title={<Breadcrumbs share={share} path={folder} onOpen={(path) => open(share, path)} />}
          description={SHARE_PURPOSE[share] ?? 'Files here stay on this server.'}
          actions={
            <>
              <Button onClick={() => filesInput.current?.click()}>Upload files</Button>
              <Button variant="secondary" onClick={() => folderInput.current?.click()}>
                Upload folder
              </Button>
            </>
          }
        >
          <PickerInput ref={filesInput} label="Choose files to upload" multiple onPicked={enqueue} />
          <PickerInput ref={folderInput} label="Choose a folder to upload" onPicked={enqueue} />
          <div
            data-testid="drop-zone"
            onDragOver={onDragOver}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
            className={`space-y-4 rounded-md outline-2 outline-offset-4 ${dragging ? 'bg-teal-50 outline-teal-600 outline-dashed' : 'outline-transparent'}`}
          >
            {skipped > 0 && (
              <Notice tone="info">
                {formatCount(skipped, 'hidden file')} (names starting with “.”) left out: hidden files are neither shown nor synced.
              </Notice>
            )}
            <ErrorNotice error={folderError} title="An empty folder of the upload was not made" onDismiss={() => setFolderError(undefined)} />
            <ErrorNotice error={listing.error} />
            {listing.loading && !listing.data && <Spinner label="Loading the folder…" />}
            {listing.data && <ShareFileList listing={listing.data} onOpen={(path) => open(share, path)} onDelete={setDeleting} />}
            <NewFolderForm share={share} folder={folder} onMade={(path) => open(share, path)} />
          </div>
        </Card>
        <UploadPanel queue={queue} />
      </div>
      {/* keyed: an error shown for one entry is not shown for the next */}
      <DeleteEntryDialog key={deleting?.path ?? ''} share={share} entry={deleting} onClose={() => setDeleting(undefined)} onDeleted={() => void listing.reload()} />
    </>
  );
}
