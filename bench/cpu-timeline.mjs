#!/usr/bin/env node
// The two bench servers' CPU over time, per thread kind, with the machine's idle time and A's log events:
// where in a sync a core sits idle (issue 15). Run beside `npm run bench` with the same BENCH_DIR:
//   BENCH_DIR=/tmp/tl node bench/cpu-timeline.mjs /tmp/tl out.jsonl &   # samples until killed
//   node bench/cpu-timeline.mjs --report out.jsonl [bucketMs]           # the table, one row a bucket, and the phases
// Each sample: ms since the epoch, and per server (a, b) utime+stime in clock ticks of the main thread, libuv's
// pool, V8's helpers and the rest (on Node 20 every thread is "node": all but the main one count as the rest, and
// so do threads that exited), its threads runnable (R) and in disk wait (D), its rchar/wchar; the machine's
// busy/idle ticks; A's new log lines.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { setInterval } from 'node:timers';

const TICK_MS = 10; // USER_HZ is 100 on Linux
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

function ticksOf(statText) {
  // comm may hold spaces: the fields start after its closing parenthesis
  const close = statText.lastIndexOf(')');
  const fields = statText.slice(close + 2).split(' ');
  return { comm: statText.slice(statText.indexOf('(') + 1, close), state: fields[0], ticks: Number(fields[11]) + Number(fields[12]) };
}

// Node 20 leaves its threads unnamed ("node"); Node 22+ names libuv's pool and V8's helpers
function kindOf(tid, pid, comm) {
  if (tid === pid) return 'main';
  if (comm.startsWith('libuv-worker')) return 'pool';
  if (comm.startsWith('V8')) return 'v8';
  return 'other';
}

function sampleServer(pid) {
  const threads = { main: 0, pool: 0, v8: 0, other: 0, running: 0, disk: 0 };
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/stat`);
    if (!text) continue;
    const { comm, ticks, state } = ticksOf(text);
    threads[kindOf(Number(tid), pid, comm)] += ticks;
    // what the server wants of the cores now, whatever the other engineers' load: threads running or waiting for a core
    if (state === 'R') threads.running += 1;
    if (state === 'D') threads.disk += 1;
  }
  // the process's own figure keeps the time of threads that exited (the sealing worker ends with the small files)
  const total = read(`/proc/${pid}/stat`);
  if (total) threads.other = ticksOf(total).ticks - threads.main - threads.pool - threads.v8;
  const io = read(`/proc/${pid}/io`) ?? '';
  const field = (name) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
  return { ...threads, rchar: field('rchar'), wchar: field('wchar') };
}

function machine() {
  const cpu = (read('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  return { busy: cpu.slice(0, 8).reduce((sum, value) => sum + value, 0) - idle, idle };
}

function findServers(baseDir) {
  const found = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (read(`/proc/${entry}/cmdline`) ?? '').split('\0');
    const dir = args[args.indexOf('--data-dir') + 1];
    if (!args.includes('serve') || !dir?.startsWith(baseDir)) continue;
    if (dir.endsWith('server-a')) found.a = { pid: Number(entry), log: `${dir}/logs/anemone.log` };
    if (dir.endsWith('server-b')) found.b = { pid: Number(entry), log: `${dir}/logs/anemone.log` };
  }
  return found;
}

function sample(baseDir, out, intervalMs) {
  let servers = {};
  let logRead = 0;
  setInterval(() => {
    if (!servers.a || !servers.b || !sampleServer(servers.a.pid)) {
      servers = findServers(baseDir);
      logRead = 0;
    }
    if (!servers.a || !servers.b) return;
    const row = { t: Date.now(), machine: machine(), a: sampleServer(servers.a.pid), b: sampleServer(servers.b.pid) };
    // A's log lines since the last sample: "sync started", "sync finished" and whatever else it says
    const log = read(servers.a.log) ?? '';
    if (log.length > logRead) {
      const lines = log.slice(logRead, log.lastIndexOf('\n') + 1);
      logRead += lines.length;
      row.events = lines.split('\n').filter(Boolean).map((line) => {
        try {
          const entry = JSON.parse(line);
          return { time: entry.time, msg: entry.msg };
        } catch {
          return { msg: line.slice(0, 80) };
        }
      });
    }
    appendFileSync(out, `${JSON.stringify(row)}\n`);
  }, intervalMs);
}

function report(file, bucketMs) {
  const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((row) => row.a && row.b);
  const events = rows.flatMap((row) => (row.events ?? []).map((event) => ({ t: event.time ?? row.t, msg: event.msg })));
  const runs = [];
  for (const event of events) {
    if (event.msg === 'sync started') runs.push({ start: event.t });
    if (event.msg === 'sync finished' && runs.at(-1)) runs.at(-1).end = event.t;
  }
  for (const [index, run] of runs.entries()) {
    if (run.end === undefined) continue;
    const inRun = rows.filter((row) => row.t >= run.start - bucketMs && row.t <= run.end + bucketMs);
    console.log(`\nrun ${index + 1}: ${((run.end - run.start) / 1000).toFixed(2)} s`);
    phasesOf(inRun.filter((row) => row.t >= run.start && row.t <= run.end), run);
    console.log('    ms | A main rest | B main rest | A+B cores | machine | wanted 0/1/2+ | A read MB | B write MB');
    let last = inRun[0];
    let wanted = [0, 0, 0];
    for (const row of inRun.slice(1)) {
      // threads of A and B runnable in this sample: 0 = both servers wait (a core the pair leaves idle), 2+ = both cores wanted
      const runnable = row.a.running + row.b.running;
      wanted[Math.min(runnable, 2)] += 1;
      if (row.t - last.t < bucketMs && row !== inRun.at(-1)) continue;
      const span = row.t - last.t;
      const cores = (side, kinds) => (kinds.reduce((sum, kind) => sum + row[side][kind] - last[side][kind], 0) * TICK_MS) / span;
      const rest = ['pool', 'v8', 'other'];
      const pair = (name) => `${cores(name, ['main']).toFixed(2)} ${cores(name, rest).toFixed(2)}`;
      const total = cores('a', ['main', ...rest]) + cores('b', ['main', ...rest]);
      const busy = ((row.machine.busy - last.machine.busy) * TICK_MS) / span;
      const mb = (name, field) => ((row[name][field] - last[name][field]) / 1e6).toFixed(1).padStart(6);
      const samples = wanted.reduce((sum, count) => sum + count, 0);
      const shares = wanted.map((count) => String(Math.round((100 * count) / samples)).padStart(3)).join(' ');
      console.log(
        `${String(last.t - run.start).padStart(6)} | ${pair('a')} | ${pair('b')} | ${total.toFixed(2).padStart(5)} | ${busy.toFixed(2).padStart(5)} | ${shares} % | ${mb('a', 'rchar')} | ${mb('b', 'wchar')}`,
      );
      last = row;
      wanted = [0, 0, 0];
    }
  }
}

/**
 * The run cut where B writes: before its first write (the scan, the plan, the first batch sealed and sent: B idle),
 * while it writes, and after its last write (the last answers, the final manifest, the run's end: A alone).
 */
function phasesOf(rows, run) {
  const writes = rows.filter((row, index) => index > 0 && row.b.wchar - rows[index - 1].b.wchar > 64 * 1024);
  if (writes.length === 0) return;
  const cuts = [
    ['before B writes', run.start, writes[0].t],
    ['B writes', writes[0].t, writes.at(-1).t],
    ['after B wrote', writes.at(-1).t, run.end],
  ];
  for (const [name, from, to] of cuts) {
    const span = rows.filter((row) => row.t >= from && row.t <= to);
    if (span.length < 2) continue;
    const [first, last] = [span[0], span.at(-1)];
    const ms = last.t - first.t;
    const cores = (side) => ((['main', 'pool', 'v8', 'other'].reduce((sum, kind) => sum + last[side][kind] - first[side][kind], 0) * TICK_MS) / ms).toFixed(2);
    const wanted = [0, 0, 0];
    for (const row of span) wanted[Math.min(row.a.running + row.b.running, 2)] += 1;
    const shares = wanted.map((count) => Math.round((100 * count) / span.length)).join('/');
    console.log(`  ${name.padEnd(15)} ${String(to - from).padStart(6)} ms: A ${cores('a')} cores, B ${cores('b')}, threads wanted 0/1/2+ ${shares} %`);
  }
}

const [first, second, third] = process.argv.slice(2);
if (first === '--report') report(second, Number(third ?? 250));
else sample(first, second, Number(third ?? 50));
