import { type FormEvent, useState } from 'react';
import { authApi } from '../api/client';
import type { ActivationResult, Me } from '../api/types';
import { Button } from '../components/Button';
import { NewPasswordFields } from '../components/Field';
import { KeyReveal } from '../components/KeyReveal';
import { PublicLayout } from '../components/Layout';
import { ErrorNotice, Notice } from '../components/Notice';
import { useFormSubmit } from '../components/useFormSubmit';
import { useRouter } from '../lib/router';
import { formLevelError, rules, validate } from '../lib/validation';

/**
 * Account activation, from the link an administrator copied
 * (`/activate?token=…`): choose a password, then keep the key shown once.
 * The same link, issued again to an active user, resets their password:
 * the key stays and is not shown again.
 * The new user is signed in straight after, which also tells the page the
 * server's name for the recovery kit.
 */
export function ActivatePage({ onDone }: { onDone(me: Me | undefined): void }) {
  const { location } = useRouter();
  const token = location.query.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const { errors, apiError, busy, submit: submitForm } = useFormSubmit();
  const [result, setResult] = useState<ActivationResult>();
  const [me, setMe] = useState<Me>();

  if (!token) {
    return (
      <PublicLayout title="Activate your account">
        <Notice tone="error" title="This activation link is incomplete">
          Open the whole link your administrator sent you; it ends with <code>?token=</code> and a long code.
        </Notice>
      </PublicLayout>
    );
  }

  if (result?.keyUnchanged) {
    return (
      <PublicLayout title="Your new password is set" description={`Welcome back, ${result.username}.`}>
        <div className="space-y-5">
          <Notice tone="success" title="Your files and your encryption key are unchanged">
            Keep using the key you saved when your account was first activated; it still opens your backups. You were signed out everywhere else.
          </Notice>
          <Button onClick={() => onDone(me)} className="w-full">
            {me ? 'Continue to my backup' : 'Continue to sign in'}
          </Button>
        </div>
      </PublicLayout>
    );
  }

  if (result) {
    return (
      <PublicLayout title="Your account is active" description={`Welcome, ${result.username}. One last step: keep your encryption key.`} wide>
        <KeyReveal
          serverName={me?.serverName ?? window.location.hostname}
          username={result.username}
          shownKey={result}
          onDone={() => onDone(me)}
          doneLabel={me ? 'Continue to my backup' : 'Continue to sign in'}
        />
      </PublicLayout>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ password: rules.password(password), repeat: repeat === password ? undefined : 'The two passwords differ' });
    await submitForm(found, async () => {
      const activated = await authApi.activate({ token, password });
      // signing in is a convenience: when it fails, the user signs in by hand after saving the key
      const session = await authApi.login({ username: activated.username, password, remember: false }).catch(() => undefined);
      setMe(session?.user);
      setResult(activated);
    });
  };

  return (
    <PublicLayout
      title="Activate your account"
      description="Choose the password you will sign in with. A new account gets its encryption key next; an account that is already active keeps its files and key."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        <ErrorNotice error={formLevelError(apiError, ['password'])} />
        <NewPasswordFields password={password} repeat={repeat} onPasswordChange={setPassword} onRepeatChange={setRepeat} errors={errors} autoFocus />
        <Button type="submit" busy={busy} className="w-full">
          Set my password
        </Button>
      </form>
    </PublicLayout>
  );
}
