import { useEffect, useId, useState } from 'react';
import { saveText } from '../lib/download';
import { userRecoveryKitFileName, userRecoveryKitText } from '../lib/recovery-kit';
import { Button } from './Button';
import { CheckboxField } from './Field';
import { CopyButton } from './CopyButton';
import { Notice } from './Notice';

/**
 * The encryption key, shown this once (PRODUCT.md §3): copy it, download it
 * as a recovery kit, and confirm it is saved before leaving. Leaving the
 * page before that asks the browser to warn.
 */
export function KeyReveal({ serverName, username, encryptionKey, onDone, doneLabel }: { serverName: string; username: string; encryptionKey: string; onDone(): void; doneLabel: string }) {
  const [saved, setSaved] = useState(false);
  const keyId = useId();

  useEffect(() => {
    if (saved) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [saved]);

  return (
    <div className="space-y-5">
      <Notice tone="warning" title="Save your encryption key now — it is shown only once">
        It is the only way to decrypt your backups. Nobody can recover it for you, not even the administrator.
      </Notice>
      <div className="space-y-2">
        <p id={keyId} className="text-sm font-medium text-slate-800">
          Encryption key for {username}
        </p>
        <output
          aria-labelledby={keyId}
          data-testid="encryption-key"
          className="block rounded-md border border-slate-300 bg-slate-50 px-3 py-3 font-mono text-sm break-all text-slate-900 select-all"
        >
          {encryptionKey}
        </output>
        <div className="flex flex-wrap items-center gap-2">
          <CopyButton text={encryptionKey} label="Copy key" />
          <Button
            variant="secondary"
            size="sm"
            onClick={() => saveText(userRecoveryKitText({ serverName, username, key: encryptionKey }), userRecoveryKitFileName(serverName, username))}
          >
            Download recovery kit
          </Button>
        </div>
      </div>
      <CheckboxField
        label="I have saved my key somewhere safe"
        description="In a password manager, or printed. Not only on this server."
        checked={saved}
        onChange={(event) => setSaved(event.target.checked)}
      />
      <Button onClick={onDone} disabled={!saved} className="w-full sm:w-auto">
        {doneLabel}
      </Button>
    </div>
  );
}
