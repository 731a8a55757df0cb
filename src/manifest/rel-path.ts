import { keyPartProblem } from './file-keys.js';

/**
 * Why a relPath from a manifest or a peer's folder cannot be restored safely,
 * or undefined when it can. Restoring must never write outside the target
 * folder, whatever a (possibly hostile) peer's copy contains. Escaped parts
 * (file-keys.ts) are checked on the bytes they stand for.
 */
export function relPathProblem(relPath: string): string | undefined {
  if (relPath === '') return 'the path is empty';
  if (relPath.includes('\0')) return 'the path contains a NUL character';
  if (relPath.startsWith('/')) return 'the path is absolute';
  const segments = relPath.split('/');
  if (segments.includes('..')) return 'the path climbs out of the share with ".."';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'the path has an empty or "." part';
  for (const segment of segments) {
    const problem = keyPartProblem(segment);
    if (problem) return problem;
  }
  return undefined;
}
