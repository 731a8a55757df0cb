import { type FormEvent, useState } from 'react';
import { setupApi } from '../api/client';
import type { SetupResult } from '../api/types';
import { Button } from '../components/Button';
import { NewPasswordFields, TextField } from '../components/Field';
import { KeyReveal } from '../components/KeyReveal';
import { PublicLayout } from '../components/Layout';
import { ErrorNotice } from '../components/Notice';
import { RebuildForm } from '../components/RebuildForm';
import { useFormSubmit } from '../components/useFormSubmit';
import { formLevelError, rules, validate } from '../lib/validation';

/** First setup: the server's name and its first administrator, then the administrator's key, shown once. */
export function SetupPage({ onDone }: { onDone(): void }) {
  const [serverName, setServerName] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const { errors, apiError, busy, submit: submitForm } = useFormSubmit();
  const [result, setResult] = useState<SetupResult>();
  const [rebuilding, setRebuilding] = useState(false);
  const [rebuilt, setRebuilt] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({
      serverName: rules.serverName(serverName),
      username: rules.username(username),
      password: rules.password(password),
      repeat: repeat === password ? undefined : 'The two passwords differ',
    });
    await submitForm(found, async () => {
      setResult(await setupApi.run({ serverName, username, password }));
    });
  };

  if (result) {
    return (
      <PublicLayout title="Your server is ready" description={`You are signed in as ${result.username}, the administrator of ${result.serverName}.`} wide>
        <KeyReveal serverName={result.serverName} username={result.username} shownKey={result} onDone={onDone} doneLabel="Continue to the dashboard" />
      </PublicLayout>
    );
  }

  if (rebuilding) {
    return (
      <PublicLayout
        title="Rebuild this server from its recovery kit"
        description="After a disaster: bring back this server's name, certificate, accounts, peers and settings from its recovery kit. The files themselves come back afterwards, by a bulk restore from a peer."
        wide
      >
        <div className="space-y-4">
          <RebuildForm onRebuilt={() => setRebuilt(true)} />
          {/* once rebuilt, this server is set up: a new setup would only be refused */}
          {!rebuilt && (
            <Button variant="ghost" size="sm" onClick={() => setRebuilding(false)}>
              ← Set up a new server instead
            </Button>
          )}
        </div>
      </PublicLayout>
    );
  }

  return (
    <PublicLayout title="Set up this server" description="Name this server and create its first administrator. This is done once.">
      <form onSubmit={submit} noValidate className="space-y-4">
        <ErrorNotice error={formLevelError(apiError, ['serverName', 'username', 'password'])} />
        <TextField
          label="Server name"
          name="serverName"
          value={serverName}
          onChange={(event) => setServerName(event.target.value)}
          error={errors.serverName}
          help="How peers will know this server, e.g. home or smith-family. Lowercase letters, digits, - and _."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
        />
        <TextField
          label="Administrator username"
          name="username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          error={errors.username}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
        />
        <NewPasswordFields password={password} repeat={repeat} onPasswordChange={setPassword} onRepeatChange={setRepeat} errors={errors} />
        <Button type="submit" busy={busy} className="w-full">
          Set up the server
        </Button>
      </form>
      <div className="mt-6 border-t border-slate-200 pt-4 text-sm text-slate-700">
        <p>Replacing a server that was lost?</p>
        <Button variant="secondary" className="mt-2 w-full" onClick={() => setRebuilding(true)}>
          Rebuild this server from its recovery kit
        </Button>
      </div>
    </PublicLayout>
  );
}
