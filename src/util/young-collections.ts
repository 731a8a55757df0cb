import v8 from 'node:v8';
import vm from 'node:vm';

/** Bytes of upload bodies received between two young collections (the receiver's large files, lean mode). */
export const YOUNG_COLLECTION_BYTES = 8 * 1024 * 1024;

/**
 * Runs a young-generation collection (a scavenge) after every
 * YOUNG_COLLECTION_BYTES of upload body received, in the lean memory mode
 * only.
 *
 * Node's HTTP parser hands a large upload over in 16 KiB pieces, each a
 * fresh buffer outside V8's heap that dies as soon as it is hashed and
 * written, but is freed only by the next scavenge. The receiver makes so
 * little garbage on V8's heap per piece that its own scavenges come from
 * V8's bound on young buffers' bytes, 32 MiB: up to ~35 MB of dead pieces
 * piled up before each, and glibc kept the memory they had touched — the
 * receiver's peak on the large set (bench/README.md, "Large files on the
 * receiver: a young collection every 8 MiB received"); with them, ~15 MB at
 * most and the peak ~20 MB lower, for ~7 % more of the receiver's CPU per
 * byte (a scavenge takes ~1 ms in the server).
 *
 * V8 has no API for a young collection but the `gc` function of
 * `--expose-gc`; it is taken from a fresh context with the flag raised for
 * that moment only, so no other context (and not the server's global) gets
 * `gc`. The count is the process's, across its uploads. While V8's incremental
 * marking runs, V8 makes the asked-for young collection a full one (it frees
 * the pieces too).
 */
let enabled = false;
let collectYoung: ((options: { type: 'minor' }) => void) | undefined;
let sinceLast = 0;

/** Turns the collections on for this process (the lean mode; `fast` keeps V8's own schedule). */
export function enableYoungCollections(): void {
  enabled = true;
}

/** Counts `bytes` of upload body received; every YOUNG_COLLECTION_BYTES, a young collection (once enabled). */
export function bodyBytesReceived(bytes: number): void {
  if (!enabled) return;
  sinceLast += bytes;
  if (sinceLast < YOUNG_COLLECTION_BYTES) return;
  sinceLast = 0;
  (collectYoung ??= gcFunction())({ type: 'minor' });
}

/**
 * `--expose-gc`'s `gc`, from a context of its own, taken at the first collection rather than at start: a server
 * that never receives a large file makes no extra context, and its start stays as it was.
 */
function gcFunction(): (options: { type: 'minor' }) => void {
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as (options: { type: 'minor' }) => void;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
