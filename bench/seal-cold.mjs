// The small-file sender's sealing loop alone, on files whose pages are not in memory (page cache dropped)
// and on the same files in memory: SmallFileSealer.sealInto (one file after the other) against
// sealIntoReadingAhead (as the sealing thread runs it: reads started ahead once its reads wait on the disk).
// Prints wall and CPU µs a file (CPU: the whole process, libuv's pool included). bench/README.md,
// "Small files: the sealing thread's reads started ahead". Needs root (drop_caches). Build first, then:
//   node bench/seal-cold.mjs <dist> [files=6000] [folder=/tmp/seal-cold]
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sealingModules } from './sealing-modules.mjs';
const [distArg = 'dist', countArg = '6000', folder = '/tmp/seal-cold'] = process.argv.slice(2);
const N = Number(countArg);
const FILES_PER_BATCH = 900;
const folderOf = (i) => `f${Math.floor(i / Math.ceil(N / 50))}`;
const root = path.join(folder, `share-${N}`);
if (!existsSync(path.join(root, folderOf(N - 1), `file-${N - 1}.bin`))) {
  for (let i = 0; i < N; i++) {
    mkdirSync(path.join(root, folderOf(i)), { recursive: true });
    writeFileSync(path.join(root, folderOf(i), `file-${i}.bin`), randomBytes(4096));
  }
}
const { SmallFileSealer, BatchBodyBuilder, resolveShareRoot, BATCH_CAPACITY, toSeal } = await sealingModules(distArg);
const files = [];
for (let i = 0; i < N; i++) files.push(toSeal(`${folderOf(i)}/file-${i}.bin`));
const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
const sealer = new SmallFileSealer({ root: await resolveShareRoot(root), context, userKey: randomBytes(32), readBufferBytes: 4097 });
const builder = new BatchBodyBuilder(BATCH_CAPACITY);
const ways = { 'one at a time': (batch) => sealer.sealInto(builder, batch), 'reading ahead': (batch) => sealer.sealIntoReadingAhead(builder, batch) };
for (const pages of ['cold', 'warm', 'cold', 'warm']) {
  for (const [way, seal] of Object.entries(ways)) {
    if (pages === 'cold') execSync('sync; echo 3 > /proc/sys/vm/drop_caches');
    const began = process.hrtime.bigint();
    const before = process.cpuUsage();
    for (let start = 0; start < N; start += FILES_PER_BATCH) {
      builder.reset();
      await seal(files.slice(start, start + FILES_PER_BATCH));
    }
    const used = process.cpuUsage(before);
    const wall = Number(process.hrtime.bigint() - began) / 1e3 / N;
    console.log(`${pages} ${way}: wall ${wall.toFixed(0)} µs a file, CPU ${((used.user + used.system) / N).toFixed(0)} µs a file`);
  }
}
console.log(`load average ${(await import('node:os')).loadavg().map((load) => load.toFixed(1)).join(' ')}`);
