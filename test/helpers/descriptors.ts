import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * This process's descriptors open on files under `folder` (by their links in /proc/self/fd), as fd numbers. Tests
 * count these rather than every descriptor: the test runner and the runtime open and close their own at any time
 * (CI saw one close in the middle of a test).
 */
export function descriptorsUnder(folder: string): string[] {
  const prefix = `${realpathSync(folder)}${path.sep}`;
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix);
    } catch {
      return false; // closed since the listing (the listing's own descriptor among them)
    }
  });
}
