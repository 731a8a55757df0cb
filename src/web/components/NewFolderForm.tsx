import { type FormEvent, useState } from 'react';
import { filesApi } from '../api/client';
import type { ApiError } from '../api/http';
import { asApiError } from '../lib/hooks';
import { Button } from './Button';
import { TextField } from './Field';

/** A folder made in the folder shown; `onMade` opens it. */
export function NewFolderForm({ share, folder, onMade }: { share: string; folder: string; onMade(path: string): void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const made = await filesApi.makeFolder(share, folder === '' ? name.trim() : `${folder}/${name.trim()}`);
      setName('');
      onMade(made.path);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} className="flex flex-wrap items-end gap-2">
      <div className="min-w-48 flex-1">
        <TextField label="New folder" value={name} onChange={(event) => setName(event.target.value)} required maxLength={255} error={error ? `${error.message}. ${error.hint}` : undefined} />
      </div>
      <Button type="submit" variant="secondary" busy={busy} disabled={name.trim() === ''}>
        Create folder
      </Button>
    </form>
  );
}
