import { CHUNK_SIZE, SALT_LENGTH, TAG_LENGTH } from './format-v1.js';

/** The size of a format-v1 file for a plaintext of `plainLength` bytes: salt, data, one tag per chunk. */
export function encryptedLength(plainLength: number, chunkSize: number = CHUNK_SIZE): number {
  const chunks = Math.max(1, Math.ceil(plainLength / chunkSize));
  return SALT_LENGTH + plainLength + chunks * TAG_LENGTH;
}
