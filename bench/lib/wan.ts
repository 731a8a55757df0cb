import { mkdir, mkdtemp, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LinkProxy } from '../../test/helpers/link-proxy.js';
import type { Cleanup } from './cleanup.js';
import { type FileSpec, planSet, type RunKind, type SetName, writeFiles } from './datasets.js';
import { type BenchServer, setUpPair, startServer, type Pair } from './servers.js';

/** A home link as the issue states it: 20 Mbit/s up, 100 Mbit/s down, 40 ms round trip. */
export const WAN_LINK = { upBitsPerSecond: 20e6, downBitsPerSecond: 100e6, roundTripMs: 40 } as const;
/** The sets the WAN rows use, and what each one shows. */
const WAN_SETS: readonly SetName[] = ['mixed', 'small'];

export interface WanRun {
  set: SetName;
  run: RunKind;
  files: number;
  /** plaintext bytes the run had to send */
  bytes: number;
  seconds: number;
  /** what crossed the proxy: TCP payload, so TLS records, HTTP, the encryption's own overhead and the manifests */
  wireUp: number;
  wireDown: number;
  /** wireUp ÷ (seconds × the uplink): how busy the run kept the link */
  linkUsed: number;
  /** plaintext bits ÷ (seconds × the uplink) */
  plaintextShare: number;
  /** wireUp ÷ plaintext bytes (null when nothing was sent) */
  wirePerPlaintextByte: number | null;
}

export interface WanResult {
  scale: number;
  link: typeof WAN_LINK;
  runs: WanRun[];
  errors: string[];
}

interface TimedRun {
  status: string;
  seconds: number;
  logged: { error: string | null };
}

/**
 * The WAN rows: each set A → B through test/helpers/link-proxy.ts shaped as
 * WAN_LINK, a first sync and one with nothing changed, the proxy's byte
 * counts read around each.
 */
export async function runWan<R extends TimedRun>(options: {
  scale: number;
  baseDir: string;
  timeoutMs: number;
  cleanup: Cleanup;
  build: 'tsx' | 'dist';
  sets: readonly SetName[] | undefined;
  timedSync: (pair: Pair, run: RunKind, sent: FileSpec[], filesInSet: number, timeoutMs: number) => Promise<R>;
  /** Prints a run as the other sets' runs are (phases, CPU, memory). */
  printRun: (run: R) => void;
  racyWindowMs: number;
}): Promise<WanResult> {
  const result: WanResult = { scale: options.scale, link: WAN_LINK, runs: [], errors: [] };
  const uplink = WAN_LINK.upBitsPerSecond;
  for (const name of WAN_SETS.filter((set) => options.sets === undefined || options.sets.includes(set))) {
    options.cleanup.checkAborted();
    const plan = planSet(name, options.scale);
    console.log(`\n=== WAN ${name}: ${plan.description}, ${(plan.bytes / 1e6).toFixed(1)} MB, through a proxy: ${uplink / 1e6} Mbit/s up, ${WAN_LINK.downBitsPerSecond / 1e6} Mbit/s down, ${WAN_LINK.roundTripMs} ms round trip ===`);
    const setDir = options.cleanup.dir(await mkdtemp(path.join(options.baseDir, `anemone-bench-wan-${name}-`)));
    let a: BenchServer | undefined;
    let b: BenchServer | undefined;
    let proxy: LinkProxy | undefined;
    try {
      const source = path.join(setDir, 'source');
      await writeFiles(source, plan.files, `${name}-wan`);
      const lastWrite = Date.now();
      [a, b] = await Promise.all([
        startServer({ name: 'A', dataDir: path.join(setDir, 'server-a'), cleanup: options.cleanup, build: options.build }),
        startServer({ name: 'B', dataDir: path.join(setDir, 'server-b'), cleanup: options.cleanup, build: options.build }),
      ]);
      proxy = await LinkProxy.start({
        target: { host: '127.0.0.1', port: b.port },
        upBytesPerSecond: uplink / 8,
        downBytesPerSecond: WAN_LINK.downBitsPerSecond / 8,
        upLatencyMs: WAN_LINK.roundTripMs / 2,
        downLatencyMs: WAN_LINK.roundTripMs / 2,
      });
      const pair = await setUpPair(a, b, proxy.port);
      await mkdir(pair.shareRoot, { recursive: true });
      for (const entry of await readdir(source)) await rename(path.join(source, entry), path.join(pair.shareRoot, entry));
      await delay(Math.max(0, lastWrite + options.racyWindowMs - Date.now()));
      for (const run of ['initial', 'no-change'] as const) {
        const sent = run === 'initial' ? plan.files : [];
        proxy.resetCounts();
        const measured = await options.timedSync(pair, run, sent, plan.files.length, options.timeoutMs);
        options.printRun(measured);
        if (measured.status !== 'success') throw new Error(`${run} sync ended ${measured.status}: ${measured.logged.error}`);
        const bytes = sent.reduce((sum, file) => sum + file.size, 0);
        const { up, down } = proxy.bytes;
        const wan: WanRun = {
          set: name,
          run,
          files: run === 'initial' ? sent.length : plan.files.length,
          bytes,
          seconds: measured.seconds,
          wireUp: up,
          wireDown: down,
          linkUsed: (up * 8) / (measured.seconds * uplink),
          plaintextShare: (bytes * 8) / (measured.seconds * uplink),
          wirePerPlaintextByte: bytes > 0 ? up / bytes : null,
        };
        result.runs.push(wan);
        console.log(
          `anemone over WAN ${run}: ${measured.seconds.toFixed(2)} s, ${up.toLocaleString('en-US')} bytes up and ${down.toLocaleString('en-US')} down on the wire` +
            (bytes > 0
              ? `; link used ${(wan.linkUsed * 100).toFixed(1)} % (wire bytes up), plaintext ${(wan.plaintextShare * 100).toFixed(1)} %; ${(wan.wirePerPlaintextByte ?? 0).toFixed(4)} wire bytes per plaintext byte`
              : ''),
        );
      }
    } catch (error) {
      const message = `WAN ${name}: ${error instanceof Error ? error.message : String(error)}`;
      result.errors.push(message);
      console.log(`!! ${message}`);
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
      await proxy?.close();
      await options.cleanup.removeDir(setDir);
    }
  }
  return result;
}
