import { useEffect, useId, useState } from 'react';
import type { ShownKey } from '../api/types';
import { saveText } from '../lib/download';
import { userRecoveryKitFileName, userRecoveryKitText } from '../lib/recovery-kit';
import { Button } from './Button';
import { CheckboxField } from './Field';
import { CopyButton } from './CopyButton';
import { Notice } from './Notice';

/**
 * The key in its groups, each kept whole on a line: a printed or copied
 * key breaks only between groups, never inside one.
 */
export function GroupedKey({ grouped, labelledBy, testId }: { grouped: string; labelledBy: string; testId: string }) {
  const groups = grouped.split('-');
  return (
    <output
      aria-labelledby={labelledBy}
      data-testid={testId}
      className="block rounded-md border border-slate-300 bg-slate-50 px-3 py-3 font-mono text-base tracking-wide text-slate-900 select-all sm:text-lg"
    >
      {groups.map((group, index) => (
        <span key={index} className="inline-block whitespace-nowrap">
          {group}
          {index < groups.length - 1 ? '-' : ''}
        </span>
      ))}
    </output>
  );
}

/**
 * The encryption key, shown this once (PRODUCT.md §3): copy it, download it
 * as a recovery kit, and confirm it is saved before leaving. Leaving the
 * page before that asks the browser to warn. The key is shown in groups of
 * characters that cannot be confused on paper; base64, the same key, is one
 * click away (either form is accepted when the key is typed back).
 */
export function KeyReveal({ serverName, username, shownKey, onDone, doneLabel }: { serverName: string; username: string; shownKey: ShownKey; onDone(): void; doneLabel: string }) {
  const [saved, setSaved] = useState(false);
  const keyId = useId();
  const base64Id = useId();

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
        <GroupedKey grouped={shownKey.encryptionKeyGrouped} labelledBy={keyId} testId="encryption-key" />
        <p className="text-xs text-slate-600">13 groups of 4 characters. There is no I, L, O or U, so nothing can be misread on paper; case and dashes do not matter when you type it back.</p>
        <div className="flex flex-wrap items-center gap-2">
          <CopyButton text={shownKey.encryptionKeyGrouped} label="Copy key" />
          <Button
            variant="secondary"
            size="sm"
            onClick={() => saveText(userRecoveryKitText({ serverName, username, key: shownKey }), userRecoveryKitFileName(serverName, username))}
          >
            Download recovery kit
          </Button>
        </div>
        <details className="text-sm text-slate-700">
          <summary className="cursor-pointer">The same key in base64</summary>
          <div className="mt-2 space-y-2">
            <p id={base64Id} className="text-xs text-slate-600">
              For scripts and tools that expect it; either form opens your backups.
            </p>
            <output aria-labelledby={base64Id} data-testid="encryption-key-base64" className="block rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm break-all text-slate-900 select-all">
              {shownKey.encryptionKey}
            </output>
            <CopyButton text={shownKey.encryptionKey} label="Copy base64" />
          </div>
        </details>
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
