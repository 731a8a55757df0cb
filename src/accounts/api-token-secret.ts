import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../crypto/index.js';

/** Says what the secret is when it turns up in a config file, a log or a secret scanner. */
export const API_TOKEN_PREFIX = 'anm_';
const SECRET_BYTES = 32;
/** `anm_` and the base64url of 32 bytes (43 characters, no padding). */
const TOKEN_SHAPE = /^anm_[A-Za-z0-9_-]{43}$/;

/** A new token secret: 32 random bytes, shown to the administrator once and never stored. */
export function newApiTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/**
 * What the database keeps of a secret. A plain SHA-256 is right here, unlike
 * for passwords: the secret holds 256 random bits, so no dictionary or
 * brute force can walk back from the hash, and a slow hash would only make
 * every scrape cost a second of CPU.
 */
export function apiTokenHash(secret: string): string {
  return sha256Hex(secret);
}

/** Whether `text` can be a token at all: anything else is refused without a database lookup. */
export function looksLikeApiToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/** Compares two hex hashes in constant time (their length is public: always 64). */
export function sameApiTokenHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
