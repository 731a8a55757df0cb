import { groupedKeyText, randomKey, sha256Hex, unwrapKey, wrapKey } from '../crypto/index.js';

/** Additional data binding a wrapped key to its user: a row copied onto another user fails to unwrap. */
function wrapContext(username: string): string {
  return `anemone/user-key/v1:${username}`;
}

/** A new user key, wrapped by the master key for the database, and a check value to recognise it later. */
export function issueUserKey(masterKey: Buffer, username: string): { userKey: Buffer; wrappedKey: string; keyCheck: string } {
  const userKey = randomKey();
  return { userKey, ...sealUserKey(masterKey, username, userKey) };
}

/** A given user key (one a user typed back in) as the database keeps it: wrapped, with its check value. */
export function sealUserKey(masterKey: Buffer, username: string, userKey: Buffer): { wrappedKey: string; keyCheck: string } {
  return { wrappedKey: wrapKey(masterKey, userKey, wrapContext(username)), keyCheck: userKeyCheck(userKey) };
}

export function unwrapUserKey(masterKey: Buffer, username: string, wrappedKey: string): Buffer {
  return unwrapKey(masterKey, wrappedKey, wrapContext(username));
}

/** A one-way check value: lets a server confirm a key a user types in without storing the key itself. */
export function userKeyCheck(userKey: Buffer): string {
  return sha256Hex(Buffer.concat([Buffer.from('anemone/key-check/v1\0'), userKey]));
}

/** The key as it is shown to its user, once: base64 (the API's form since the start) and in groups for paper. */
export interface UserKeyTexts {
  base64: string;
  grouped: string;
}

export function userKeyTexts(userKey: Buffer): UserKeyTexts {
  return { base64: userKey.toString('base64'), grouped: groupedKeyText(userKey) };
}
