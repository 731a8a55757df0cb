/**
 * Several files as one ZIP, streamed: each file is opened from the peer only
 * when the archive reaches it, so neither memory nor disk ever holds the set.
 * Files are stored, not deflated: backups are mostly photos and videos that do
 * not shrink, a small server's CPU is spared, and the archive's exact size is
 * known in advance (a browser shows real progress). ZIP64 where needed.
 */
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

export interface ZipItem {
  /** The name inside the archive (`/`-separated, relative). */
  name: string;
  size: number;
  mtimeMs: number;
  /** The file's verified plaintext: it fails rather than end with bad content. */
  open(): Promise<Readable>;
}

/**
 * `size` is the archive's exact length. A file that fails (missing, altered)
 * destroys the whole archive stream with that error: a half-sent response is
 * aborted, never completed into a ZIP that looks whole.
 */
export function zipArchive(items: readonly ZipItem[]): { stream: Readable; size: number | undefined } {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  let current: Readable | undefined;
  const fail = (error: Error) => {
    current?.destroy();
    output.destroy(error);
  };
  zip.on('error', fail);
  output.on('close', () => current?.destroy());
  for (const item of items) {
    zip.addReadStreamLazy(item.name, { size: item.size, mtime: new Date(item.mtimeMs), compress: false }, (ready) => {
      item.open().then(
        (stream) => {
          current = stream;
          stream.on('error', fail);
          ready(null, stream);
        },
        (error: Error) => ready(error, undefined as unknown as Readable),
      );
    });
  }
  let size: number | undefined;
  // with stored entries of known sizes, yazl knows the total as soon as the list is closed
  // (@types/yazl leaves out the callback's argument)
  const onTotal = (total: number) => {
    if (total >= 0) size = total;
  };
  zip.end(undefined, onTotal as () => void);
  return { stream: output, size };
}
