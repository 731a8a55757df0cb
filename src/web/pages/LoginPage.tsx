import { type FormEvent, useState } from 'react';
import { authApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { Me } from '../api/types';
import { Button } from '../components/Button';
import { CheckboxField, TextField } from '../components/Field';
import { PublicLayout } from '../components/Layout';
import { ErrorNotice } from '../components/Notice';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, rules, validate } from '../lib/validation';

export function LoginPage({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ username: rules.required(username), password: rules.required(password) });
    setErrors(found);
    setApiError(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      onSignedIn((await authApi.login({ username: username.trim(), password, remember })).user);
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      setErrors(apiFieldErrors(error));
      setBusy(false);
    }
  };

  return (
    <PublicLayout title="Sign in">
      <form onSubmit={submit} noValidate className="space-y-4">
        <ErrorNotice error={formLevelError(apiError, ['username', 'password'])} />
        <TextField
          label="Username"
          name="username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          error={errors.username}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={errors.password}
          autoComplete="current-password"
          required
        />
        <CheckboxField label="Keep me signed in for 30 days" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
        <Button type="submit" busy={busy} className="w-full">
          Sign in
        </Button>
        <p className="text-sm text-slate-600">
          <strong className="font-medium text-slate-800">Forgot your password?</strong> Ask your administrator for a new activation link (Users → New link). With it you
          choose a new password; your files and encryption key stay as they are.
        </p>
      </form>
    </PublicLayout>
  );
}
