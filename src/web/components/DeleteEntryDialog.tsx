import { filesApi } from '../api/client';
import { ConfirmDialog } from './ConfirmDialog';
import type { ShareEntry } from './ShareFileList';
import { useFormSubmit } from './useFormSubmit';

/** Asks before deleting one file or empty folder, and says what a deletion in `backup` means for the peers. */
export function DeleteEntryDialog({ share, entry, onClose, onDeleted }: { share: string; entry: ShareEntry | undefined; onClose(): void; onDeleted(): void }) {
  const form = useFormSubmit();

  function confirm() {
    if (!entry) return;
    void form.submit({}, async () => {
      await filesApi.remove(share, entry.path);
      onDeleted();
      onClose();
    });
  }

  return (
    <ConfirmDialog
      open={entry !== undefined}
      title={entry?.kind === 'folder' ? 'Delete this folder?' : 'Delete this file?'}
      confirmLabel="Delete"
      busy={form.busy}
      error={form.apiError}
      onConfirm={confirm}
      onCancel={onClose}
    >
      <p>
        <strong className="break-all">{entry?.name}</strong> is deleted from this server{entry?.kind === 'folder' ? ' (only an empty folder can be)' : ''}.
      </p>
      {share === 'backup' && <p>The next sync deletes it on the peers too; their older versions keep it for as long as the peer keeps history.</p>}
    </ConfirmDialog>
  );
}
