import { createHash } from 'node:crypto';
import { ChunkSealer, fileInfo, type FileContext } from '../../crypto/format-v1.js';

/** A resumed upload: the salt of the version begun earlier, and the byte of the ciphertext to start sending at. */
export interface ResumeFrom {
  salt: Buffer;
  startAt: number;
}

/**
 * One large file's chunks, from plaintext to what goes on the wire: the
 * plaintext hashed (the manifest's `sha256`), sealed in format v1, the
 * ciphertext hashed (the upload's trailer, the manifest's `ctSha256`), and
 * what lies before `startAt` of a resumed upload dropped. The same steps
 * whether the chunks are read on the main thread (EncryptedFileStream) or on
 * the large files' sealing thread (seal-file-worker.ts).
 */
export class FileChunkSealer {
  private readonly sealer: ChunkSealer;
  private readonly plaintextHash = createHash('sha256');
  private readonly ciphertextHash = createHash('sha256');
  /** Ciphertext bytes produced so far, sent or not (see `startAt`). */
  private produced = 0;
  private headerSent = false;

  constructor(
    userKey: Buffer,
    context: FileContext,
    /**
     * The file is still read and sealed from its start (local reads are cheap
     * next to the link), so both hashes cover the whole file while only the
     * bytes from `startAt` are sent.
     */
    private readonly resumeFrom: ResumeFrom | undefined = undefined,
  ) {
    this.sealer = new ChunkSealer(userKey, fileInfo(context), resumeFrom ? { salt: resumeFrom.salt } : {});
  }

  /** The pieces of the next chunk to send, the salt before the first; none for a chunk wholly before `startAt`. */
  seal(chunk: Buffer, isFinal: boolean): Buffer[] {
    this.plaintextHash.update(chunk);
    const sealed = this.sealer.seal([chunk], isFinal);
    const pieces = this.headerSent ? sealed : [this.sealer.header, ...sealed];
    this.headerSent = true;
    const kept: Buffer[] = [];
    for (const piece of pieces) {
      const fromStart = this.fromStart(piece);
      if (fromStart.length > 0) kept.push(fromStart);
    }
    return kept;
  }

  /** SHA-256 of the plaintext (hex) and of the whole ciphertext, from byte 0 whatever `startAt`; once, after the last chunk. */
  digests(): { sha256: string; ciphertextSha256: Buffer } {
    return { sha256: this.plaintextHash.digest('hex'), ciphertextSha256: this.ciphertextHash.digest() };
  }

  /** Hashes a piece of ciphertext and keeps only what lies at or after `startAt`. */
  private fromStart(piece: Buffer): Buffer {
    this.ciphertextHash.update(piece);
    const start = this.produced;
    this.produced += piece.length;
    const skip = (this.resumeFrom?.startAt ?? 0) - start;
    if (skip <= 0) return piece;
    return piece.subarray(Math.min(skip, piece.length));
  }
}
