/**
 * Files a person picked or dropped, each with the path it keeps under the
 * folder it is uploaded into: `cat.jpg` for a file, `Holiday/day 1/cat.jpg`
 * for a file inside a dropped or chosen folder.
 */
export interface PickedFile {
  file: File;
  relPath: string;
}

export interface PickedFiles {
  files: PickedFile[];
  /**
   * Folders of a dropped folder that no picked file lands in (`Holiday/day 2`,
   * empty, or holding hidden files only): made with the make-folder route,
   * which makes their parents too, so only the deepest are listed. A folder
   * input never lists them (it hands over files only), so from it this is empty.
   */
  emptyFolders: string[];
  /** Hidden files and folders (names starting with "."): the server neither lists nor syncs them, so they are left out. */
  hiddenSkipped: number;
}

function isHidden(relPath: string): boolean {
  return relPath.split('/').some((part) => part.startsWith('.'));
}

function keepVisible(all: PickedFile[], folders: string[] = []): PickedFiles {
  const files = all.filter((picked) => !isHidden(picked.relPath));
  return { files, hiddenSkipped: all.length - files.length, emptyFolders: deepestEmpty(folders.filter((folder) => !isHidden(folder)), files) };
}

/** The folders nothing else picked lies in: no visible file, no other such folder (one pass over each path's parents, not folders × files). */
function deepestEmpty(folders: string[], files: PickedFile[]): string[] {
  const holding = new Set<string>();
  for (const relPath of [...files.map((picked) => picked.relPath), ...folders]) {
    for (let slash = relPath.lastIndexOf('/'); slash > 0; slash = relPath.lastIndexOf('/', slash - 1)) holding.add(relPath.slice(0, slash));
  }
  return folders.filter((folder) => !holding.has(folder));
}

/** From `<input type=file multiple>` or `<input webkitdirectory>`: the folder's own name starts each path. */
export function pickedFromInput(list: FileList): PickedFiles {
  return keepVisible(Array.from(list, (file) => ({ file, relPath: file.webkitRelativePath || file.name })));
}

/**
 * From a drop: files and whole folders (DataTransferItem.webkitGetAsEntry,
 * read recursively). The entries are taken synchronously, while the drop
 * event lasts; a browser empties the DataTransfer afterwards.
 */
export async function pickedFromDrop(transfer: DataTransfer): Promise<PickedFiles> {
  const entries = Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry());
  if (entries.length === 0 || entries.some((entry) => entry === null)) {
    // no entry API (an old browser): plain files only
    return keepVisible(Array.from(transfer.files, (file) => ({ file, relPath: file.name })));
  }
  const collected: Collected = { files: [], folders: [] };
  for (const entry of entries as FileSystemEntry[]) await collect(entry, '', collected);
  return keepVisible(collected.files, collected.folders);
}

interface Collected {
  files: PickedFile[];
  folders: string[];
}

async function collect(entry: FileSystemEntry, parent: string, into: Collected): Promise<void> {
  const relPath = parent === '' ? entry.name : `${parent}/${entry.name}`;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    into.files.push({ file, relPath });
  } else if (entry.isDirectory) {
    into.folders.push(relPath);
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await collect(child, relPath, into);
  }
}

/** A directory reader hands out entries in batches (100 in Chromium) until it hands out none. */
async function readAllEntries(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
