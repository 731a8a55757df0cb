import fs from 'node:fs';

/**
 * Reads of large files that bypass the page cache (O_DIRECT): the disk's
 * data lands in the stream's own buffer, with no copy out of the page cache.
 * That copy was the sender's largest cost after SHA-256: with the page cache
 * dropped, the kernel's `_copy_to_iter` took ~20 % of the sender's CPU on a
 * large first sync (bench/README.md, "Large files read past the page cache").
 * Everything here is an optimisation: where O_DIRECT is missing or refused
 * the caller keeps its ordinary descriptor.
 */

/** Offsets, lengths and the buffer's address of a direct read are multiples of this (the largest logical block size in use). */
export const DIRECT_READ_ALIGNMENT = 4096;

const WASM_PAGE = 65_536;

// the one piece of WebAssembly used here (the project's TypeScript libraries do not declare it)
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer } };

/**
 * A buffer of at least `bytes` (rounded up to DIRECT_READ_ALIGNMENT) whose
 * memory starts on a page boundary, as O_DIRECT needs, or undefined where
 * none can be had. Node's buffers come from malloc (16-byte aligned); a
 * WebAssembly memory is mapped whole pages, so its start is aligned. Its
 * pages are mapped lazily like any fresh mapping, but V8 reserves ~10 GiB of
 * address space for each: under an address-space limit (`ulimit -v`) it
 * fails, and the caller reads the ordinary way.
 */
export function alignedBuffer(bytes: number): Buffer | undefined {
  const length = roundUp(Math.max(1, bytes), DIRECT_READ_ALIGNMENT);
  try {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(length / WASM_PAGE), maximum: Math.ceil(length / WASM_PAGE) });
    return Buffer.from(memory.buffer, 0, length);
  } catch {
    return undefined;
  }
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * A second descriptor of the file `fd` is open on, reading past the page
 * cache, or undefined where that is not available (no O_DIRECT on this
 * system, a file system that refuses it). It is opened through
 * /proc/self/fd/<fd>, which names the open file itself, not a path in the
 * share: the file the share check accepted is the one read, whatever the
 * share's folders became since.
 */
export function openDirect(fd: number): Promise<number | undefined> {
  const direct = fs.constants.O_DIRECT;
  if (direct === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    fs.open(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | direct, (error, opened) => resolve(error ? undefined : opened));
  });
}
