import { type FormEvent, useState } from 'react';
import { settingsApi } from '../api/client';
import type { ApiError } from '../api/http';
import { saveBlob } from '../lib/download';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, validate } from '../lib/validation';
import { Button } from './Button';
import { TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';

/** The server's own recovery kit has its own rule: a longer passphrase, since it is all that protects the kit. */
const MIN_PASSPHRASE_LENGTH = 12;

/** Downloads the server recovery kit (PRODUCT.md §7), sealed with a passphrase the administrator chooses. */
export function RecoveryKitForm({ serverName, onMade }: { serverName: string; onMade(): void }) {
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({
      passphrase: [...passphrase].length < MIN_PASSPHRASE_LENGTH ? `Use at least ${MIN_PASSPHRASE_LENGTH} characters` : undefined,
      repeat: repeat !== passphrase ? 'The two passphrases differ' : undefined,
    });
    setErrors(found);
    setApiError(undefined);
    setDone(false);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const kit = await settingsApi.recoveryKit(passphrase);
      saveBlob(kit.blob, kit.fileName ?? `anemone-server-recovery-kit-${serverName}.kit`);
      setPassphrase('');
      setRepeat('');
      setDone(true);
      onMade();
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      const fields = apiFieldErrors(error);
      // the service's own length check names no field: it is the passphrase's
      if (error.code === 'VALIDATION_FAILED' && error.fields.length === 0) fields.passphrase = error.message;
      setErrors(fields);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Server recovery kit">
      <p className="text-sm text-slate-700">
        The kit holds this server&apos;s identity, its master key, the users with their wrapped keys and the peers. With it, a fresh install becomes this server again and
        restores everyone. Keep it off this server, with the passphrase somewhere else.
      </p>
      <ErrorNotice error={errors.passphrase ? undefined : formLevelError(apiError, ['passphrase'])} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Passphrase"
          name="passphrase"
          type="password"
          value={passphrase}
          onChange={(event) => setPassphrase(event.target.value)}
          error={errors.passphrase}
          help={`At least ${MIN_PASSPHRASE_LENGTH} characters; a few unrelated words work well.`}
          autoComplete="new-password"
        />
        <TextField label="Repeat the passphrase" name="repeatPassphrase" type="password" value={repeat} onChange={(event) => setRepeat(event.target.value)} error={errors.repeat} autoComplete="new-password" />
      </div>
      {done && <Notice tone="success">The recovery kit was downloaded. Store it and its passphrase in two different safe places.</Notice>}
      <Button type="submit" busy={busy}>
        Download recovery kit
      </Button>
    </form>
  );
}
