import { Readable } from 'node:stream';

export interface RunEntryLine {
  action: string;
  path: string;
  bytes: number | null;
  reason: string | null;
}

const HEADER = 'action,path,bytes,reason\r\n';

/**
 * A run's file list as CSV (RFC 4180: every field quoted, CRLF lines), written
 * line by line. A field a spreadsheet would read as a formula (= + - @ first) gets a
 * leading apostrophe: file names are the user's, the spreadsheet is someone's.
 */
export function runEntriesCsv(entries: Iterable<RunEntryLine>): Readable {
  return Readable.from(
    (function* lines() {
      yield HEADER;
      for (const entry of entries) {
        yield `${[entry.action, entry.path, entry.bytes === null ? '' : String(entry.bytes), entry.reason ?? ''].map(csvField).join(',')}\r\n`;
      }
    })(),
  );
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}
