import type { BatchItemHeader } from './routes.js';

/**
 * A batch body is a sequence of items, each:
 *   u32be(len(header)) ‖ header (UTF-8 JSON: {path, size, ctSha256}) ‖ `size` bytes of ciphertext
 */
export function encodeBatchItemHead(header: BatchItemHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.allocUnsafe(4 + json.length);
  head.writeUInt32BE(json.length, 0);
  json.copy(head, 4);
  return head;
}

/** Header JSON longer than this is refused: a path is at most 4 KiB. */
export const MAX_BATCH_HEADER_BYTES = 8192;
