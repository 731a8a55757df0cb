import { randomBytes } from 'node:crypto';
import { AnemoneError } from '../errors/catalogue.js';
import type { S3Objects } from './s3-objects.js';

/**
 * Before the server accepts backups into a bucket: writes, reads back and
 * deletes a small probe object, so wrong credentials, a missing bucket, a
 * key without write or delete rights or a skewed clock stop the start with
 * the catalogue's words for it, not the first source's sync.
 */
export async function probeBucket(objects: S3Objects): Promise<void> {
  const key = objects.key(`.anemone-probe-${randomBytes(8).toString('hex')}`);
  const written = randomBytes(64);
  await objects.put(key, written);
  const opened = await objects.open(key);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
  await objects.delete(key);
  if (!Buffer.concat(chunks).equals(written)) {
    throw new AnemoneError('OBJECT_STORE_UNAVAILABLE', {
      message: 'The S3 storage gave back other bytes than were written to a probe object',
      hint: 'Check that ANEMONE_S3_ENDPOINT points at the storage itself, not at a proxy or cache that changes answers, then restart Anemone.',
    });
  }
}
