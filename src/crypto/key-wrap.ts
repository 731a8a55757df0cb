/**
 * Wraps a user key under the master key for storage in the database:
 * AES-256-GCM with a random nonce, bound by `aad` to what it belongs to
 * (e.g. the user id), so a wrapped key copied to another row does not unwrap.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyWrapError } from './errors.js';

const VERSION = 'v1';
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const BASE64URL = '[A-Za-z0-9_-]';
const WRAPPED_PATTERN = new RegExp(`^${VERSION}\\.(${BASE64URL}+)\\.(${BASE64URL}*)\\.(${BASE64URL}+)$`);

/** Returns `v1.<nonce>.<ciphertext>.<tag>`, each part base64url. */
export function wrapKey(masterKey: Buffer, key: Buffer, aad: string): string {
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  const parts = [nonce, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
  return [VERSION, ...parts].join('.');
}

export function unwrapKey(masterKey: Buffer, wrapped: string, aad: string): Buffer {
  const parts = WRAPPED_PATTERN.exec(wrapped);
  const [nonce, ciphertext, tag] = (parts?.slice(1) ?? []).map((part) => Buffer.from(part, 'base64url'));
  if (!nonce || !ciphertext || !tag || nonce.length !== NONCE_LENGTH || tag.length !== TAG_LENGTH) {
    throw new KeyWrapError('malformed', 'The stored key is not in the expected v1.<nonce>.<ciphertext>.<tag> form');
  }
  const decipher = createDecipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  const key = decipher.update(ciphertext);
  try {
    return Buffer.concat([key, decipher.final()]);
  } catch {
    throw new KeyWrapError(
      'unwrap-failed',
      'The stored key could not be unwrapped: the master key is wrong or the key belongs to another record',
    );
  }
}
