/**
 * The uploads of the Files page: a queue of files sent with the tus protocol
 * (resumable: a cut connection is retried from the server's offset, and the
 * same file chosen again after a reload resumes too), a few at a time so a
 * folder of many small files does not open hundreds of requests at once.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type DetailedError, Upload } from 'tus-js-client';
import { filesApi } from '../api/client';
import type { PlacedUpload } from '../api/types';
import type { PickedFile } from './picked-files';

/** Files sent at the same time. */
const CONCURRENCY = 3;
/** One PATCH's worth: progress after a cut is lost at most this much; the server allows a slow chunk 15 minutes. */
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Waits before each retry of a cut or failed request (the server's offset is asked first). */
const RETRY_DELAYS = [0, 1_000, 3_000, 5_000, 10_000, 20_000, 30_000];

export type UploadStatus = 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  id: number;
  share: string;
  /** Where it goes in the share, as asked. */
  target: string;
  size: number;
  sent: number;
  status: UploadStatus;
  error?: { message: string; hint: string };
  /** Where it landed (beside a file that had its name: renamed). */
  placed?: PlacedUpload;
}

interface Running {
  item: UploadItem;
  file: File;
  upload?: Upload;
}

/** What the server said, in its words (the API's error body), or the browser's when it said nothing. */
function describeFailure(error: Error | DetailedError): { message: string; hint: string } {
  const body = 'originalResponse' in error ? error.originalResponse?.getBody() : undefined;
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { message?: string; hint?: string } };
    if (parsed.error?.message) return { message: parsed.error.message, hint: parsed.error.hint ?? '' };
  } catch {
    // not our JSON: below
  }
  const status = 'originalResponse' in error ? (error.originalResponse?.getStatus() ?? 0) : 0;
  if (status === 0) return { message: 'The connection to the server was lost', hint: 'Check your connection, then upload the file again: it resumes where it stopped.' };
  return { message: `The upload failed (${status})`, hint: 'Try again; if it keeps happening, ask the administrator to look at the server log.' };
}

/** Retried: a lost connection, a server error that may pass, a resume offset out of step. Not: a refusal (a name, a full disk, a size). */
function retryable(error: DetailedError): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  if (status === 0) return true;
  let code = '';
  try {
    code = (JSON.parse(error.originalResponse?.getBody() ?? '') as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    // not our JSON
  }
  if (code === 'UPLOAD_PROTOCOL_ERROR') return true;
  return status >= 500 && status !== 507 && code !== 'FILE_WRITE_FAILED';
}

export interface UploadQueue {
  items: UploadItem[];
  add(share: string, folder: string, picked: PickedFile[]): void;
  cancel(id: number): void;
  cancelAll(): void;
  /** Forgets finished, failed and cancelled rows. */
  clearFinished(): void;
}

export function useUploadQueue(onFileDone: (placed: PlacedUpload) => void): UploadQueue {
  const [items, setItems] = useState<UploadItem[]>([]);
  const running = useRef(new Map<number, Running>());
  const nextId = useRef(1);
  const doneRef = useRef(onFileDone);
  doneRef.current = onFileDone;

  const publish = useCallback(() => setItems(Array.from(running.current.values(), (entry) => ({ ...entry.item }))), []);

  const pump = useCallback(() => {
    const entries = Array.from(running.current.values());
    let active = entries.filter((entry) => entry.item.status === 'uploading').length;
    for (const entry of entries) {
      if (active >= CONCURRENCY) break;
      if (entry.item.status !== 'waiting') continue;
      active += 1;
      start(entry);
    }
    publish();
  }, [publish]);

  const finish = useCallback(
    (entry: Running, change: Partial<UploadItem>) => {
      Object.assign(entry.item, change);
      delete entry.upload;
      pump();
    },
    [pump],
  );

  function start(entry: Running): void {
    const { item, file } = entry;
    item.status = 'uploading';
    const upload = new Upload(file, {
      endpoint: filesApi.uploadsEndpoint,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: { share: item.share, path: item.target, lastModified: String(file.lastModified) },
      // the place is part of the file's identity: the same file sent to two folders is two uploads
      fingerprint: async () => ['anemone', item.share, item.target, file.size, file.lastModified].join('|'),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onShouldRetry: (error) => retryable(error),
      onProgress: (sent) => {
        item.sent = sent;
        publish();
      },
      onSuccess: ({ lastResponse }) => {
        let placed: PlacedUpload = { share: item.share, path: item.target, renamed: false };
        try {
          placed = JSON.parse(lastResponse.getBody()) as PlacedUpload;
        } catch {
          // resumed an upload the server had already placed: the name asked is the best we know
        }
        finish(entry, { status: 'done', sent: item.size, placed });
        doneRef.current(placed);
      },
      onError: (error) => finish(entry, { status: 'failed', error: describeFailure(error) }),
    });
    entry.upload = upload;
    void upload.findPreviousUploads().then((previous) => {
      if (item.status !== 'uploading') return;
      const last = previous[0];
      if (last) upload.resumeFromPreviousUpload(last);
      upload.start();
    });
  }

  const add = useCallback(
    (share: string, folder: string, picked: PickedFile[]) => {
      for (const { file, relPath } of picked) {
        const id = nextId.current++;
        const target = folder === '' ? relPath : `${folder}/${relPath}`;
        running.current.set(id, { file, item: { id, share, target, size: file.size, sent: 0, status: 'waiting' } });
      }
      pump();
    },
    [pump],
  );

  const cancel = useCallback(
    (id: number) => {
      const entry = running.current.get(id);
      if (!entry || (entry.item.status !== 'waiting' && entry.item.status !== 'uploading')) return;
      // true: the server forgets the staged bytes too (tus termination)
      void entry.upload?.abort(true).catch(() => undefined);
      finish(entry, { status: 'cancelled' });
    },
    [finish],
  );

  const cancelAll = useCallback(() => {
    // the waiting ones first, so cancelling a running one does not start the next
    for (const entry of running.current.values()) if (entry.item.status === 'waiting') entry.item.status = 'cancelled';
    for (const id of running.current.keys()) cancel(id);
    publish();
  }, [cancel, publish]);

  const clearFinished = useCallback(() => {
    for (const [id, entry] of running.current) if (entry.item.status !== 'waiting' && entry.item.status !== 'uploading') running.current.delete(id);
    publish();
  }, [publish]);

  // leaving the page stops the transfers; a file chosen again later resumes where it stood
  useEffect(() => {
    const current = running.current;
    return () => {
      for (const entry of current.values()) void entry.upload?.abort(false).catch(() => undefined);
    };
  }, []);

  return { items, add, cancel, cancelAll, clearFinished };
}
