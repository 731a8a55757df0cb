import { PassThrough, type Readable } from 'node:stream';
import { CHUNK_SIZE } from '../crypto/index.js';

/**
 * Waits until `source` produced its first piece (or ended) before handing it
 * on. Up to then a failure rejects, so the caller can still answer with a
 * proper error instead of a download that starts and breaks. A verified file
 * of one chunk produces nothing before it verified entirely.
 */
export function afterFirstPiece(source: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    // room for a whole chunk, as in the decryptor: a 16 KiB buffer would stall every 1 MiB piece
    const out = new PassThrough({ highWaterMark: CHUNK_SIZE });
    const stopWaiting = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    const handOn = () => {
      stopWaiting();
      source.on('error', (error) => out.destroy(error));
      // a reader that goes away (a browser cancelling) ends the source too
      out.on('close', () => source.destroy());
      source.pipe(out);
      resolve(out);
    };
    const onData = (piece: Buffer) => {
      source.pause();
      out.write(piece);
      handOn();
    };
    const onEnd = () => handOn();
    const onError = (error: Error) => {
      stopWaiting();
      source.destroy();
      reject(error);
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
  });
}
