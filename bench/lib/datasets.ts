import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export const SET_NAMES = ['large', 'small', 'mixed', 'huge', 'many'] as const;
export type SetName = (typeof SET_NAMES)[number];
/** `warm-up`: BENCH_WARM's first sync of another user's copy-sized share, before `initial`, on the fresh servers */
export type RunKind = 'warm-up' | 'initial' | 'no-change' | '1% changed';

export interface FileSpec {
  relPath: string;
  size: number;
}

export interface DataSetPlan {
  name: SetName;
  description: string;
  files: FileSpec[];
  bytes: number;
  runs: RunKind[];
  /** rsync / restic / rclone on the same data (not for `huge`, which is there to show memory). */
  compareTools: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The data sets at `scale` (1 = the sizes of PERFORMANCE.md). */
export function planSet(name: SetName, scale: number): DataSetPlan {
  const plan = (description: string, files: FileSpec[], runs: RunKind[], compareTools: boolean): DataSetPlan => ({
    name,
    description,
    files,
    bytes: files.reduce((sum, file) => sum + file.size, 0),
    runs,
    compareTools,
  });
  const allRuns: RunKind[] = ['initial', 'no-change', '1% changed'];
  switch (name) {
    case 'large': {
      const size = Math.max(MiB, Math.round(512 * MiB * scale));
      return plan(`4 × ${formatBytes(size)}`, [0, 1, 2, 3].map((index) => ({ relPath: `videos/part-${index}.bin`, size })), allRuns, true);
    }
    case 'small': {
      const count = Math.max(1, Math.round(50_000 * scale));
      const folders = Math.min(50, count);
      const files = Array.from({ length: count }, (_, index) => ({
        relPath: `folder-${String(index % folders).padStart(2, '0')}/file-${String(index).padStart(5, '0')}.dat`,
        size: 4 * KiB,
      }));
      return plan(`${count.toLocaleString('en-US')} × 4 KiB in ${folders} folders`, files, allRuns, true);
    }
    case 'mixed': {
      const files = mixedFiles(Math.max(10, Math.round(2_000 * scale)), Math.round(1.8e9 * scale));
      return plan(`${files.length.toLocaleString('en-US')} files of mixed sizes`, files, allRuns, true);
    }
    case 'many': {
      // issue 15's scale set: memory must not grow with the file count beyond a small cost per entry
      const count = Math.max(1, Math.round(200_000 * scale));
      const folders = Math.min(200, count);
      const files = Array.from({ length: count }, (_, index) => ({
        relPath: `folder-${String(index % folders).padStart(3, '0')}/file-${String(index).padStart(6, '0')}.dat`,
        size: 1 * KiB,
      }));
      return plan(`${count.toLocaleString('en-US')} × 1 KiB in ${folders} folders`, files, ['initial', 'no-change'], false);
    }
    case 'huge': {
      const size = Math.max(MiB, Math.round(4 * GiB * scale));
      return plan(`1 × ${formatBytes(size)}`, [{ relPath: 'images/disk.img', size }], ['initial', 'no-change'], false);
    }
  }
}

/**
 * ~`count` files whose sizes follow a home folder's shape (half under 64 KiB,
 * a third up to 1 MiB, the rest photos and videos), scaled to `totalBytes`.
 */
function mixedFiles(count: number, totalBytes: number): FileSpec[] {
  const random = mulberry32(0x5eed);
  const logUniform = (low: number, high: number) => Math.round(Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low))));
  const buckets: [share: number, low: number, high: number][] = [
    [0.5, 1 * KiB, 64 * KiB],
    [0.32, 64 * KiB, MiB],
    [0.165, MiB, 8 * MiB],
    [0.015, 8 * MiB, 32 * MiB],
  ];
  const sizes: number[] = [];
  for (const [share, low, high] of buckets) {
    const bucketCount = Math.max(1, Math.round(count * share));
    for (let index = 0; index < bucketCount; index++) sizes.push(logUniform(low, high));
  }
  // the files over 1 MiB take up the difference, so the set has its total size
  const smallTotal = sizes.filter((size) => size <= MiB).reduce((sum, size) => sum + size, 0);
  const bigTotal = sizes.filter((size) => size > MiB).reduce((sum, size) => sum + size, 0);
  const factor = bigTotal > 0 ? Math.max(0.05, (totalBytes - smallTotal) / bigTotal) : 1;
  const scaled = sizes.map((size) => (size > MiB ? Math.max(MiB + 1, Math.round(size * factor)) : size));
  // shuffled, so sizes are spread over the folders
  for (let index = scaled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [scaled[index], scaled[other]] = [scaled[other] as number, scaled[index] as number];
  }
  return scaled.map((size, index) => {
    const top = `dir-${String(index % 20).padStart(2, '0')}`;
    const sub = index % 3 === 0 ? '' : `/sub-${(index >> 2) % 5}`;
    return { relPath: `${top}${sub}/file-${String(index).padStart(4, '0')}.bin`, size };
  });
}

/** The files a "1% changed" run rewrites: 1% of them (at least one), spread evenly. */
export function onePercent(files: FileSpec[]): FileSpec[] {
  const count = Math.max(1, Math.ceil(files.length * 0.01));
  const step = files.length / count;
  return Array.from({ length: count }, (_, index) => files[Math.floor(index * step)] as FileSpec);
}

/**
 * Cheap incompressible, never-repeating bytes: an AES-256-CTR keystream
 * (several GB/s). Bytes that repeat (one random buffer written again and
 * again) would let restic deduplicate them and flatter it.
 */
class Keystream {
  private readonly cipher;
  private static readonly zeros = Buffer.alloc(4 * MiB);

  constructor(seed: string) {
    const key = createHash('sha256').update(`key:${seed}`).digest();
    const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
    this.cipher = createCipheriv('aes-256-ctr', key, iv);
  }

  next(length: number): Buffer {
    return this.cipher.update(Keystream.zeros.subarray(0, length));
  }
}

const WRITE_BLOCK = 4 * MiB;

/** Writes `files` under `root` with content from `seed`; returns when the last byte is written. */
export async function writeFiles(root: string, files: FileSpec[], seed: string): Promise<void> {
  const stream = new Keystream(seed);
  const madeDirs = new Set<string>();
  let sinceYield = 0;
  for (const file of files) {
    const filePath = path.join(root, ...file.relPath.split('/'));
    const dir = path.dirname(filePath);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const fd = openSync(filePath, 'w');
    try {
      let left = file.size;
      while (left > 0) {
        const block = stream.next(Math.min(WRITE_BLOCK, left));
        let offset = 0;
        while (offset < block.length) offset += writeSync(fd, block, offset);
        left -= block.length;
        sinceYield += block.length;
        // let Ctrl-C and the timers in
        if (sinceYield >= 64 * MiB) {
          sinceYield = 0;
          await yieldToLoop();
        }
      }
    } finally {
      closeSync(fd);
    }
    sinceYield += 64 * KiB;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(bytes % GiB === 0 ? 0 : 2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  return `${(bytes / KiB).toFixed(0)} KiB`;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
