/**
 * A part of a file key as a person reads it. The server escapes a name that is
 * not UTF-8, not NFC or holds a backslash as `\` + the hex of its bytes
 * (src/manifest/file-keys.ts, which the UI may not import); it is shown
 * decoded, with U+FFFD where bytes are not UTF-8. Paths sent back to the
 * server stay keys.
 */
export function displayKeyPart(part: string): string {
  if (!/^\\(?:[0-9a-f]{2})+$/.test(part)) return part;
  const hex = part.slice(1);
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return new TextDecoder('utf-8').decode(bytes);
}

export function displayKeyPath(key: string): string {
  return key.split('/').map(displayKeyPart).join('/');
}
