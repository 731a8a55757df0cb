import { AnemoneError } from '../errors/catalogue.js';

/**
 * A library only some requests need, loaded by the first of them rather than
 * at start (an idle server keeps its memory; see bench/README.md). Every
 * caller waits for the one load under way; a failed load answers
 * PART_NOT_LOADED and the next call tries again (a half-finished install,
 * fixed without a restart).
 */
export function loadOnFirstUse<T>(part: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw new AnemoneError('PART_NOT_LOADED', {
        message: `This server could not load ${part}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        cause: error,
      });
    });
    return loading;
  };
}
