import { createHash, hash, randomBytes } from 'node:crypto';

const KEY_LENGTH = 32;

/** A fresh 32-byte key (master key, user key). */
export function randomKey(): Buffer {
  return randomBytes(KEY_LENGTH);
}

/** 32 random bytes as base64url: session ids, activation links. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 in hex of `data`, or of its pieces in order (a piece alone is hashed in one call, without a Hash object). */
export function sha256Hex(data: Buffer | string | readonly Buffer[]): string {
  if (!Array.isArray(data)) return hash('sha256', data as Buffer | string, 'hex');
  if (data.length === 1) return hash('sha256', data[0] as Buffer, 'hex');
  const digest = createHash('sha256');
  for (const piece of data) digest.update(piece);
  return digest.digest('hex');
}
