import { type FormEvent, useState } from 'react';
import { authApi } from '../api/client';
import { formLevelError, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { Card } from './Card';
import { NewPasswordFields, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { useFormSubmit } from './useFormSubmit';

/** The signed-in user's own password: the current one, then the new one twice. Other sessions end; the key stays. */
export function ChangePasswordCard() {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState<{ otherSessionsEnded: number }>();
  const { errors, setErrors, apiError, busy, submit: submitForm } = useFormSubmit();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    const found = validate({
      currentPassword: rules.required(currentPassword),
      password: rules.password(newPassword),
      repeat: repeat === newPassword ? undefined : 'The two passwords differ',
    });
    await submitForm(found, async () => {
      setDone(await authApi.changePassword({ currentPassword, newPassword }));
      setCurrentPassword('');
      setNewPassword('');
      setRepeat('');
    });
  };

  const wrongCurrent = apiError?.code === 'CURRENT_PASSWORD_WRONG';
  return (
    <Card title="Change password" labelId="change-password" description="Your files and encryption key stay as they are; you are signed out everywhere else.">
      <form onSubmit={(event) => void submit(event)} noValidate className="max-w-md space-y-4">
        {done && (
          <Notice tone="success" title="Your password is changed.">
            {done.otherSessionsEnded > 0 ? `${done.otherSessionsEnded} other session(s) were signed out.` : 'No other session was open.'}
          </Notice>
        )}
        <ErrorNotice error={wrongCurrent ? undefined : formLevelError(apiError, ['currentPassword', 'newPassword'])} />
        <TextField
          label="Current password"
          name="currentPassword"
          type="password"
          value={currentPassword}
          onChange={(event) => {
            setCurrentPassword(event.target.value);
            if (errors.currentPassword) setErrors({ ...errors, currentPassword: undefined });
          }}
          error={wrongCurrent ? `${apiError.message}. ${apiError.hint}` : errors.currentPassword}
          autoComplete="current-password"
          required
        />
        <NewPasswordFields
          password={newPassword}
          repeat={repeat}
          onPasswordChange={setNewPassword}
          onRepeatChange={setRepeat}
          errors={{ ...errors, password: errors.password ?? errors.newPassword }}
          labels={{ password: 'New password', repeat: 'Repeat the new password' }}
        />
        <Button type="submit" busy={busy}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
