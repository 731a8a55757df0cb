// A first sync's manifest writes alone (PeerManifestWriter: the entries recorded as their batches are
// acknowledged, a checkpoint every `files / checkpoints`, the final manifest and the source's copy's JSON),
// for two builds in one process, in alternate rounds, against a session that answers at once. The peer
// holds nothing at the start, so every checkpoint folds. Prints CPU µs a file per build, median and each
// round. bench/README.md, "The sender's main thread per small file". Build both first (npm run build), then:
//   node bench/manifest-writes-loop.mjs <dist of A> <dist of B> [files=20000] [checkpoints=4] [rounds=8]
// `node --optimize-for-size bench/manifest-writes-loop.mjs …` runs it under the servers' default (lean) memory mode.
import { createHash } from 'node:crypto';
import path from 'node:path';
const [distA, distB, filesArg = '20000', checkpointsArg = '4', roundsArg = '8'] = process.argv.slice(2);
const N = Number(filesArg);
const EVERY = Math.ceil(N / Number(checkpointsArg));
const ROUNDS = Number(roundsArg);
const builds = [];
for (const dist of [distA, distB]) {
  const root = path.resolve(dist);
  builds.push({ ...(await import(`${root}/sync/peer-manifest.js`)), ...(await import(`${root}/manifest/manifest-state.js`)) });
}
const sha = (n) => createHash('sha256').update(String(n)).digest('hex');
const entries = Array.from({ length: N }, (_, i) => [`folder-${i % 50}/file-${i}.bin`, { size: 4096, mtimeMs: 1764900000000 + i, sha256: sha(i), ctSha256: sha(-i) }]);
let writes;
const session = {
  // a full manifest is sealed as the peer reads it: drained here, as the connection would (the rounds before
  // bench/README.md's "full manifests written as bytes" left it unread: their figures have no full write in them)
  putManifest: async (_user, _share, sealed) => {
    writes.push('full');
    for await (const chunk of sealed()) void chunk;
    return { bytes: 0 };
  },
  putManifestDelta: async () => void writes.push('delta'),
};
const deps = {
  session,
  userKey: Buffer.alloc(32, 7),
  context: { sourceServer: 'home', user: 'alice', share: 'backup' },
  lastGeneration: undefined,
  force: false,
  // the copy's JSON is built as the save reads it
  onManifestState: (known) => {
    for (const piece of known.jsonPieces()) void piece;
  },
  now: () => new Date(),
  onGenerationWritten: () => undefined,
};

async function round({ PeerManifestWriter, ManifestState }) {
  writes = [];
  const writer = new PeerManifestWriter(deps, { known: undefined, journals: true }, new ManifestState(null));
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const [relPath, entry] = entries[i];
    writer.record(relPath, { ...entry });
    if ((i + 1) % EVERY === 0 && i + 1 < N) await writer.write();
  }
  await writer.write({ deletions: [] });
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

const results = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  for (const index of r % 2 ? [1, 0] : [0, 1]) results[index].push(await round(builds[index]));
}
const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
console.log(`writes per run: ${writes.join(', ')}`);
for (const [index, dist] of [distA, distB].entries()) {
  console.log(`${dist}: ${median(results[index]).toFixed(2)} µs a file (${results[index].map((us) => us.toFixed(2)).join(', ')})`);
}
