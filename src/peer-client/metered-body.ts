import { Readable } from 'node:stream';

/** Told how many bytes of a request body the connection has taken so far, of how many in all. */
export type OnBodySent = (sentBytes: number, totalBytes: number) => void;

/**
 * Pieces handed to the connection one at a time: small enough that progress
 * moves several times a second on a 1 Mbit/s uplink, large enough to cost
 * nothing on a LAN.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * An upload body that reports how much of it the connection took. undici
 * writes each piece to the socket and asks for the next only once the socket
 * drained, so the count follows the link within a piece plus what the
 * kernel's buffers hold — what the peer receives, not what was read from
 * disk. Pieces are views of the source's buffers, not copies.
 */
export function meteredBody(source: Iterable<Buffer> | AsyncIterable<Buffer>, totalBytes: number, onSent: OnBodySent): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    let sent = 0;
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        const piece = chunk.subarray(at, at + PIECE_BYTES);
        // resumes when the consumer asks for more: the piece has been written
        yield piece;
        sent += piece.length;
        onSent(sent, totalBytes);
      }
    }
  }
  return Readable.from(pieces(), { objectMode: false, highWaterMark: PIECE_BYTES });
}
