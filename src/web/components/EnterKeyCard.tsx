import { type FormEvent, useState } from 'react';
import { restoreApi } from '../api/client';
import type { KeyEntered } from '../api/types';
import { useLoad } from '../lib/hooks';
import { formLevelError, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { Card } from './Card';
import { TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { useFormSubmit } from './useFormSubmit';

/**
 * After the server was rebuilt without this user's key: an administrator
 * marked the account as awaiting it, and the user pastes the key they kept.
 * Shows nothing otherwise.
 */
export function EnterKeyCard() {
  const status = useLoad(restoreApi.keyStatus);
  const [encryptionKey, setEncryptionKey] = useState('');
  const { errors, apiError, busy, submit: submitForm } = useFormSubmit();
  const [entered, setEntered] = useState<KeyEntered>();

  if (entered) {
    return (
      <Notice tone="success" title="Your key is back on this server.">
        {entered.verifiedOn.length > 0 && <p>It matches your backups on {entered.verifiedOn.join(', ')}.</p>}
        {entered.unreachable.length > 0 && <p>Not checked against {entered.unreachable.join(', ')}: unreachable for now.</p>}
        <p>You can restore your files from Restore.</p>
      </Notice>
    );
  }
  if (!status.data?.awaitingKey) return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ encryptionKey: rules.required(encryptionKey) });
    await submitForm(found, async () => {
      setEntered(await restoreApi.enterKey(encryptionKey.trim()));
      setEncryptionKey('');
    });
  };

  return (
    <Card
      title="Enter your encryption key"
      labelId="enter-key"
      description="This server was rebuilt and no longer has your key. Paste the key you kept when your account was activated, so your backups can be decrypted again."
      className="mb-6 border-amber-300"
    >
      <form onSubmit={(event) => void submit(event)} noValidate className="space-y-4">
        <ErrorNotice error={formLevelError(apiError, ['encryptionKey'])} />
        <TextField
          label="Your encryption key"
          name="encryptionKey"
          value={encryptionKey}
          onChange={(event) => setEncryptionKey(event.target.value)}
          error={errors.encryptionKey}
          help="As you saved it: printed, in a password manager, or in the downloaded key file."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          className="font-mono"
        />
        <Button type="submit" busy={busy}>
          Use this key
        </Button>
      </form>
    </Card>
  );
}
