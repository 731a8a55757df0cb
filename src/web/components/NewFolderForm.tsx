import { type FormEvent, useState } from 'react';
import { filesApi } from '../api/client';
import { Button } from './Button';
import { TextField } from './Field';
import { useFormSubmit } from './useFormSubmit';

/** A folder made in the folder shown; `onMade` opens it. */
export function NewFolderForm({ share, folder, onMade }: { share: string; folder: string; onMade(path: string): void }) {
  const [name, setName] = useState('');
  const form = useFormSubmit();

  function submit(event: FormEvent) {
    event.preventDefault();
    void form.submit({}, async () => {
      const made = await filesApi.makeFolder(share, folder === '' ? name.trim() : `${folder}/${name.trim()}`);
      setName('');
      onMade(made.path);
    });
  }

  const error = form.apiError ? `${form.apiError.message}. ${form.apiError.hint}` : undefined;
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2">
      <div className="min-w-48 flex-1">
        <TextField label="New folder" value={name} onChange={(event) => setName(event.target.value)} required maxLength={255} error={error} />
      </div>
      <Button type="submit" variant="secondary" busy={form.busy} disabled={name.trim() === ''}>
        Create folder
      </Button>
    </form>
  );
}
