/**
 * The hash cache's order of keys: its primary key compares rel_path as
 * SQLite's BINARY collation does, byte by byte in UTF-8. JavaScript compares
 * UTF-16 code units, which gives the same order except where one string has
 * a surrogate (a character above U+FFFF) and the other a character of
 * U+E000–U+FFFF at the first difference: in UTF-8 the surrogate's character
 * sorts last. Keys without any code unit from U+D800 up (nearly every share)
 * are sorted natively; the others by the code-unit rule corrected for that.
 */
const SURROGATE_OR_ABOVE = /[\uD800-\uFFFF]/;

export function inCacheOrder<T extends { relPath: string }>(items: readonly T[]): T[] {
  const sorted = items.slice();
  const exact = items.some((item) => SURROGATE_OR_ABOVE.test(item.relPath));
  return sorted.sort(exact ? (a, b) => compareUtf8(a.relPath, b.relPath) : (a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** Compares as UTF-8 bytes would: from U+D800 up, surrogates (UTF-8's 4-byte characters) after U+E000–U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
