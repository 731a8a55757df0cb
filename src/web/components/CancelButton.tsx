import { useState } from 'react';
import type { ApiError } from '../api/http';
import { asApiError } from '../lib/hooks';
import { Button } from './Button';
import { ErrorNotice } from './Notice';

/**
 * Cancel of a running sync or restore: the server stops it cleanly and
 * answers once it has ended; `onDone` then refreshes what the page shows.
 */
export function CancelButton({ label, cancel, onDone }: { label: string; cancel: () => Promise<unknown>; onDone?: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await cancel();
      onDone?.();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="inline-flex flex-col items-start gap-2">
      <Button variant="secondary" size="sm" busy={busy} onClick={() => void run()} aria-label={label}>
        Cancel
      </Button>
      <ErrorNotice error={error} title="Not cancelled" onDismiss={() => setError(undefined)} />
    </span>
  );
}
