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

  if (result) {
    return (
      <PublicLayout title="Your account is active" description={`Welcome, ${result.username}. One last step: keep your encryption key.`} wide>
        <KeyReveal
          serverName={me?.serverName ?? window.location.hostname}
          username={result.username}
          encryptionKey={result.encryptionKey}
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
    <PublicLayout title="Activate your account" description="Choose the password you will sign in with. Your encryption key is made next.">
      <form onSubmit={submit} noValidate className="space-y-4">
        <ErrorNotice error={formLevelError(apiError, ['password'])} />
        <NewPasswordFields password={password} repeat={repeat} onPasswordChange={setPassword} onRepeatChange={setRepeat} errors={errors} autoFocus />
        <Button type="submit" busy={busy} className="w-full">
          Activate my account
        </Button>
      </form>
    </PublicLayout>
  );
}
