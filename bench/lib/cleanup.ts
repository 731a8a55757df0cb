import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Everything the bench started or made, undone whatever happens: a normal end,
 * an error, Ctrl-C or SIGTERM. Children run in their own process groups
 * (spawned `detached`), so a whole group is ended by its id, and only groups
 * this bench started.
 */
export class Cleanup {
  private readonly children = new Set<ChildProcess>();
  private readonly dirs = new Set<string>();
  /** Every temp dir ever registered: removed again at exit, in case a step still running recreated one. */
  private readonly everyDir = new Set<string>();
  private running: Promise<void> | undefined;
  keepDirs = false;
  /** Set by Ctrl-C / SIGTERM: no new step may start. */
  aborted = false;

  /** Throws when the bench is being interrupted, so the main flow stops starting things. */
  checkAborted(): void {
    if (this.aborted) throw new Error('interrupted');
  }

  /** Tracks a child until it exits; an interrupted bench starts none (the caller spawns it, so it is ended at once). */
  child(child: ChildProcess): ChildProcess {
    if (this.aborted) signalGroup(child, 'SIGKILL');
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  dir(dir: string): string {
    this.dirs.add(dir);
    this.everyDir.add(dir);
    return dir;
  }

  async removeDir(dir: string): Promise<void> {
    this.dirs.delete(dir);
    if (this.keepDirs) this.everyDir.delete(dir);
    else await rm(dir, { recursive: true, force: true });
  }

  /** Ends every child still running (SIGTERM, then SIGKILL after `graceMs`) and removes every temp dir. */
  runAll(graceMs = 5_000): Promise<void> {
    this.running ??= (async () => {
      const alive = [...this.children];
      for (const child of alive) signalGroup(child, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while ([...this.children].length > 0 && Date.now() < deadline) await delay(50);
      for (const child of this.children) signalGroup(child, 'SIGKILL');
      for (const dir of [...this.dirs]) await this.removeDir(dir).catch(() => undefined);
    })();
    return this.running;
  }

  /** The last resort in `process.on('exit')`: synchronous only. */
  runSync(): void {
    for (const child of this.children) signalGroup(child, 'SIGKILL');
    if (!this.keepDirs) for (const dir of this.everyDir) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }

  /** Cleans up on Ctrl-C / SIGTERM / exit. */
  install(): void {
    let interrupted = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) return;
      interrupted = true;
      this.aborted = true;
      process.stderr.write(`\n${signal}: stopping servers and tools, removing temp dirs…\n`);
      this.runAll(3_000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', () => this.runSync());
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
