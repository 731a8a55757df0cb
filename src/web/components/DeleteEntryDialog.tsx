import { useState } from 'react';
import { filesApi } from '../api/client';
import type { ApiError } from '../api/http';
import { asApiError } from '../lib/hooks';
import { ConfirmDialog } from './ConfirmDialog';
import type { ShareEntry } from './ShareFileList';

/** Asks before deleting one file or empty folder, and says what a deletion in `backup` means for the peers. */
export function DeleteEntryDialog({ share, entry, onClose, onDeleted }: { share: string; entry: ShareEntry | undefined; onClose(): void; onDeleted(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  async function confirm() {
    if (!entry) return;
    setBusy(true);
    setError(undefined);
    try {
      await filesApi.remove(share, entry.path);
      onDeleted();
      onClose();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      open={entry !== undefined}
      title={entry?.kind === 'folder' ? 'Delete this folder?' : 'Delete this file?'}
      confirmLabel="Delete"
      busy={busy}
      error={error}
      onConfirm={() => void confirm()}
      onCancel={() => {
        setError(undefined);
        onClose();
      }}
    >
      <p>
        <strong className="break-all">{entry?.name}</strong> is deleted from this server{entry?.kind === 'folder' ? ' (only an empty folder can be)' : ''}.
      </p>
      {share === 'backup' && <p>The next sync deletes it on the peers too; their older versions keep it for as long as the peer keeps history.</p>}
    </ConfirmDialog>
  );
}
