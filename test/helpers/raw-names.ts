import fc from 'fast-check';

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * One path component as raw bytes, as Linux allows it (no NUL, no "/"), not
 * hidden (the walk leaves those out): ASCII, any bytes (mostly not UTF-8),
 * NFC and NFD text, backslashes, and lengths up to the 255-byte limit.
 */
export const rawComponent: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 12 }).map((text) => Buffer.from(text, 'utf8')),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
    fc.constantFrom('café', 'cafe\u0301', 'a\\b', '\\', 'é'.normalize('NFD'), '_manifest.json', '_hashed', 'x.enc').map((text) => Buffer.from(text, 'utf8')),
    fc.integer({ min: 240, max: 255 }).map((length) => Buffer.alloc(length, 'n')),
    fc.integer({ min: 60, max: 85 }).map((count) => Buffer.from('é'.repeat(count), 'utf8')),
  )
  .map((raw) => Buffer.from(raw.filter((byte) => byte !== 0 && byte !== SLASH)))
  .filter((raw) => raw.length > 0 && raw.length <= 255 && raw[0] !== DOT);

/** A file's path inside a share, as raw components; long enough at times to pass 4,096 bytes. */
export const rawPath: fc.Arbitrary<Buffer[]> = fc.array(rawComponent, { minLength: 1, maxLength: 20 });

/** One string per distinct byte path, to compare paths. */
export function rawPathId(parts: readonly Buffer[]): string {
  return parts.map((part) => part.toString('hex')).join('/');
}
