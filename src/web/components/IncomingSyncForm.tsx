import { type FormEvent, useState } from 'react';
import { settingsApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { SyncSettings } from '../api/types';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { ConfirmDialog } from './ConfirmDialog';
import { KeepVersionsDaysField, Switch, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';

/** Whether other servers may sync their backups here, and the server password they must give. */
export function IncomingSyncForm({ initial }: { initial: SyncSettings }) {
  const [settings, setSettings] = useState(initial);
  const [accept, setAccept] = useState(initial.acceptIncoming);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [keepDays, setKeepDays] = useState(String(initial.keepVersionsDays));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);

  const save = async (input: { acceptIncoming?: boolean; password?: string | null; keepVersionsDays?: number }) => {
    setBusy(true);
    setApiError(undefined);
    setSaved(false);
    try {
      const next = await settingsApi.saveSync(input);
      setSettings(next);
      setAccept(next.acceptIncoming);
      setKeepDays(String(next.keepVersionsDays));
      setPassword('');
      setRepeat('');
      setSaved(true);
      setConfirmRemove(false);
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      setErrors(apiFieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({
      password: password === '' ? undefined : rules.password(password),
      repeat: password !== '' && repeat !== password ? 'The two passwords differ' : undefined,
      keepVersionsDays: rules.keepVersionsDays(keepDays),
    });
    setErrors(found);
    if (hasErrors(found)) return;
    await save({ acceptIncoming: accept, keepVersionsDays: Number(keepDays), ...(password ? { password } : {}) });
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Incoming syncs">
      <ErrorNotice error={formLevelError(apiError, ['password', 'acceptIncoming', 'keepVersionsDays'])} />
      <Switch
        label="Accept incoming syncs"
        description="Let the servers that list this one as a peer store their encrypted backups here."
        checked={accept}
        onChange={(checked) => {
          setAccept(checked);
          setSaved(false);
        }}
      />
      {accept && !settings.passwordSet && password === '' && (
        <Notice tone="warning">No server password is set: any server that presents a certificate can then sync here. Set one and give it to the peers&apos; administrators.</Notice>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label={settings.passwordSet ? 'New server password' : 'Server password'}
          name="password"
          type="password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={errors.password}
          help={settings.passwordSet ? 'A password is set. Leave empty to keep it.' : 'At least 8 characters. Peers enter it in their peer settings.'}
          autoComplete="new-password"
        />
        <TextField label="Repeat the password" name="repeat" type="password" value={repeat} onChange={(event) => setRepeat(event.target.value)} error={errors.repeat} autoComplete="new-password" />
      </div>
      <div className="max-w-xs">
        <KeepVersionsDaysField
          value={keepDays}
          onChange={setKeepDays}
          error={errors.keepVersionsDays}
          help="How long this server keeps the files the peers replace or delete here, so they can get them back. 0 keeps none (a mirror)."
        />
      </div>
      {saved && <Notice tone="success">Saved.</Notice>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={busy}>
          Save
        </Button>
        {settings.passwordSet && (
          <Button variant="dangerGhost" onClick={() => setConfirmRemove(true)}>
            Remove the password…
          </Button>
        )}
      </div>
      <ConfirmDialog
        open={confirmRemove}
        title="Remove the server password?"
        confirmLabel="Remove password"
        busy={busy}
        error={confirmRemove ? apiError : undefined}
        onConfirm={() => void save({ password: null })}
        onCancel={() => setConfirmRemove(false)}
      >
        <p>Servers that already synced here keep working: they are known by their certificate. A new server could then start syncing here without any password.</p>
      </ConfirmDialog>
    </form>
  );
}
