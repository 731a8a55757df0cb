import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';

/** One object copied and read back: the disk file it came from, as it was then. */
const copiedLine = z.object({ relPath: z.string().min(1), size: z.number().int().min(0), mtimeMs: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const headerLine = z.object({ target: z.string().min(1) });

export type CopiedObject = z.infer<typeof copiedLine>;

/**
 * What `anemone incoming migrate` has copied and verified, one JSON line per
 * object appended as it is verified (a crash loses at most the line being
 * written; a torn last line is ignored), so a re-run skips them. A file, not
 * a table: it belongs to one run of one command and is removed once the
 * store is switched. Its first line names the bucket and prefix; a record
 * for another target is started again.
 */
export class MigrationRecord {
  private readonly copied = new Map<string, CopiedObject>();

  private constructor(private readonly file: string) {}

  static open(file: string, target: string): MigrationRecord {
    const record = new MigrationRecord(file);
    let lines: string[] = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const header = headerLine.safeParse(parseJson(lines[0]));
    if (!header.success || header.data.target !== target) {
      appendFileSync(file, `${JSON.stringify({ target })}\n`, { flag: 'w', mode: 0o600 });
      return record;
    }
    for (const line of lines.slice(1)) {
      const parsed = copiedLine.safeParse(parseJson(line));
      if (parsed.success) record.copied.set(parsed.data.relPath, parsed.data);
    }
    return record;
  }

  /** True when `relPath` was verified in the bucket while the disk file had this size and date. */
  isCopied(relPath: string, size: number, mtimeMs: number): boolean {
    const known = this.copied.get(relPath);
    return known !== undefined && known.size === size && known.mtimeMs === mtimeMs;
  }

  add(object: CopiedObject): void {
    this.copied.set(object.relPath, object);
    appendFileSync(this.file, `${JSON.stringify(object)}\n`);
  }

  get count(): number {
    return this.copied.size;
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}

function parseJson(line: string | undefined): unknown {
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
