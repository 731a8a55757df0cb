import { createHash, randomBytes } from 'node:crypto';

const KEY_LENGTH = 32;

/** A fresh 32-byte key (master key, user key). */
export function randomKey(): Buffer {
  return randomBytes(KEY_LENGTH);
}

/** 32 random bytes as base64url: session ids, activation links. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
