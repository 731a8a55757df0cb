// The small-file sender's sealing loop alone (SmallFileSealer.sealInto, as the sealing thread runs it:
// open with the descriptor's checks, read, hash, seal, frame into a batch body; the outcomes through
// structuredClone as the thread's answer), for two builds in one process, in alternate rounds, so both
// see the same load. Prints CPU µs a file, median and minimum. bench/README.md, "Small files: the
// sealing thread's per-file work trimmed". Build both first (npm run build), then:
//   node bench/seal-loop.mjs <dist of A> <dist of B> [files=20000] [rounds=8] [folder=/dev/shm/seal-loop]
// The files go on /dev/shm by default: another bench dropping the page cache cannot make a round cold.
/* global structuredClone */
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sealingModules } from './sealing-modules.mjs';
const [distA, distB, countArg = '20000', roundsArg = '8', folder = '/dev/shm/seal-loop'] = process.argv.slice(2);
const N = Number(countArg);
const ROUNDS = Number(roundsArg);
const FILES_PER_BATCH = 900;
const root = path.join(folder, `share-${N}`);
if (!existsSync(path.join(root, 'f49', `file-${N - 1}.bin`))) {
  for (let d = 0; d < 50; d++) mkdirSync(path.join(root, `f${d}`), { recursive: true });
  for (let i = 0; i < N; i++) writeFileSync(path.join(root, `f${i % 50}`, `file-${i}.bin`), randomBytes(4096));
}

async function loopOf(distArg) {
  const { SmallFileSealer, BatchBodyBuilder, resolveShareRoot, BATCH_CAPACITY, toSeal } = await sealingModules(distArg);
  const files = [];
  for (let i = 0; i < N; i++) files.push(toSeal(`f${i % 50}/file-${i}.bin`));
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
  const sealer = new SmallFileSealer({ root: await resolveShareRoot(root), context, userKey: randomBytes(32), readBufferBytes: 4097 });
  const builder = new BatchBodyBuilder(BATCH_CAPACITY);
  const round = () => {
    let sealed = 0;
    for (let start = 0; start < N; start += FILES_PER_BATCH) {
      builder.reset();
      for (const outcome of structuredClone(sealer.sealInto(builder, files.slice(start, start + FILES_PER_BATCH)))) if (outcome.kind === 'sealed') sealed += 1;
    }
    if (sealed !== N) throw new Error(`${sealed} of ${N} files sealed`);
  };
  return { name: distArg, round, perFile: [] };
}

const loops = [await loopOf(distA), await loopOf(distB)];
for (const loop of loops) loop.round();
for (let r = 0; r < ROUNDS; r++) {
  for (const loop of r % 2 === 0 ? loops : [...loops].reverse()) {
    const before = process.cpuUsage();
    loop.round();
    const used = process.cpuUsage(before);
    loop.perFile.push((used.user + used.system) / N);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const loop of loops) console.log(`${loop.name}: ${median(loop.perFile).toFixed(1)} µs a file (median of ${ROUNDS}), minimum ${Math.min(...loop.perFile).toFixed(1)}`);
console.log(`load average ${(await import('node:os')).loadavg().map((load) => load.toFixed(1)).join(' ')}`);
