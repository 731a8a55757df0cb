/**
 * `npm run bench`: how fast Anemone syncs A → B, and how much memory the two
 * servers take, on the data sets of /work/shared/PERFORMANCE.md, next to
 * rsync, restic and rclone crypt on the same data where they are installed.
 * It prints figures and says which targets are met; it asserts nothing.
 *
 * Environment:
 *   BENCH_SCALE=0.1            scales every data set (default 1: the sizes of PERFORMANCE.md)
 *   BENCH_SETS=large,small     which sets (large, small, mixed, huge, many); default large,small,mixed,
 *                              and huge and many (200,000 files) when the disk has room for them
 *   BENCH_TOOLS=rsync,restic   which comparisons (rsync, restic, rclone, or none); default all three
 *   BENCH_PROFILE=1            --cpu-prof on both servers; prints where each run's CPU time went
 *   BENCH_DROP_CACHES=0        do not drop the page cache before first runs (it needs root)
 *   BENCH_DIR=/some/disk       where the temp dirs go (default the OS temp dir)
 *   BENCH_KEEP=1               keep the temp dirs (data, both servers' data dirs)
 *   BENCH_TIMEOUT_S=1800       the longest one sync may take
 *   BENCH_SERVER=dist          run the built CLI (bin/anemone.js; `npm run build` first) as installed
 *                              servers do; default: the sources through tsx, as the tests do (tsx
 *                              adds ~35 MB to each server's memory)
 *   BENCH_WAN=0                no WAN rows; BENCH_WAN=only: the WAN rows alone (default: after the sets)
 *   BENCH_WAN_SCALE=0.02       the scale of the WAN rows' sets (mixed and small, as BENCH_SETS allows)
 *   BENCH_KEEP_VERSIONS_DAYS=30 B's retention of old versions (default the product's 30; 0: a mirror, as
 *                              before versions), to measure what keeping versions costs the sync
 *   BENCH_RECEIVER=s3          server B keeps what it receives in a bucket on a local S3 server (s3rver,
 *                              in its own process, its CPU shown apart); fs,s3: each set once per receiver
 *   BENCH_WARM=1               before each set's first sync, a first sync of as many new files in a second
 *                              user's share on the same fresh servers: the set's measured runs then run on
 *                              warm servers (JIT compiled), and the warm-up's figures print beside them
 *   BENCH_NO_FSYNC=b           diagnostic only: runs server B (or a, or a,b) under eatmydata
 *                              (apt-get install eatmydata), so fsync costs nothing: shows how much
 *                              of a run is waiting for the disk. Such figures are not the product's.
 *
 * Results: a table on stdout, and bench/results/latest.json; the servers'
 * logs go to bench/results/logs/, profiles to bench/results/profiles/.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { expectStatus } from './lib/api.js';
import { Cleanup } from './lib/cleanup.js';
import { type DataSetPlan, formatBytes, onePercent, planSet, type RunKind, SET_NAMES, type SetName, writeFiles } from './lib/datasets.js';
import { kbToMB, machineCpuSeconds, processCpuSeconds, procStatusKb, threadCpuDelta, threadCpuSeconds } from './lib/memory.js';
import { type ProfileSummary, summarizeProfile } from './lib/profile.js';
import { fixed, formatTable, seconds } from './lib/report.js';
import { addUser, type BenchServer, benchKeepVersionsDays, type Pair, REPO_ROOT, setUpPair, startServer } from './lib/servers.js';
import { runWan, WAN_LINK, type WanResult } from './lib/wan.js';
import { benchReceivers, type Receiver, type S3Receiver, startS3Receiver } from './lib/s3-receiver.js';
import { INSTALL_HINT, runToolComparison, TOOL_LABELS, TOOL_NAMES, type ToolName, type ToolRun, toolPath } from './lib/tools.js';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
/** How often the sync's log row is polled (BENCH_POLL_MS): each poll is a request A's main thread answers (~0.3 ms of its CPU, bench/README.md). */
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 20);
/** Files modified this recently are not put in the hash cache (scan-share.ts RACY_WINDOW_MS): wait it out before a first sync. */
const RACY_WINDOW_MS = 2_100;

interface Window {
  startUs: number;
  endUs: number;
}

interface AnemoneRun {
  run: RunKind;
  status: string;
  /** files and plaintext bytes this run had to send (the whole set, none, or the 1% rewritten) */
  files: number;
  bytes: number;
  /** files the scan looked at */
  filesInSet: number;
  /** from POST /api/shares/:id/sync to the log row's success, as the poll saw it */
  seconds: number;
  /** the log row's finishedAt − startedAt */
  serverSeconds: number | null;
  mbPerSecond: number | null;
  filesPerSecond: number;
  peakAKb: number;
  peakBKb: number;
  /**
   * CPU seconds (all threads) each server used during the run, and what the
   * rest of the machine used (the bench itself, other people's work): with 2
   * cores, A near the wall time means A is the bottleneck.
   */
  cpu: {
    a: number | null;
    b: number | null;
    /** the local S3 server's process, when B keeps what it receives there (BENCH_RECEIVER=s3); not in `other` */
    s3: number | null;
    other: number;
    steal: number;
    cores: number;
    /** each server's CPU by thread: `main` (JavaScript, TLS, hashing and encryption calls) and `other threads` (libuv's pool: file I/O, fsync, scrypt; V8's GC helpers) */
    threadsA: Record<string, number>;
    threadsB: Record<string, number>;
  };
  /** seconds from the POST to when each phase of /api/admin/sync/running was first seen (polled every 20 ms for 2 s, then every 100 ms) */
  phases: Record<string, number>;
  logged: { fileCount: number; bytesTransferred: number; error: string | null };
  warning?: string;
  window: Window;
  profile?: { a?: ProfileSummary; b?: ProfileSummary };
}

interface SetResult {
  set: SetName;
  /** where B kept what it received: its disk, or a bucket on the local S3 server */
  receiver: Receiver;
  description: string;
  files: number;
  bytes: number;
  anemone: AnemoneRun[];
  /** resident memory right after start (before setup), and the peak once setup, alice and the pairing were done */
  memory: { idleAKb: number | null; idleBKb: number | null; afterSetupHwmAKb: number | null; afterSetupHwmBKb: number | null };
  /** VmHWM of each server at the end of the set: its peak over all runs */
  hwmAKb: number | null;
  hwmBKb: number | null;
  /** "sync started" → "sync finished" in A's log, per run, in seconds */
  logSeconds: number[];
  tools: ToolRun[];
  skippedTools: string[];
  /** B's bytes kept as old versions once the "1% changed" run replaced its objects (0 when B keeps none) */
  versionBytesBAfterChange: number | null;
  error?: string;
}

interface Target {
  source: 'issue' | 'PERFORMANCE.md';
  target: string;
  measured: string;
  status: 'met' | 'NOT MET' | 'n/a';
  note?: string;
}

const cleanup = new Cleanup();

async function main(): Promise<void> {
  cleanup.install();
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0 && scale <= 4)) throw new Error(`BENCH_SCALE must be a number in (0, 4], got ${process.env.BENCH_SCALE}`);
  const baseDir = path.resolve(process.env.BENCH_DIR ?? os.tmpdir());
  const profile = process.env.BENCH_PROFILE === '1';
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? '1800') * 1000;
  cleanup.keepDirs = process.env.BENCH_KEEP === '1';
  const startedAt = new Date();
  const noFsync = noFsyncEnv();
  const warm = process.env.BENCH_WARM === '1';
  const build = process.env.BENCH_SERVER === 'dist' ? 'dist' : 'tsx';
  // the servers inherit ANEMONE_MEMORY; `serve` defaults to lean
  const memoryMode = process.env.ANEMONE_MEMORY ?? 'lean';
  if (build === 'dist' && !existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('BENCH_SERVER=dist needs a build: npm run build');

  const wanMode = process.env.BENCH_WAN ?? '1';
  if (!['0', '1', 'only'].includes(wanMode)) throw new Error(`BENCH_WAN must be 0, 1 or only, got ${wanMode}`);
  const wanScale = Number(process.env.BENCH_WAN_SCALE ?? '0.02');
  if (!(wanScale > 0 && wanScale <= 1)) throw new Error(`BENCH_WAN_SCALE must be a number in (0, 1], got ${process.env.BENCH_WAN_SCALE}`);
  const sets = wanMode === 'only' ? [] : await chooseSets(scale, baseDir, warm);
  const tools = chooseTools();
  const keepVersionsDays = benchKeepVersionsDays();
  const receivers = benchReceivers();
  const cacheDrop = process.env.BENCH_DROP_CACHES === '0' ? { worked: false, detail: 'off (BENCH_DROP_CACHES=0)' } : dropPageCache();
  const dropBeforeFirstRun = () => {
    if (cacheDrop.worked) dropPageCache();
  };

  console.log(`Anemone sync bench — scale ${scale}, sets ${sets.map((set) => set.name).join(', ') || 'none'}, ${os.cpus().length} cores, Node ${process.version}, servers' memory mode ${memoryMode} (ANEMONE_MEMORY)`);
  console.log(`B keeps old versions for ${keepVersionsDays} days (BENCH_KEEP_VERSIONS_DAYS${keepVersionsDays === 0 ? ': a mirror, no versions' : ''})`);
  console.log(`B keeps what it receives ${receivers.map((receiver) => RECEIVER_LABELS[receiver]).join(', then ')} (BENCH_RECEIVER)`);
  console.log(`load average before the start: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')} (other work on this machine skews absolute figures; ratios within one run hold better)`);
  console.log(`temp dirs under ${baseDir}; page cache before first runs: ${cacheDrop.worked ? 'dropped (sync; echo 3 > /proc/sys/vm/drop_caches)' : `not dropped — ${cacheDrop.detail}`}`);
  for (const tool of TOOL_NAMES) {
    if (!tools.requested.includes(tool)) console.log(`${TOOL_LABELS[tool]}: not requested (BENCH_TOOLS)`);
    else if (!tools.available.includes(tool)) console.log(`${TOOL_LABELS[tool]}: not installed, comparison skipped — install with: ${INSTALL_HINT}`);
  }
  if (profile) console.log('profiling both servers (--cpu-prof): figures include the profiler’s overhead');
  if (warm) console.log('BENCH_WARM=1: each set\'s runs follow a warm-up first sync of as many new files (user "warm"): the targets below are judged on warm servers');
  for (const side of ['a', 'b'] as const) {
    if (noFsync[side]) console.log(`DIAGNOSTIC: server ${side.toUpperCase()} runs under eatmydata (fsync does nothing): these are not the product's figures`);
  }
  await mkdir(path.join(RESULTS_DIR, 'logs'), { recursive: true });

  const results: SetResult[] = [];
  for (const plan of sets) {
    for (const [index, receiver] of receivers.entries()) {
      cleanup.checkAborted();
      console.log(`\n=== ${plan.name}: ${plan.description}, ${formatBytes(plan.bytes)} (${(plan.bytes / 1e9).toFixed(2)} GB), B ${RECEIVER_LABELS[receiver]}; load average ${os.loadavg()[0]?.toFixed(2)} ===`);
      // the tools copy the set once, after its first receiver's runs
      const result = await runSet(plan, { baseDir, profile, timeoutMs, tools: index === 0 ? tools.available : [], dropBeforeFirstRun, noFsync, build, receiver, warm });
      results.push(result);
    }
  }

  let wan: WanResult | undefined;
  if (wanMode !== '0') {
    const requested = process.env.BENCH_SETS?.split(',').map((name) => name.trim()) as SetName[] | undefined;
    wan = await runWan({ scale: wanScale, baseDir, timeoutMs, cleanup, build, sets: requested, timedSync, printRun, racyWindowMs: RACY_WINDOW_MS });
  }

  const table = buildTable(results);
  // the targets are the product's default, B on its disk; with B on S3 alone they are judged on those runs
  const judged = results.some((result) => result.receiver === 'fs') ? results.filter((result) => result.receiver === 'fs') : results;
  if (judged.some((result) => result.receiver === 's3')) console.log('\n(the targets below are judged on runs with B on the local S3 server: BENCH_RECEIVER=s3)');
  const targets = evaluateTargets(judged, scale, wan);
  console.log('\n=== Results ===');
  console.log('MB = 10^6 bytes of plaintext; peak memory = max VmRSS sampled every 100 ms during the run (tools: their whole process tree);');
  console.log('ratio = Anemone time ÷ tool time on the same data in this run (> 1: Anemone is slower).\n');
  console.log(
    formatTable(
      ['set', 'what', 'run', 'files', 'GB', 'seconds', 'MB/s', 'files/s', 'peak A (or tool) MB', 'peak B MB', 'ratio'],
      table.map((row) => [
        row.set,
        row.what,
        row.run,
        row.files.toLocaleString('en-US'),
        fixed(row.bytes / 1e9, 2),
        row.ok ? seconds(row.seconds) : 'failed',
        fixed(row.mbPerSecond, 0),
        fixed(row.filesPerSecond, 0),
        fixed(row.peakAMB, 0),
        fixed(row.peakBMB, 0),
        row.ratio === null ? '' : `${fixed(row.ratio, 2)}×`,
      ]),
    ),
  );
  if (wan && wan.runs.length > 0) {
    console.log(
      `\nWAN (BENCH_WAN_SCALE=${wan.scale}): A → B through a proxy, ${WAN_LINK.upBitsPerSecond / 1e6} Mbit/s up, ${WAN_LINK.downBitsPerSecond / 1e6} Mbit/s down, ${WAN_LINK.roundTripMs} ms round trip;` +
        '\nwire = bytes through the proxy (TLS, HTTP, encryption overhead, manifests); link used = wire bytes up ÷ (seconds × uplink).\n',
    );
    console.log(
      formatTable(
        ['set', 'run', 'files', 'MB', 'seconds', 'link used', 'plaintext share', 'wire/plaintext', 'wire up bytes', 'wire down bytes'],
        wan.runs.map((run) => [
          run.set,
          run.run,
          run.files.toLocaleString('en-US'),
          fixed(run.bytes / 1e6, 1),
          seconds(run.seconds),
          run.bytes > 0 ? `${fixed(run.linkUsed * 100, 1)} %` : '',
          run.bytes > 0 ? `${fixed(run.plaintextShare * 100, 1)} %` : '',
          run.wirePerPlaintextByte === null ? '' : fixed(run.wirePerPlaintextByte, 4),
          run.wireUp.toLocaleString('en-US'),
          run.wireDown.toLocaleString('en-US'),
        ]),
      ),
    );
  }
  const peaks = results.filter((result) => result.hwmAKb !== null);
  if (peaks.length > 0) {
    console.log(`\nServer peaks over each set (VmHWM just before stopping): ${peaks.map((result) => `${result.set} A ${fixed(kbToMB(result.hwmAKb ?? 0), 0)} MB / B ${fixed(kbToMB(result.hwmBKb ?? 0), 0)} MB`).join('; ')}`);
  }
  console.log('\n=== Targets ===');
  console.log(
    formatTable(
      ['from', 'target', 'measured', 'status', 'note'],
      targets.map((target) => [target.source, target.target, target.measured, target.status, target.note ?? '']),
    ),
  );
  for (const result of results) if (result.error) console.log(`\n${result.set} failed: ${result.error}`);
  for (const error of wan?.errors ?? []) console.log(`\n${error}`);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 1e9), node: process.version, kernel: os.release() },
    config: { scale, keepVersionsDays, receivers, sets: sets.map((set) => set.name), tools: tools.available, server: build, memoryMode, profile, noFsync: Object.keys(noFsync), pageCacheDropped: cacheDrop.worked, pageCacheDetail: cacheDrop.detail },
    table,
    targets,
    sets: results,
    wan,
  };
  await writeFile(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))} (and the servers' logs in bench/results/logs/)`);
}

/** BENCH_NO_FSYNC=a,b: the environment that preloads libeatmydata for each named server. */
function noFsyncEnv(): { a?: NodeJS.ProcessEnv; b?: NodeJS.ProcessEnv } {
  const sides = (process.env.BENCH_NO_FSYNC ?? '').split(',').map((side) => side.trim().toLowerCase()).filter(Boolean);
  if (sides.length === 0) return {};
  const library = ['/usr/lib/x86_64-linux-gnu/libeatmydata.so', '/usr/lib/aarch64-linux-gnu/libeatmydata.so', '/usr/lib/libeatmydata.so'].find((candidate) =>
    existsSync(candidate),
  );
  if (!library) throw new Error('BENCH_NO_FSYNC needs eatmydata: apt-get install -y eatmydata');
  const env = { LD_PRELOAD: library };
  return { ...(sides.includes('a') ? { a: env } : {}), ...(sides.includes('b') ? { b: env } : {}) };
}

async function chooseSets(scale: number, baseDir: string, warm: boolean): Promise<DataSetPlan[]> {
  const requested = process.env.BENCH_SETS?.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of requested ?? []) {
    if (!(SET_NAMES as readonly string[]).includes(name)) throw new Error(`unknown set "${name}" in BENCH_SETS (known: ${SET_NAMES.join(', ')})`);
  }
  const names = (requested ?? ['large', 'small', 'mixed', 'huge', 'many']) as SetName[];
  const free = await freeBytes(baseDir);
  const plans: DataSetPlan[] = [];
  for (const name of names) {
    const plan = planSet(name, scale);
    const needed = diskNeeded(plan, warm);
    if (free < needed) {
      const message = `${name}: skipped, it needs ~${(needed / 1e9).toFixed(1)} GB free in ${baseDir} and ${(free / 1e9).toFixed(1)} GB are`;
      if (requested) console.log(message);
      else if (name === 'huge' || name === 'many') console.log(`${message} (${name} runs by default only when the disk has room)`);
      continue;
    }
    plans.push(plan);
  }
  return plans;
}

/** The source, B's copy, a tool's copy (and BENCH_WARM's share and its copy on B), and room to spare. */
function diskNeeded(plan: DataSetPlan, warm: boolean): number {
  // each small file takes at least one 4 KiB block, in the share and again on B
  const onDisk = plan.files.reduce((sum, file) => sum + Math.max(4096, Math.ceil(file.size / 4096) * 4096), 0);
  return onDisk * ((plan.compareTools ? 3.3 : 2.2) + (warm ? 2.2 : 0)) + 2e9;
}

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

function chooseTools(): { requested: ToolName[]; available: ToolName[] } {
  const value = process.env.BENCH_TOOLS?.trim();
  const requested = value === undefined || value === '' ? [...TOOL_NAMES] : value === 'none' ? [] : (value.split(',').map((name) => name.trim()) as ToolName[]);
  for (const name of requested) if (!TOOL_NAMES.includes(name)) throw new Error(`unknown tool "${name}" in BENCH_TOOLS (known: ${TOOL_NAMES.join(', ')}, none)`);
  return { requested, available: requested.filter((tool) => toolPath(tool) !== undefined) };
}

/** What B holds as history (GET /api/admin/incoming): shows the changed run replaced objects into versions. */
async function incomingVersionBytes(pair: Pair): Promise<number> {
  const overview = await pair.adminB.get('/api/admin/incoming');
  expectStatus(overview, 200, 'reading B\'s incoming statistics');
  return (overview.body as { versionBytes: number }).versionBytes;
}

/** `sync; echo 3 > /proc/sys/vm/drop_caches`: works as root outside a read-only /proc. */
function dropPageCache(): { worked: boolean; detail: string } {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return { worked: true, detail: 'dropped' };
  } catch (error) {
    return { worked: false, detail: `could not write /proc/sys/vm/drop_caches (${(error as NodeJS.ErrnoException).code ?? String(error)}): caches stay warm` };
  }
}

async function runSet(
  plan: DataSetPlan,
  options: {
    baseDir: string;
    profile: boolean;
    timeoutMs: number;
    tools: ToolName[];
    dropBeforeFirstRun: () => void;
    noFsync: { a?: NodeJS.ProcessEnv; b?: NodeJS.ProcessEnv };
    build: 'tsx' | 'dist';
    receiver: Receiver;
    /** BENCH_WARM: a first sync of as many new files in another user's share before the set's runs */
    warm: boolean;
  },
): Promise<SetResult> {
  const result: SetResult = {
    set: plan.name,
    receiver: options.receiver,
    description: plan.description,
    files: plan.files.length,
    bytes: plan.bytes,
    anemone: [],
    memory: { idleAKb: null, idleBKb: null, afterSetupHwmAKb: null, afterSetupHwmBKb: null },
    hwmAKb: null,
    hwmBKb: null,
    logSeconds: [],
    tools: [],
    skippedTools: TOOL_NAMES.filter((tool) => !options.tools.includes(tool)),
    versionBytesBAfterChange: null,
  };
  const setDir = cleanup.dir(await mkdtemp(path.join(options.baseDir, `anemone-bench-${plan.name}-`)));
  let a: BenchServer | undefined;
  let b: BenchServer | undefined;
  let s3: S3Receiver | undefined;
  let shareRoot: string | undefined;
  const runName = options.receiver === 'fs' ? plan.name : `${plan.name}-${options.receiver}`;
  const profileDirs = { a: path.join(RESULTS_DIR, 'profiles', `${runName}-a`), b: path.join(RESULTS_DIR, 'profiles', `${runName}-b`) };
  try {
    const generateStart = performance.now();
    const source = path.join(setDir, 'source');
    await writeFiles(source, plan.files, `${plan.name}-v1`);
    const warmUpSource = path.join(setDir, 'warm-up');
    if (options.warm) await writeFiles(warmUpSource, plan.files, `${plan.name}-warm-up`);
    const lastWrite = Date.now();
    console.log(`made the data in ${((performance.now() - generateStart) / 1000).toFixed(1)} s`);

    if (options.profile) {
      for (const dir of Object.values(profileDirs)) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
      }
    }
    // the bucket's objects live beside the set's data, so the disk is the same as with B on its disk
    if (options.receiver === 's3') s3 = await startS3Receiver(setDir, cleanup);
    [a, b] = await Promise.all([
      startServer({ name: 'A', dataDir: path.join(setDir, 'server-a'), cleanup, profileDir: options.profile ? profileDirs.a : undefined, env: options.noFsync.a, build: options.build }),
      startServer({ name: 'B', dataDir: path.join(setDir, 'server-b'), cleanup, profileDir: options.profile ? profileDirs.b : undefined, env: { ...options.noFsync.b, ...s3?.env }, build: options.build }),
    ]);
    result.memory.idleAKb = procStatusKb(a.pid, 'VmRSS') ?? null;
    result.memory.idleBKb = procStatusKb(b.pid, 'VmRSS') ?? null;
    const pair = await setUpPair(a, b);
    result.memory.afterSetupHwmAKb = a.hwmKb() ?? null;
    result.memory.afterSetupHwmBKb = b.hwmKb() ?? null;
    console.log(
      `servers (${options.build}): idle after start A ${mb(result.memory.idleAKb)} MB, B ${mb(result.memory.idleBKb)} MB; ` +
        `peak after setup, user and pairing (scrypt password hashes) A ${mb(result.memory.afterSetupHwmAKb)} MB, B ${mb(result.memory.afterSetupHwmBKb)} MB`,
    );
    shareRoot = pair.shareRoot;
    await mkdir(shareRoot, { recursive: true });
    for (const entry of await readdir(source)) await rename(path.join(source, entry), path.join(shareRoot, entry));
    // the warm-up's user gets a share of its own, so the set's first sync still finds every file new
    const warmUser = options.warm ? await addUser(a, pair.adminA, 'warm') : undefined;
    if (warmUser) {
      await mkdir(warmUser.shareRoot, { recursive: true });
      for (const entry of await readdir(warmUpSource)) await rename(path.join(warmUpSource, entry), path.join(warmUser.shareRoot, entry));
    }
    await delay(Math.max(0, lastWrite + RACY_WINDOW_MS - Date.now()));
    if (warmUser) {
      options.dropBeforeFirstRun();
      const measured = await timedSync({ ...pair, alice: warmUser.client, backupShareId: warmUser.backupShareId }, 'warm-up', plan.files, plan.files.length, options.timeoutMs, s3?.pid);
      result.anemone.push(measured);
      printRun(measured);
      if (measured.status !== 'success') throw new Error(`warm-up sync ended ${measured.status}: ${measured.logged.error}`);
    }

    for (const run of plan.runs) {
      cleanup.checkAborted();
      let files = plan.files;
      if (run === '1% changed') {
        files = onePercent(plan.files);
        await writeFiles(shareRoot, files, `${plan.name}-v2`);
      }
      if (run === 'initial') options.dropBeforeFirstRun();
      const sent = run === 'no-change' ? [] : files;
      const measured = await timedSync(pair, run, sent, plan.files.length, options.timeoutMs, s3?.pid);
      result.anemone.push(measured);
      printRun(measured);
      if (measured.status !== 'success') throw new Error(`${run} sync ended ${measured.status}: ${measured.logged.error}`);
      if (run === '1% changed') {
        result.versionBytesBAfterChange = await incomingVersionBytes(pair);
        console.log(`B now keeps ${formatBytes(result.versionBytesBAfterChange)} of old versions (the objects this run replaced)`);
      }
      if (run === 'initial' && options.warm) printWarmAgainstCold(result.anemone);
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    console.log(`!! ${plan.name}: ${result.error}`);
  } finally {
    if (a && b) {
      result.hwmAKb = a.hwmKb() ?? null;
      result.hwmBKb = b.hwmKb() ?? null;
      await Promise.all([a.stop(), b.stop()]);
      for (const [server, suffix] of [[a, 'a'], [b, 'b']] as const) {
        await copyFile(server.logPath, path.join(RESULTS_DIR, 'logs', `${runName}-${suffix}.log`)).catch(() => undefined);
      }
      result.logSeconds = await syncDurationsFromLog(a.logPath);
      if (result.hwmAKb !== null) console.log(`server peaks over the set (VmHWM): A ${fixed(kbToMB(result.hwmAKb), 0)} MB, B ${fixed(kbToMB(result.hwmBKb ?? 0), 0)} MB`);
      if (options.profile) await attachProfiles(result, profileDirs);
    }
    await s3?.stop();
  }

  if (!result.error && plan.compareTools && shareRoot) {
    for (const tool of options.tools) {
      if (cleanup.aborted) break;
      const runs = await runToolComparison({ tool, source: shareRoot, workDir: setDir, cleanup, beforeFirstRun: options.dropBeforeFirstRun });
      result.tools.push(...runs);
      for (const run of runs) {
        console.log(
          `${TOOL_LABELS[tool]} ${run.run}: ${run.ok ? `${seconds(run.seconds)} s` : `failed (${run.error})`}` +
            (run.ok && run.run === 'first' ? `, ${fixed(plan.bytes / 1e6 / run.seconds, 0)} MB/s, ${fixed(plan.files.length / run.seconds, 0)} files/s` : '') +
            `, peak ${fixed(kbToMB(run.peakKb), 0)} MB`,
        );
      }
    }
  }
  await cleanup.removeDir(setDir);
  return result;
}

/** Sync now on alice's backup share, timed until A's log row leaves `running`; the phases are read from /api/admin/sync/running. */
/** `s3Pid`: the local S3 server B writes to (BENCH_RECEIVER=s3), whose CPU is counted apart. */
async function timedSync(pair: Pair, run: RunKind, sent: { size: number }[], filesInSet: number, timeoutMs: number, s3Pid?: number): Promise<AnemoneRun> {
  const { a, b, adminA, alice } = pair;
  a.rss.mark();
  b.rss.mark();
  const cpuBefore = { a: processCpuSeconds(a.pid), b: processCpuSeconds(b.pid), s3: s3Pid === undefined ? undefined : processCpuSeconds(s3Pid), machine: machineCpuSeconds() };
  const threadsBefore = { a: threadCpuSeconds(a.pid), b: threadCpuSeconds(b.pid) };
  const startUs = hrtimeUs();
  const t0 = performance.now();
  const response = await alice.post(`/api/shares/${pair.backupShareId}/sync`);
  expectStatus(response, 202, 'Sync now');
  const logId = response.body.started[0].logId as number;
  const phases: Record<string, number> = {};
  for (let poll = 0; ; poll++) {
    // the phases every poll for the first 2 s, then every 5th: each request costs A ~0.2 ms of its main thread
    const askPhases = poll < 100 || poll % 5 === 0;
    const [logs, running] = await Promise.all([
      adminA.get('/api/admin/sync/logs?limit=10'),
      askPhases ? adminA.get('/api/admin/sync/running') : Promise.resolve({ status: 200, body: { running: [] } }),
    ]);
    const elapsed = (performance.now() - t0) / 1000;
    for (const progress of running.body.running as { logId: number; phase: string }[]) {
      if (progress.logId === logId && !(progress.phase in phases)) phases[progress.phase] = elapsed;
    }
    const row = (logs.body.logs as LogRow[]).find((log) => log.id === logId);
    if (row && row.status !== 'running') {
      const endUs = hrtimeUs();
      const cpuA = delta(cpuBefore.a, processCpuSeconds(a.pid));
      const cpuB = delta(cpuBefore.b, processCpuSeconds(b.pid));
      const cpuS3 = s3Pid === undefined ? null : delta(cpuBefore.s3, processCpuSeconds(s3Pid));
      const machineAfter = machineCpuSeconds();
      const machine = machineAfter.busy - cpuBefore.machine.busy;
      a.rss.sample();
      b.rss.sample();
      const bytes = sent.reduce((sum, file) => sum + file.size, 0);
      const measured: AnemoneRun = {
        run,
        status: row.status,
        files: sent.length,
        bytes,
        filesInSet,
        seconds: elapsed,
        serverSeconds: row.finishedAt ? (Date.parse(row.finishedAt) - Date.parse(row.startedAt)) / 1000 : null,
        mbPerSecond: run === 'no-change' ? null : bytes / 1e6 / elapsed,
        filesPerSecond: (run === 'no-change' ? filesInSet : sent.length) / elapsed,
        peakAKb: a.rss.windowMaxKb,
        peakBKb: b.rss.windowMaxKb,
        cpu: {
          a: cpuA,
          b: cpuB,
          s3: cpuS3,
          other: Math.max(0, machine - (cpuA ?? 0) - (cpuB ?? 0) - (cpuS3 ?? 0)),
          steal: machineAfter.steal - cpuBefore.machine.steal,
          cores: os.cpus().length,
          threadsA: threadCpuDelta(threadsBefore.a, threadCpuSeconds(a.pid)),
          threadsB: threadCpuDelta(threadsBefore.b, threadCpuSeconds(b.pid)),
        },
        phases,
        logged: { fileCount: row.fileCount, bytesTransferred: row.bytesTransferred, error: row.error },
        window: { startUs, endUs },
      };
      if (row.status === 'success' && row.fileCount !== sent.length) measured.warning = `the log says ${row.fileCount} files were sent, ${sent.length} expected`;
      return measured;
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`${run} sync still running after ${timeoutMs / 1000} s`);
    await delay(POLL_MS);
  }
}

interface LogRow {
  id: number;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  fileCount: number;
  bytesTransferred: number;
  error: string | null;
}

const RECEIVER_LABELS: Record<Receiver, string> = { fs: 'on its disk', s3: 'in a bucket on a local S3 server (s3rver)' };

function mb(kb: number | null): string {
  return kb === null ? '—' : fixed(kbToMB(kb), 0);
}

function delta(before: number | undefined, after: number | undefined): number | null {
  return before === undefined || after === undefined ? null : after - before;
}

function hrtimeUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function threadText(threads: Record<string, number>): string {
  const entries = Object.entries(threads).filter(([, used]) => used >= 0.01);
  return entries.length === 0 ? '—' : entries.map(([name, used]) => `${name} ${used.toFixed(2)} s`).join(', ');
}

/** CPU per plaintext byte sent: what the run costs whatever else the machine does. */
function perByte(run: AnemoneRun): string {
  if (run.bytes < 1e6 || run.cpu.a === null || run.cpu.b === null) return '';
  return ` (${fixed((run.cpu.a * 1e9) / run.bytes, 1)} and ${fixed((run.cpu.b * 1e9) / run.bytes, 1)} ns per byte)`;
}

function printRun(run: AnemoneRun): void {
  const order = ['connecting', 'scanning', 'planning', 'uploading', 'finishing'];
  const seen = order.filter((phase) => phase in run.phases);
  const phaseText = seen
    .map((phase, index) => {
      const next = seen[index + 1];
      const end = next === undefined ? run.seconds : (run.phases[next] as number);
      return `${phase} ${(end - (run.phases[phase] as number)).toFixed(2)} s`;
    })
    .join(', ');
  console.log(
    `anemone ${run.run}: ${run.status === 'success' ? `${seconds(run.seconds)} s` : run.status}` +
      (run.mbPerSecond !== null ? `, ${fixed(run.mbPerSecond, 0)} MB/s` : '') +
      `, ${fixed(run.filesPerSecond, 0)} files/s, peak A ${fixed(kbToMB(run.peakAKb), 0)} MB, B ${fixed(kbToMB(run.peakBKb), 0)} MB` +
      `\n  server-side ${seconds(run.serverSeconds)} s; phases (first seen by the poll): ${phaseText || 'none seen'}` +
      `\n  CPU during the run: A ${fixed(run.cpu.a, 2)} s, B ${fixed(run.cpu.b, 2)} s${perByte(run)}${run.cpu.s3 === null ? '' : `, the local S3 server ${fixed(run.cpu.s3, 2)} s`}, everything else ${fixed(run.cpu.other, 2)} s (kernel work for them, this bench, other people's work; stolen by the hypervisor ${fixed(run.cpu.steal, 2)} s) of ${fixed(run.seconds * run.cpu.cores, 1)} core-seconds` +
      `\n  CPU by thread: A ${threadText(run.cpu.threadsA)}; B ${threadText(run.cpu.threadsB)}` +
      (run.warning ? `\n  warning: ${run.warning}` : ''),
  );
}

/**
 * BENCH_WARM: the first sync on fresh servers (the warm-up) beside the same amount of new files once they are
 * warm: CPU per file (per byte for large files) by side and thread.
 */
function printWarmAgainstCold(runs: AnemoneRun[]): void {
  const cold = runs.find((run) => run.run === 'warm-up');
  const warm = runs.find((run) => run.run === 'initial');
  if (!cold || !warm) return;
  const largeFiles = warm.bytes / Math.max(1, warm.files) >= 1e6;
  const unit = largeFiles ? 'ns/B' : 'µs/file';
  const per = (run: AnemoneRun, cpu: number | null) => (cpu === null ? '—' : largeFiles ? fixed((cpu * 1e9) / run.bytes, 2) : fixed((cpu * 1e6) / run.files, 1));
  // a thread that ended during the run (A's sealing thread, one per sync) counts in the process's CPU, not in its threads'
  const withEnded = (all: number | null, threads: Record<string, number>) => ({
    all,
    threads: { ...threads, 'ended threads': Math.max(0, (all ?? 0) - Object.values(threads).reduce((sum, used) => sum + used, 0)) },
  });
  const side = (name: 'A' | 'B', pick: (run: AnemoneRun) => { all: number | null; threads: Record<string, number> }) => {
    const [c, w] = [pick(cold), pick(warm)];
    const threads = [...new Set([...Object.keys(c.threads), ...Object.keys(w.threads)])].filter((thread) => (c.threads[thread] ?? 0) + (w.threads[thread] ?? 0) >= 0.02);
    return `${name} ${per(cold, c.all)} → ${per(warm, w.all)} ${unit}; ${threads.map((thread) => `${thread} ${per(cold, c.threads[thread] ?? 0)} → ${per(warm, w.threads[thread] ?? 0)}`).join(', ')}`;
  };
  console.log(
    `warm against cold (BENCH_WARM), first sync of ${warm.files.toLocaleString('en-US')} new files, fresh servers → warm: ` +
      (largeFiles ? `${fixed(cold.mbPerSecond, 0)} → ${fixed(warm.mbPerSecond, 0)} MB/s` : `${fixed(cold.filesPerSecond, 0)} → ${fixed(warm.filesPerSecond, 0)} files/s`) +
      `\n  CPU ${side('A', (run) => withEnded(run.cpu.a, run.cpu.threadsA))}` +
      `\n  CPU ${side('B', (run) => withEnded(run.cpu.b, run.cpu.threadsB))}` +
      `\n  peaks A ${fixed(kbToMB(cold.peakAKb), 0)} → ${fixed(kbToMB(warm.peakAKb), 0)} MB, B ${fixed(kbToMB(cold.peakBKb), 0)} → ${fixed(kbToMB(warm.peakBKb), 0)} MB`,
  );
}

/** "sync started" → "sync finished"/"sync failed" per log id, from A's pino log. */
async function syncDurationsFromLog(logPath: string): Promise<number[]> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  const started = new Map<number, number>();
  const durations: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"sync ')) continue;
    try {
      const entry = JSON.parse(line) as { time: number; logId?: number; msg: string };
      if (entry.logId === undefined) continue;
      if (entry.msg === 'sync started') started.set(entry.logId, entry.time);
      else if ((entry.msg === 'sync finished' || entry.msg === 'sync failed') && started.has(entry.logId)) {
        durations.push((entry.time - (started.get(entry.logId) as number)) / 1000);
      }
    } catch {
      // not a JSON line
    }
  }
  return durations;
}

/** Each run's CPU time on both servers, from the profiles they wrote when they stopped. */
async function attachProfiles(result: SetResult, dirs: { a: string; b: string }): Promise<void> {
  for (const side of ['a', 'b'] as const) {
    const file = await mainThreadProfile(dirs[side]);
    if (!file) {
      console.log(`no CPU profile found in ${dirs[side]}`);
      continue;
    }
    for (const run of result.anemone) {
      run.profile ??= {};
      run.profile[side] = await summarizeProfile(file, run.window, REPO_ROOT);
    }
  }
  for (const run of result.anemone) {
    for (const side of ['a', 'b'] as const) {
      const summary = run.profile?.[side];
      if (!summary) continue;
      console.log(
        `\n-- CPU of server ${side.toUpperCase()}, ${result.set} ${run.run}: main thread busy ${fixed(summary.busyMs, 0)} ms of ${fixed(summary.windowMs, 0)} ms (GC ${fixed(summary.gcMs, 0)} ms)`,
      );
      console.log(formatTable(['self ms', '%', 'function (self time)'], summary.self.slice(0, 10).map((cost) => [fixed(cost.ms, 0), fixed(cost.percent, 1), cost.name])));
      console.log(formatTable(['total ms', '%', 'function of ours (with what it calls)'], summary.total.slice(0, 10).map((cost) => [fixed(cost.ms, 0), fixed(cost.percent, 1), cost.name])));
    }
  }
}

/** The profile of the main thread (thread id 0 in the name), else the largest one. */
async function mainThreadProfile(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.cpuprofile'));
  const main = files.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (main) return path.join(dir, main);
  let best: { name: string; size: number } | undefined;
  for (const name of files) {
    const { size } = await stat(path.join(dir, name));
    if (!best || size > best.size) best = { name, size };
  }
  return best && path.join(dir, best.name);
}

interface TableRow {
  set: SetName;
  what: string;
  run: string;
  files: number;
  bytes: number;
  ok: boolean;
  seconds: number;
  mbPerSecond: number | null;
  filesPerSecond: number | null;
  peakAMB: number | null;
  peakBMB: number | null;
  /** Anemone time ÷ this tool's time, for the matching run */
  ratio: number | null;
}

function buildTable(results: SetResult[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const result of results) {
    for (const run of result.anemone) {
      rows.push({
        set: result.set,
        what: result.receiver === 'fs' ? 'anemone A→B' : 'anemone A→B, B on S3',
        run: run.run,
        files: run.run === 'no-change' ? run.filesInSet : run.files,
        bytes: run.bytes,
        ok: run.status === 'success',
        seconds: run.seconds,
        mbPerSecond: run.mbPerSecond,
        filesPerSecond: run.filesPerSecond,
        peakAMB: kbToMB(run.peakAKb),
        peakBMB: kbToMB(run.peakBKb),
        ratio: null,
      });
    }
    for (const run of result.tools) {
      const anemone = result.anemone.find((candidate) => candidate.run === (run.run === 'first' ? 'initial' : 'no-change'));
      rows.push({
        set: result.set,
        what: TOOL_LABELS[run.tool],
        run: run.run,
        files: result.files,
        bytes: run.run === 'first' ? result.bytes : 0,
        ok: run.ok,
        seconds: run.seconds,
        mbPerSecond: run.run === 'first' && run.ok ? result.bytes / 1e6 / run.seconds : null,
        filesPerSecond: run.ok ? result.files / run.seconds : null,
        peakAMB: kbToMB(run.peakKb),
        peakBMB: null,
        ratio: anemone && run.ok && anemone.status === 'success' ? anemone.seconds / run.seconds : null,
      });
    }
  }
  return rows;
}

function evaluateTargets(results: SetResult[], scale: number, wan: WanResult | undefined): Target[] {
  const find = (set: SetName, run: RunKind) => {
    const found = results.find((result) => result.set === set)?.anemone.find((candidate) => candidate.run === run);
    return found?.status === 'success' ? found : undefined;
  };
  const tool = (set: SetName, name: ToolName, run: 'first' | 'no-change') =>
    results.find((result) => result.set === set)?.tools.find((candidate) => candidate.tool === name && candidate.run === run && candidate.ok);
  const scaled = scale === 1 ? undefined : `at BENCH_SCALE=${scale}`;
  const targets: Target[] = [];
  const check = (
    source: Target['source'],
    target: string,
    value: number | undefined,
    format: (value: number) => string,
    met: (value: number) => boolean,
    note?: string,
    missing = 'not measured in this run',
  ) => {
    targets.push(
      value === undefined || !Number.isFinite(value)
        ? { source, target, measured: '—', status: 'n/a', note: missing }
        : { source, target, measured: format(value), status: met(value) ? 'met' : 'NOT MET', ...(note ? { note } : {}) },
    );
  };
  const largeInitial = find('large', 'initial');
  const smallInitial = find('small', 'initial');
  const smallNoChange = find('small', 'no-change');
  const smallNote = smallNoChange && smallNoChange.filesInSet !== 50_000 ? `${smallNoChange.filesInSet.toLocaleString('en-US')} files (${scaled})` : undefined;
  // the syncs' own peaks (sampled during each run); VmHWM also counts setup and sign-ins, which the note gives.
  // "whatever the file size" is judged on the sets of large files; the small set (many files) has its own row
  const peaksOf = (sets: readonly SetName[]) =>
    results
      .filter((result) => sets.includes(result.set))
      .flatMap((result) =>
        result.anemone.flatMap((run) => [
          { where: `${result.set} ${run.run} on A`, kb: run.peakAKb },
          { where: `${result.set} ${run.run} on B`, kb: run.peakBKb },
        ]),
      )
      .sort((x, y) => y.kb - x.kb);
  const highest = peaksOf(['large', 'mixed', 'huge'])[0];
  const highestSmall = peaksOf(['small'])[0];
  const huge = results.find((result) => result.set === 'huge');
  const hugeInitial = huge?.anemone.find((run) => run.run === 'initial');
  // the many set has its own, higher memory target
  const hwm = Math.max(0, ...results.filter((result) => result.set !== 'many').flatMap((result) => [result.hwmAKb ?? 0, result.hwmBKb ?? 0]));
  const idle = Math.max(0, ...results.flatMap((result) => [result.memory.idleAKb ?? 0, result.memory.idleBKb ?? 0]));
  const memoryNote = highest
    ? `during syncs, highest: ${highest.where}` +
      (hugeInitial ? `; the ${formatBytes(huge?.bytes ?? 0)} file: A ${mb(hugeInitial.peakAKb)} MB, B ${mb(hugeInitial.peakBKb)} MB` : '; the huge set did not run') +
      `; VmHWM with setup and sign-ins ${mb(hwm)} MB; idle after start up to ${mb(idle)} MB`
    : undefined;
  const peakMB = highest ? kbToMB(highest.kb) : undefined;

  // issue 15's floor: ratios are Anemone's speed over the tool's in this run; CPU per byte and per file on each side
  const cpuPer = (run: AnemoneRun | undefined, side: 'a' | 'b', per: 'byte' | 'file') => {
    const cpu = run?.cpu[side];
    if (!run || cpu === null || cpu === undefined) return undefined;
    return per === 'byte' ? (cpu * 1e9) / run.bytes : (cpu * 1e6) / run.files;
  };
  const speedOver = (run: AnemoneRun | undefined, toolRun: ToolRun | undefined) => (run && toolRun ? toolRun.seconds / run.seconds : undefined);
  const ratioNote = (toolRun: ToolRun | undefined, label: string) => (toolRun ? `${label} ${seconds(toolRun.seconds)} s${scaled ? `; ${scaled}` : ''}` : undefined);
  const resticLarge = tool('large', 'restic', 'first');
  const rcloneLarge = tool('large', 'rclone', 'first');
  const resticSmall = tool('small', 'restic', 'first');
  const rcloneSmallNoChange = tool('small', 'rclone', 'no-change');
  check('issue', 'large files, first sync ≥ 1.0× restic', speedOver(largeInitial, resticLarge), (v) => `${fixed(v, 2)}×`, (v) => v >= 1, ratioNote(resticLarge, 'restic'), 'needs restic and the large set');
  check('issue', 'large files, first sync ≥ 0.8× rclone crypt', speedOver(largeInitial, rcloneLarge), (v) => `${fixed(v, 2)}×`, (v) => v >= 0.8, ratioNote(rcloneLarge, 'rclone'), 'needs rclone and the large set');
  check('issue', 'large files: sender CPU ≤ 3.5 ns/B', cpuPer(largeInitial, 'a', 'byte'), (v) => `${fixed(v, 2)} ns/B`, (v) => v <= 3.5, scaled);
  check('issue', 'large files: receiver CPU ≤ 2.5 ns/B', cpuPer(largeInitial, 'b', 'byte'), (v) => `${fixed(v, 2)} ns/B`, (v) => v <= 2.5, scaled);
  check('issue', 'small files, first sync ≥ 0.75× restic files/s', speedOver(smallInitial, resticSmall), (v) => `${fixed(v, 2)}×`, (v) => v >= 0.75, ratioNote(resticSmall, 'restic'), 'needs restic and the small set');
  check('issue', 'small files: sender CPU ≤ 80 µs/file', cpuPer(smallInitial, 'a', 'file'), (v) => `${fixed(v, 0)} µs/file`, (v) => v <= 80, scaled);
  check('issue', 'small files: receiver CPU ≤ 80 µs/file', cpuPer(smallInitial, 'b', 'file'), (v) => `${fixed(v, 0)} µs/file`, (v) => v <= 80, scaled);
  check('issue', 'nothing changed (small set) ≤ 0.5× rclone’s time', smallNoChange && rcloneSmallNoChange ? smallNoChange.seconds / rcloneSmallNoChange.seconds : undefined, (v) => `${fixed(v, 2)}× rclone's time`, (v) => v <= 0.5, ratioNote(rcloneSmallNoChange, 'rclone'), 'needs rclone and the small set');
  const everyPeak = peaksOf(['large', 'mixed', 'huge', 'small'])[0];
  check('issue', 'peak RSS during every sync < 150 MB on each server', everyPeak ? kbToMB(everyPeak.kb) : undefined, (v) => `${fixed(v, 0)} MB`, (v) => v < 150, everyPeak ? `highest: ${everyPeak.where}` : undefined);
  check('issue', 'VmHWM over the whole life (setup, sign-ins) < 200 MB', hwm > 0 ? kbToMB(hwm) : undefined, (v) => `${fixed(v, 0)} MB`, (v) => v < 200, 'the higher of A and B, over every set but many');
  const manyInitial = find('many', 'initial');
  const manyNoChange = find('many', 'no-change');
  const manyPeakA = manyInitial || manyNoChange ? Math.max(manyInitial?.peakAKb ?? 0, manyNoChange?.peakAKb ?? 0) : undefined;
  const smallPeakA = smallInitial || smallNoChange ? Math.max(smallInitial?.peakAKb ?? 0, smallNoChange?.peakAKb ?? 0) : undefined;
  const manyFiles = manyNoChange?.filesInSet ?? manyInitial?.filesInSet;
  const smallFiles = smallNoChange?.filesInSet ?? smallInitial?.filesInSet;
  // the slope between the small and the many sets: what 100,000 more files cost the sender
  const per100k = manyPeakA !== undefined && smallPeakA !== undefined && manyFiles && smallFiles && manyFiles - smallFiles >= 50_000 ? ((manyPeakA - smallPeakA) / 1024 / (manyFiles - smallFiles)) * 100_000 : undefined;
  const manyNote = `${manyFiles ? `${manyFiles.toLocaleString('en-US')} files` : ''}${per100k !== undefined ? `; sender memory grows ${fixed(per100k, 0)} MB per 100,000 files (small → many sets)` : ''}`;
  check('issue', 'many set: sender RSS < 250 MB', manyPeakA !== undefined ? kbToMB(manyPeakA) : undefined, (v) => `${fixed(v, 0)} MB`, (v) => v < 250, manyNote, 'needs the many set');
  check('issue', 'many set: no-change sync < 2 s', manyNoChange?.seconds, (v) => `${seconds(v)} s`, (v) => v < 2, manyNote, 'needs the many set');
  check('PERFORMANCE.md', 'large files > 400 MB/s', largeInitial?.mbPerSecond ?? undefined, (v) => `${fixed(v, 0)} MB/s`, (v) => v > 400, scaled);
  check('PERFORMANCE.md', 'many small files > 9,300 files/s', smallInitial?.filesPerSecond, (v) => `${fixed(v, 0)} files/s`, (v) => v > 9_300, scaled);
  check('PERFORMANCE.md', 'nothing changed (50,000 files) < 0.5 s', smallNoChange?.seconds, (v) => `${seconds(v)} s`, (v) => v < 0.5, smallNote);
  check('PERFORMANCE.md', 'memory < 150 MB on each server', peakMB, (v) => `${fixed(v, 0)} MB`, (v) => v < 150, memoryNote);
  check(
    'PERFORMANCE.md',
    'memory < 150 MB with many small files too (the tools: 7–156 MB)',
    highestSmall ? kbToMB(highestSmall.kb) : undefined,
    (v) => `${fixed(v, 0)} MB`,
    (v) => v < 150,
    highestSmall ? `highest: ${highestSmall.where}${smallNote ? `; ${smallNote}` : ''}` : undefined,
    'needs the small set',
  );
  const rclone = tool('large', 'rclone', 'first');
  check(
    'PERFORMANCE.md',
    'large files faster than rclone crypt (same run)',
    largeInitial && rclone ? largeInitial.seconds / rclone.seconds : undefined,
    (v) => `${fixed(v, 2)}× rclone's time`,
    (v) => v < 1,
    rclone ? `rclone ${fixed(largeInitial ? largeInitial.bytes / 1e6 / rclone.seconds : NaN, 0)} MB/s` : undefined,
    'needs rclone and the large set',
  );
  const restic = tool('small', 'restic', 'first');
  check(
    'PERFORMANCE.md',
    'many small files faster than restic (same run)',
    smallInitial && restic ? smallInitial.seconds / restic.seconds : undefined,
    (v) => `${fixed(v, 2)}× restic's time`,
    (v) => v < 1,
    restic ? `restic ${fixed(smallInitial ? smallInitial.files / restic.seconds : NaN, 0)} files/s` : undefined,
    'needs restic and the small set',
  );
  const wanMixed = wan?.runs.find((run) => run.set === 'mixed' && run.run === 'initial');
  const wanSmallNoChange = wan?.runs.find((run) => run.set === 'small' && run.run === 'no-change');
  const wanLink = `${WAN_LINK.upBitsPerSecond / 1e6} Mbit/s up, ${WAN_LINK.roundTripMs} ms`;
  check(
    'issue',
    `WAN (${wanLink}): link used ≥ 90 % on the mixed set`,
    wanMixed?.linkUsed,
    (v) => `${fixed(v * 100, 1)} %`,
    (v) => v >= 0.9,
    wanMixed ? `wire bytes up; plaintext ${fixed(wanMixed.plaintextShare * 100, 1)} %, ${fixed(wanMixed.wirePerPlaintextByte, 4)} wire bytes per plaintext byte, BENCH_WAN_SCALE=${wan?.scale}` : undefined,
    'needs the WAN rows (BENCH_WAN) and the mixed set',
  );
  if (wanSmallNoChange) {
    targets.push({
      source: 'issue',
      target: `WAN: wire bytes of a no-change sync (small set)`,
      measured: `${(wanSmallNoChange.wireUp + wanSmallNoChange.wireDown).toLocaleString('en-US')} bytes`,
      status: 'n/a',
      note: `${wanSmallNoChange.files.toLocaleString('en-US')} files; ${wanSmallNoChange.wireUp.toLocaleString('en-US')} up, ${wanSmallNoChange.wireDown.toLocaleString('en-US')} down; a figure to follow, no target`,
    });
  }
  return targets;
}

main().then(
  async () => {
    await cleanup.runAll();
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanup.runAll();
    process.exitCode = 1;
  },
);
