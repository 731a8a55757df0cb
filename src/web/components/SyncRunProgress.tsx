import type { SyncProgress } from '../api/types';
import { formatSyncPace } from '../lib/format';
import { ProgressBar } from './ProgressBar';

/** Before the upload the totals are not known yet: the bar says what is happening instead of a percentage. */
const BEFORE_UPLOAD: Record<string, string> = {
  connecting: 'Connecting to the peer…',
  planning: 'Comparing with the backup on the peer…',
  scanning: 'Comparing…',
};

/** A running sync's bar: indeterminate while it compares, then bytes, speed and time left from the engine. */
export function SyncRunProgress({ run, label }: { run: SyncProgress; label: string }) {
  return (
    <ProgressBar
      label={label}
      filesDone={run.filesDone}
      filesTotal={run.filesTotal}
      bytesDone={run.bytesDone}
      bytesTotal={run.bytesTotal}
      pace={formatSyncPace(run.bytesPerSecond, run.etaSeconds)}
      indeterminate={BEFORE_UPLOAD[run.phase]}
    />
  );
}
