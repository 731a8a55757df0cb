/**
 * Resumable uploads from the web (the tus protocol, tus.io): each file is
 * staged under `<data dir>/uploads/`, outside every share, and moved into
 * the share only once all its bytes arrived (place-upload.ts). An upload's
 * id starts with its owner's user id, so the API hands a request for an
 * upload only to its owner (ownsUpload) and nobody else can see, resume or
 * cancel it. Unfinished uploads expire 7 days after they started: swept at
 * start and daily.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { FileStore } from '@tus/file-store';
import type { Server as TusServer, Upload } from '@tus/server';
import { z } from 'zod';
import type { placedUploadSchema } from '../contract/shares.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import { isDiskFull, pathRefused } from './file-errors.js';
import { placeUpload } from './place-upload.js';
import { sharePathProblem } from '../shares/share-paths.js';
import { loadOnFirstUse } from '../util/load-on-first-use.js';

export interface UploadOwner {
  id: number;
  username: string;
}

export interface StagedUploadsOptions {
  /** The largest file one upload may be (413 beyond); 64 GiB by default. */
  maxUploadBytes?: number | undefined;
  /** Bytes left free on the staging disk: an upload that would eat into them is refused (507). */
  reserveBytes?: number | undefined;
  /** How long an unfinished upload is kept after it started; 7 days by default. */
  expiryMs?: number | undefined;
  /** How often expired uploads are removed; daily by default. */
  sweepMs?: number | undefined;
}

/** `<owner's user id>-<32 hex>`, as namingFunction makes them; nothing else is an upload id. */
const UPLOAD_ID = /^[1-9][0-9]{0,15}-[0-9a-f]{32}$/;

const DEFAULTS = { maxUploadBytes: 64 * 1024 ** 3, reserveBytes: 256 * 1024 ** 2, expiryMs: 7 * 24 * 3600_000, sweepMs: 24 * 3600_000 };

/** What a browser says about an upload when it starts it (tus Upload-Metadata). */
const uploadMetadata = z.object({
  share: z.string().min(1).max(64),
  /** Where the file goes in the share, folders included: `photos/2024/cat.jpg`. */
  path: z.string().min(1).max(4096),
  /** The file's modification time in ms, as the browser's File.lastModified gives it. */
  lastModified: z.coerce.number().int().min(0).max(8_640_000_000_000_000).optional(),
});

/** A request the API handed to the tus server: who sent it, the upload its URL names, and the upload it finished. */
interface HandedOver {
  owner: UploadOwner;
  uploadId: string | undefined;
  /** Where tus writes the answer: held from the finish until the staged upload is removed (holdAnswer). */
  response: ServerResponse;
  finished?: string;
  /** The staged upload's removal, once begun. */
  removal?: Promise<void>;
}

/** What the tus server answers with an error: our error body, as the rest of the API answers. */
interface TusRefusal {
  status_code: number;
  body: string;
}

function refusal(error: AnemoneError): TusRefusal {
  return { status_code: error.status, body: JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint } }) };
}

export class StagedUploads {
  /** The tus server and its store, made when the first upload request (or a sweep with something to sweep) needs them. */
  private readonly tus: () => Promise<{ server: TusServer; store: FileStore }>;
  /** Who sent each request the API handed over, and which upload its route named (none for a POST). */
  private readonly handedOver = new WeakMap<IncomingMessage, HandedOver>();
  private readonly options: typeof DEFAULTS;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      /** The staging folder (`<data dir>/uploads`). */
      dir: string;
      /** The route the uploads live under; the upload's URL is this plus its id. */
      route: string;
      /** The folder of the user's share of that name, or undefined when they have none. */
      shareFolder: (owner: UploadOwner, shareName: string) => string | undefined;
      logger: Logger;
      options?: StagedUploadsOptions | undefined;
    },
  ) {
    this.options = { ...DEFAULTS, ...definedOnly(deps.options ?? {}) };
    // only the server reads what is staged: files of several users wait here
    mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
    this.tus = loadOnFirstUse('web uploads (the @tus/server and @tus/file-store packages)', async () => {
      const [{ Server }, { FileStore }] = await Promise.all([import('@tus/server'), import('@tus/file-store')]);
      const store = new FileStore({ directory: deps.dir, expirationPeriodInMilliseconds: this.options.expiryMs });
      const server = new Server({
        path: deps.route,
        datastore: store,
        relativeLocation: true,
        // same origin only: no CORS header is ever sent
        allowedOrigins: () => false,
        maxSize: this.options.maxUploadBytes,
        namingFunction: (request) => `${this.ownerOf(request).id}-${randomBytes(16).toString('hex')}`,
        // the id the API checked (ownsUpload), never one tus would read from the URL's end: a query string could name another
        getFileIdFromRequest: (request) => this.requestOf(request).uploadId,
        onUploadCreate: (request, upload) => this.accept(this.ownerOf(request), upload),
        onUploadFinish: (request, upload) => this.finish(this.requestOf(request), request.method, upload),
        onResponseError: (_request, error) => this.describe(error),
      });
      return { server, store };
    });
  }

  /** Whether `id` (from an upload's URL) is an upload id that `owner` started. */
  ownsUpload(owner: UploadOwner, id: string): boolean {
    return UPLOAD_ID.test(id) && id.startsWith(`${owner.id}-`);
  }

  /** Loads the tus library, if no request did yet (PART_NOT_LOADED when it cannot). */
  async load(): Promise<void> {
    await this.tus();
  }

  /**
   * Hands one tus request of `owner` to the tus server, which answers it on
   * `response`; `uploadId` is the upload its URL names, already checked with
   * ownsUpload (undefined for a POST, which starts one).
   */
  async handle(owner: UploadOwner, uploadId: string | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (uploadId !== undefined && !this.ownsUpload(owner, uploadId)) throw new AnemoneError('UPLOAD_NOT_FOUND');
    const tus = await this.tus();
    const handed: HandedOver = { owner, uploadId, response };
    this.handedOver.set(request, handed);
    try {
      await tus.server.handle(request, response);
    } finally {
      // an answer tus never ended (the client went away, tus failed): the upload goes all the same, the socket is let go
      if (handed.finished !== undefined) {
        await this.removeStaged(handed, handed.finished);
        handed.response.socket?.uncork();
      }
    }
  }

  /**
   * Holds the answer to the request that finished an upload until its staged
   * copy is removed, so a client that has the answer finds the upload gone.
   * The removal cannot come first: tus still reads the upload after
   * onUploadFinish (a POST of an empty file), until it ends the answer. So
   * the answer's head and body wait in the corked socket, and its end waits
   * for the removal — a cork alone does not hold it, as Node's end() uncorks
   * the socket fully, whoever corked it. An answer queued behind another on
   * a pipelined connection has no socket yet: it is corked when it gets one
   * (before what it holds is written) unless it was let go meanwhile, as
   * nothing would uncork it then.
   */
  private holdAnswer(handed: HandedOver, uploadId: string): void {
    const { response } = handed;
    let released = false;
    if (response.socket) response.socket.cork();
    else response.once('socket', (socket: Socket) => released || socket.cork());
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    response.end = ((...args: unknown[]) => {
      void this.removeStaged(handed, uploadId).then(() => {
        released = true;
        end(...args);
      });
      return response;
    }) as ServerResponse['end'];
  }

  /** Removes the finished upload from the staging folder, once; a failure leaves it to the sweep of expired uploads. */
  private removeStaged(handed: HandedOver, uploadId: string): Promise<void> {
    handed.removal ??= this.tus().then(({ store }) => store.remove(uploadId)).catch(() => undefined);
    return handed.removal;
  }

  /** Removes expired unfinished uploads now and every sweep period. */
  start(): void {
    void this.sweep();
    this.sweepTimer ??= setInterval(() => void this.sweep(), this.options.sweepMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  async sweep(): Promise<number> {
    try {
      // nothing staged, nothing to sweep: an idle server need not load tus for it
      if ((await readdir(this.deps.dir)).length === 0) return 0;
      const removed = await (await this.tus()).server.cleanUpExpiredUploads();
      if (removed > 0) this.deps.logger.info({ removed }, 'removed expired unfinished web uploads');
      return removed;
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not remove expired web uploads; tried again at the next sweep');
      return 0;
    }
  }

  /** What the API handed this request over with (handle). */
  private requestOf(request: unknown): HandedOver {
    const raw = (request as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
    const handed = raw ? this.handedOver.get(raw) : undefined;
    if (!handed) throw refusal(new AnemoneError('NOT_AUTHENTICATED'));
    return handed;
  }

  /** The signed-in user the API handed this request over for. */
  private ownerOf(request: unknown): UploadOwner {
    return this.requestOf(request).owner;
  }

  /** A new upload: its share is the user's, its path acceptable, its size known and within the disk's room. */
  private async accept(owner: UploadOwner, upload: Upload): Promise<{ metadata: Upload['metadata'] }> {
    const parsed = uploadMetadata.safeParse(upload.metadata ?? {});
    if (!parsed.success) {
      throw refusal(new AnemoneError('VALIDATION_FAILED', { message: 'An upload needs its share and path in Upload-Metadata (share, path; lastModified optional)' }));
    }
    const { share, path: relPath } = parsed.data;
    if (!this.deps.shareFolder(owner, share)) throw refusal(new AnemoneError('NOT_FOUND', { message: `You have no share named "${share.slice(0, 64)}"` }));
    const problem = sharePathProblem(relPath, 'refused');
    if (problem) throw refusal(pathRefused(relPath, problem));
    if (upload.size === undefined) {
      throw refusal(new AnemoneError('VALIDATION_FAILED', { message: 'An upload must say its size when it starts (Upload-Length); a deferred length is not accepted' }));
    }
    const room = await this.freeBytes();
    if (upload.size > room) {
      throw refusal(new AnemoneError('UPLOAD_DISK_FULL', { message: `This server's disk has room for ${formatMiB(room)} more, not ${formatMiB(upload.size)}; the upload did not start` }));
    }
    return { metadata: { ...upload.metadata, owner: String(owner.id) } };
  }

  /**
   * All bytes arrived: the file moves into the share, and the staged upload
   * goes (handle removes it), whether that worked or not. The answer says
   * where the file landed: 200 to the last PATCH, or the 201 of the POST
   * that created an empty file (a tus client needs its Location).
   */
  private async finish(handed: HandedOver, method: string, upload: Upload): Promise<{ status_code: number; body: string; headers: Record<string, string> }> {
    const { owner } = handed;
    const { share, path: relPath, lastModified } = uploadMetadata.parse(upload.metadata);
    handed.finished = upload.id;
    this.holdAnswer(handed, upload.id);
    try {
      const root = this.deps.shareFolder(owner, share);
      if (!root) throw new AnemoneError('NOT_FOUND', { message: `You have no share named "${share.slice(0, 64)}"` });
      const placed = await placeUpload({ stagedPath: path.join(this.deps.dir, upload.id), root, relPath, mtimeMs: lastModified });
      // the answer the web client types from the contract: tus writes it raw, so no route schema checks it
      const answer: z.infer<typeof placedUploadSchema> = { share, path: placed.path, renamed: placed.renamed };
      return { status_code: method === 'POST' ? 201 : 200, body: JSON.stringify(answer), headers: { 'content-type': 'application/json' } };
    } catch (error) {
      // a placement refused is not retried from the staged bytes: the client starts again, after fixing what was in the way
      throw error instanceof AnemoneError ? refusal(error) : error;
    }
  }

  /** Every error answered as the API answers one; tus's own (a wrong offset, say) keep their status with our words. */
  private describe(error: Error | TusRefusal): TusRefusal {
    if (!(error instanceof Error) && error.body.startsWith('{')) return error;
    if (isDiskFull(error)) return refusal(new AnemoneError('UPLOAD_DISK_FULL', { message: "The upload stopped: this server's disk is full; what arrived is kept" }));
    if (error instanceof AnemoneError) return refusal(error);
    const status = error instanceof Error ? 500 : error.status_code;
    if (status === 404 || status === 410) return refusal(new AnemoneError('UPLOAD_NOT_FOUND'));
    if (status === 413) return refusal(new AnemoneError('UPLOAD_TOO_LARGE', { message: `This file is larger than this server accepts for one upload (${formatMiB(this.options.maxUploadBytes)})` }));
    if (status >= 500) {
      this.deps.logger.warn({ err: error }, 'a web upload failed');
      return refusal(new AnemoneError('INTERNAL'));
    }
    // tus's own status stays (a client resumes after a 409 by asking the offset again), with our code and hint
    const ours = new AnemoneError('UPLOAD_PROTOCOL_ERROR', { message: `The upload was refused: ${(error as TusRefusal).body.trim().slice(0, 200)}` });
    return { status_code: status, body: refusal(ours).body };
  }

  /** What the staging disk can take, keeping the reserve free. */
  private async freeBytes(): Promise<number> {
    const disk = await statfs(this.deps.dir);
    return Math.max(0, disk.bavail * disk.bsize - this.options.reserveBytes);
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
