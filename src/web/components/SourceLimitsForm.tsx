import { type FormEvent, useState } from 'react';
import { incomingApi } from '../api/client';
import type { IncomingSource } from '../api/types';
import { formLevelError, rules } from '../lib/validation';
import { Button } from './Button';
import { KeepVersionsDaysField, TextField } from './Field';
import { ErrorNotice } from './Notice';
import { useFormSubmit } from './useFormSubmit';

/** Quotas are entered in GiB, the binary unit the page shows sizes in (formatBytes). */
const GIB = 1024 ** 3;

function quotaText(maxBytes: number | null): string {
  return maxBytes === null ? '' : String(Number((maxBytes / GIB).toFixed(3)));
}

function quotaError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? undefined : 'Give a size in GiB above 0, or leave empty for no quota';
}

/**
 * One source's own retention and quota. Empty fields go back to the default:
 * this server's retention, and no quota.
 */
export function SourceLimitsForm({ source, serverDays, onSaved, onCancel }: { source: IncomingSource; serverDays: number | undefined; onSaved(source: IncomingSource): void; onCancel(): void }) {
  const [days, setDays] = useState(source.keepVersionsDaysOverride === null ? '' : String(source.keepVersionsDaysOverride));
  const [quota, setQuota] = useState(quotaText(source.maxBytes));
  const { errors, apiError, busy, submit: run } = useFormSubmit();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run({ keepVersionsDays: days.trim() === '' ? undefined : rules.keepVersionsDays(days), maxBytes: quotaError(quota) }, async () => {
      onSaved(
        await incomingApi.setLimits(source.name, {
          keepVersionsDays: days.trim() === '' ? null : Number(days),
          maxBytes: quota.trim() === '' ? null : Math.max(1, Math.round(Number(quota) * GIB)),
        }),
      );
    });
  };

  const defaultDays = serverDays === undefined ? "this server's setting" : `this server's ${serverDays} days`;
  return (
    <form onSubmit={submit} noValidate aria-label={`Limits of ${source.name}`} className="space-y-4 rounded-md border border-slate-200 bg-slate-50 p-3">
      <ErrorNotice error={formLevelError(apiError, ['keepVersionsDays', 'maxBytes'])} />
      <div className="grid gap-4 sm:grid-cols-2">
        <KeepVersionsDaysField value={days} onChange={setDays} error={errors.keepVersionsDays} help={`Empty: ${defaultDays}. 0 keeps no history for this source.`} />
        <TextField
          label="Quota (GiB)"
          name="maxBytes"
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          value={quota}
          onChange={(event) => setQuota(event.target.value)}
          error={errors.maxBytes}
          help="Current files and old versions together. Past it, new data is refused; history is never dropped early. Empty: no quota."
        />
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" size="sm" busy={busy}>
          Save limits
        </Button>
        <Button size="sm" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
