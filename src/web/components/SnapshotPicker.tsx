import type { RestoreSnapshot } from '../api/types';
import { formatAbsolute, formatBytes, formatCount } from '../lib/format';
import { SelectField } from './Field';

function describeSnapshot(snapshot: RestoreSnapshot): string {
  // totals are null for snapshots an older version wrote: the date alone then
  const totals = snapshot.fileCount === null ? '' : ` — ${formatCount(snapshot.fileCount, 'file')}${snapshot.bytes === null ? '' : `, ${formatBytes(snapshot.bytes)}`}`;
  return `${formatAbsolute(snapshot.at)}${totals}`;
}

/** The timeline of a backup: its latest state (the default), then each kept snapshot, newest first. */
export function SnapshotPicker({ snapshots, value, onChange }: { snapshots: RestoreSnapshot[]; value: number | undefined; onChange(snapshot: number | undefined): void }) {
  return (
    <SelectField
      label="As of"
      name="snapshot"
      value={value === undefined ? '' : String(value)}
      onChange={(event) => onChange(event.target.value === '' ? undefined : Number(event.target.value))}
      help={snapshots.length > 1 ? 'Pick an earlier date to browse, download or restore the files as they were then.' : 'The peer keeps no earlier state of this backup yet.'}
    >
      <option value="">Latest</option>
      {snapshots.map((snapshot) => (
        <option key={snapshot.id} value={snapshot.id}>
          {describeSnapshot(snapshot)}
        </option>
      ))}
    </SelectField>
  );
}
