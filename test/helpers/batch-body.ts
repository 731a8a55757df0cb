/**
 * A batch body (protocol/v1/batch-frame.ts) read back into its items, as a
 * peer reads it: for the sessions the tests fake, which take a framed body
 * (PeerSession.putBatchBody) and decide by each item's path.
 */
import { BatchParser } from '../../src/protocol/v1/batch-parser.js';
import type { BatchItem } from '../../src/sync/types.js';

export function itemsOfBatchBody(body: Buffer): BatchItem[] {
  const items: BatchItem[] = [];
  let pieces: Buffer[] = [];
  let head: { path: string; ctSha256: string } | undefined;
  for (const event of new BatchParser().push(body)) {
    if (event.kind === 'item') {
      head = { path: event.header.path, ctSha256: event.header.ctSha256 };
      pieces = [];
    } else if (event.kind === 'data') pieces.push(event.chunk);
    else if (head) items.push({ ...head, body: Buffer.concat(pieces) });
  }
  return items;
}
