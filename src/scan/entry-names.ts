const DOT = 0x2e;

/** Hidden entries (`.git`, `.DS_Store`, …) are not synced, and not reported either. */
export function isHiddenName(name: string | Buffer): boolean {
  return typeof name === 'string' ? name.charCodeAt(0) === DOT : name[0] === DOT;
}
