import { useId } from 'react';
import { browserZoneLabel, formatUtc, instantOfLocalInput, localInputValue } from '../lib/local-time';
import { TextField } from './Field';

/**
 * What Admin restore puts back: the latest backup, or each share as it was
 * at a time (the peer's latest snapshot at or before it). The time is typed
 * in the browser's zone, which the help names with the UTC equivalent.
 */
export function AsOfField({
  asOf,
  onAsOfChange,
  value,
  onChange,
  error,
}: {
  asOf: boolean;
  onAsOfChange(asOf: boolean): void;
  /** The `datetime-local` value. */
  value: string;
  onChange(value: string): void;
  error?: string | undefined;
}) {
  const name = useId();
  const instant = instantOfLocalInput(value);
  const zone = browserZoneLabel(instant === undefined ? new Date() : new Date(instant));
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-800">What to restore</legend>
      <label className="flex items-start gap-2 text-sm text-slate-900">
        <input type="radio" name={name} className="mt-0.5 size-4 accent-teal-700" checked={!asOf} onChange={() => onAsOfChange(false)} />
        The latest backup
      </label>
      <label className="flex items-start gap-2 text-sm text-slate-900">
        <input type="radio" name={name} className="mt-0.5 size-4 accent-teal-700" checked={asOf} onChange={() => onAsOfChange(true)} />
        <span>
          As it was at a time <span className="text-slate-600">— after ransomware or a mistake that was synced</span>
        </span>
      </label>
      {asOf && (
        <TextField
          label="As of"
          name="at"
          type="datetime-local"
          step={1}
          max={localInputValue(new Date())}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          error={error}
          help={
            <>
              In this browser&apos;s time zone, {zone}
              {instant && <>: {formatUtc(instant)}</>}. Each share comes back as the peer&apos;s latest snapshot at or before this time; files made since are left in place and
              listed.
            </>
          }
        />
      )}
    </fieldset>
  );
}
