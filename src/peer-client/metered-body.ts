import { Readable } from 'node:stream';

/** Told how many bytes of a request body the connection has taken so far, of how many in all. */
export type OnBodySent = (sentBytes: number, totalBytes: number) => void;

/**
 * Pieces handed to the connection start this small: progress then moves
 * several times a second on a 1 Mbit/s uplink.
 */
const FIRST_PIECE_BYTES = 64 * 1024;
/** Two pieces in a row that the connection took faster than this double the next ones, up to MAX_PIECE_BYTES. */
const QUICK_PIECE_MS = 20;
const MAX_PIECE_BYTES = 4 * 1024 * 1024;

/**
 * An upload body that reports how much of it the connection took. undici
 * writes each piece to the socket and asks for the next only once the socket
 * drained, so the count follows the link within a piece plus what the
 * kernel's buffers hold — what the peer receives, not what was read from
 * disk. Pieces are views of the source's buffers, not copies.
 *
 * Pieces grow gently while the link takes them quickly, up to the source's own
 * chunks: on a fast link every write to the TLS socket costs a system call
 * and a TLS record whatever its size, so 64 KiB pieces of 1 MiB chunks cost
 * the sender CPU for nothing; on a slow one they stay small and the progress
 * smooth.
 */
export function meteredBody(source: Iterable<Buffer> | AsyncIterable<Buffer>, totalBytes: number, onSent: OnBodySent): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    let sent = 0;
    let pieceBytes = FIRST_PIECE_BYTES;
    let quickInARow = 0;
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; ) {
        const piece = at === 0 && chunk.length <= pieceBytes ? chunk : chunk.subarray(at, at + pieceBytes);
        const handedAt = performance.now();
        // resumes when the consumer asks for more: the piece has been written
        yield piece;
        quickInARow = performance.now() - handedAt < QUICK_PIECE_MS ? quickInARow + 1 : 0;
        if (quickInARow === 0) pieceBytes = FIRST_PIECE_BYTES;
        else if (quickInARow % 2 === 0) pieceBytes = Math.min(pieceBytes * 2, MAX_PIECE_BYTES);
        at += piece.length;
        sent += piece.length;
        onSent(sent, totalBytes);
      }
    }
  }
  // nothing read ahead: the generator resumes only when the connection asks for more, so the time a piece took is the link's
  return Readable.from(pieces(), { objectMode: false, highWaterMark: 0 });
}
