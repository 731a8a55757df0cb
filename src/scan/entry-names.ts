const DOT = 0x2e;

/** Hidden entries (`.git`, `.DS_Store`, …) are not synced, and not reported either. */
export function isHiddenName(raw: Buffer): boolean {
  return raw[0] === DOT;
}
