// The sender's work in a sync where nothing changed, in one process and without the servers: parse the
// copy of the peer's manifest, scan the share against the hash cache, plan, and build the next manifest
// when the plan asks for one. Prints CPU ms and the process's peak RSS (VmHWM). bench/README.md,
// "The sender's per-file state". With `quick` after the count, as a run does when the copy records the
// hash cache's version (issue 15): the walk against the cache first, the rest only if they disagree.
// Build first (npm run build, or tsc -p tsconfig.build.json), then:
//   node bench/sender-no-change.mjs setup dist 200000     (files under /tmp/ss-mem, the cache, the copy)
//   node --optimize-for-size bench/sender-no-change.mjs run dist 200000 [quick]
import { performance } from 'node:perf_hooks';
import { mkdirSync, writeFileSync, existsSync, utimesSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
const [mode, dist, countArg, way] = process.argv.slice(2);
const N = Number(countArg);
const root = `/tmp/ss-mem/share-${N}`;
mkdirSync('/tmp/ss-mem', { recursive: true });
const dbPath = `/tmp/ss-mem/nc-${N}.sqlite`;
const { openDatabase } = await import(`${path.resolve(dist)}/db/index.js`);
const { FileHashesRepo } = await import(`${path.resolve(dist)}/db/file-hashes-repo.js`);
const { scanShare } = await import(`${path.resolve(dist)}/scan/scan-share.js`);
const { parseManifest } = await import(`${path.resolve(dist)}/manifest/manifest.js`);
const { planShareSync } = await import(`${path.resolve(dist)}/sync/plan-share.js`);
if (mode === 'setup') {
  if (!existsSync(root)) {
    const old = new Date(Date.now() - 3600_000);
    for (let f = 0; f < 200; f++) { const dir = path.join(root, `folder-${String(f).padStart(4, '0')}`); mkdirSync(dir, { recursive: true });
      for (let i = f; i < N; i += 200) { const p = path.join(dir, `file-${String(i).padStart(6, '0')}.bin`); writeFileSync(p, randomBytes(1024)); utimesSync(p, old, old); } }
  }
  const db = openDatabase(dbPath); db.prepare('PRAGMA foreign_keys = OFF').run();
  const scan = await scanShare(root, { shareId: 1, hashes: new FileHashesRepo(db) });
  const files = {}; for (const [rel, f] of scan.files) files[rel] = { size: f.size, mtimeMs: f.mtimeMs, sha256: f.sha256, ctSha256: randomBytes(32).toString('hex') };
  writeFileSync(`/tmp/ss-mem/nc-${N}.json`, JSON.stringify({ version: 1, sourceServer: 'a', user: 'alice', share: 'backup', generation: 3, createdAt: new Date().toISOString(), files }));
  db.close(); process.exit(0);
}
const db = openDatabase(dbPath); const hashes = new FileHashesRepo(db);
// the main thread's CPU ms alone (a walk may use a second thread): utime + stime of its /proc task, in ticks of 10 ms
const mainThreadMs = () => { const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(fields[11]) + Number(fields[12])) * 10; };
const main0 = mainThreadMs();
const rssBefore = process.memoryUsage().rss;
const c0 = process.cpuUsage(); const t0 = performance.now();
const { walkUnlessUnchanged } = await import(`${path.resolve(dist)}/scan/scan-share.js`);
if (way === 'quick') {
  const quick = await walkUnlessUnchanged(root, { shareId: 1, hashes, cacheVersion: hashes.version(1) });
  const c = process.cpuUsage(c0);
  const hwm = Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)[1]) / 1000;
  console.log(JSON.stringify({ dist, N, way, cpuMs: Math.round((c.user + c.system) / 1000), mainThreadMs: mainThreadMs() - main0, wallMs: Math.round(performance.now() - t0), rssBeforeMB: Math.round(rssBefore / 1e6), peakMB: Math.round(hwm), unchanged: quick.unchanged }));
  process.exit(0);
}
const known = parseManifest(readFileSync(`/tmp/ss-mem/nc-${N}.json`));
const remote = known.files;
const peerEntry = (rel) => (Object.hasOwn(remote, rel) ? remote[rel] : undefined);
const scan = await scanShare(root, { shareId: 1, hashes, peerEntry, skipHash: (f) => peerEntry(f.relPath)?.size !== f.size });
const plan = planShareSync({ local: scan.files, remote, unread: scan.unread, shareMissing: false, shareLabel: 'alice/backup' });
const next = plan.changesNothing ? undefined : plan.startNextManifest();
const c = process.cpuUsage(c0);
const hwm = Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)[1]) / 1000;
console.log(JSON.stringify({ dist, N, cpuMs: Math.round((c.user + c.system) / 1000), wallMs: Math.round(performance.now() - t0), rssBeforeMB: Math.round(rssBefore / 1e6), peakMB: Math.round(hwm), unchanged: plan.diff.unchanged.length, next: next !== undefined }));
