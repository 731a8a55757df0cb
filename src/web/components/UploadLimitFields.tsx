import type { UploadWindow, UploadWindowMode, Weekday } from '../api/types';
import { Button } from './Button';
import { SelectField, TextField } from './Field';

const DAYS: { day: Weekday; label: string }[] = [
  { day: 'mon', label: 'Mon' },
  { day: 'tue', label: 'Tue' },
  { day: 'wed', label: 'Wed' },
  { day: 'thu', label: 'Thu' },
  { day: 'fri', label: 'Fri' },
  { day: 'sat', label: 'Sat' },
  { day: 'sun', label: 'Sun' },
];

/** A window as the form edits it: the limit as typed. */
export interface WindowDraft {
  days: Weekday[];
  start: string;
  end: string;
  mode: UploadWindowMode;
  limitKiBps: string;
}

export function toDrafts(windows: readonly UploadWindow[]): WindowDraft[] {
  return windows.map((window) => ({ ...window, limitKiBps: window.limitKiBps === undefined ? '' : String(window.limitKiBps) }));
}

export function fromDrafts(drafts: readonly WindowDraft[]): UploadWindow[] {
  return drafts.map(({ limitKiBps, ...window }) => (window.mode === 'limit' ? { ...window, limitKiBps: Number(limitKiBps) } : window));
}

/** The form's checks, in the API's words; keys are the API's field paths (`uploadWindows.0.limitKiBps`). */
export function uploadLimitProblems(limitKiBps: string, drafts: readonly WindowDraft[]): Record<string, string> {
  const problems: Record<string, string> = {};
  const badLimit = (text: string) => !/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 10_000_000;
  if (limitKiBps.trim() !== '' && badLimit(limitKiBps)) problems.uploadLimitKiBps = 'Use 1 to 10000000 KiB/s, or leave empty for no limit';
  drafts.forEach((draft, index) => {
    if (draft.days.length === 0) problems[`uploadWindows.${index}.days`] = 'Choose at least one day';
    if (draft.start === draft.end) problems[`uploadWindows.${index}.end`] = 'The window must end at another time than it starts';
    if (draft.mode === 'limit' && badLimit(draft.limitKiBps)) problems[`uploadWindows.${index}.limitKiBps`] = 'Give the limit in KiB/s for a "limit" window';
  });
  return problems;
}

const NEW_WINDOW: WindowDraft = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '23:00', mode: 'limit', limitKiBps: '1024' };

/**
 * The upload limit of a peer: a base limit and a weekly timetable whose
 * first matching window wins (server's local time), as the API takes them.
 */
export function UploadLimitFields({
  limitKiBps,
  windows,
  errors,
  onLimitChange,
  onWindowsChange,
}: {
  limitKiBps: string;
  windows: WindowDraft[];
  errors: Partial<Record<string, string>>;
  onLimitChange(value: string): void;
  onWindowsChange(windows: WindowDraft[]): void;
}) {
  const change = (index: number, patch: Partial<WindowDraft>) => onWindowsChange(windows.map((window, at) => (at === index ? { ...window, ...patch } : window)));
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-800">Upload limit</legend>
      <TextField
        label="Limit (KiB/s)"
        name="uploadLimitKiBps"
        type="number"
        inputMode="numeric"
        min={1}
        value={limitKiBps}
        onChange={(event) => onLimitChange(event.target.value)}
        error={errors.uploadLimitKiBps}
        help="Empty: no limit. 1024 KiB/s is about 8 Mbit/s. Applies outside the windows below."
      />
      {windows.map((window, index) => (
        <div key={index} className="space-y-2 rounded-md bg-slate-50 p-2" data-testid="upload-window">
          <div className="flex flex-wrap gap-2" role="group" aria-label={`Days of window ${index + 1}`}>
            {DAYS.map(({ day, label }) => (
              <label key={day} className="flex items-center gap-1 text-sm text-slate-800">
                <input
                  type="checkbox"
                  checked={window.days.includes(day)}
                  onChange={(event) => change(index, { days: event.target.checked ? [...window.days, day] : window.days.filter((other) => other !== day) })}
                />
                {label}
              </label>
            ))}
          </div>
          {errors[`uploadWindows.${index}.days`] && <p className="text-sm text-red-700">{errors[`uploadWindows.${index}.days`]}</p>}
          <div className="grid gap-2 sm:grid-cols-4">
            <TextField label="From" type="time" value={window.start} onChange={(event) => change(index, { start: event.target.value })} error={errors[`uploadWindows.${index}.start`]} />
            <TextField label="To" type="time" value={window.end} onChange={(event) => change(index, { end: event.target.value })} error={errors[`uploadWindows.${index}.end`]} />
            <SelectField label="Uploads" value={window.mode} onChange={(event) => change(index, { mode: event.target.value as UploadWindowMode })}>
              <option value="limit">Limited</option>
              <option value="unlimited">Unlimited</option>
              <option value="paused">Paused</option>
            </SelectField>
            {window.mode === 'limit' && (
              <TextField
                label="KiB/s"
                type="number"
                inputMode="numeric"
                min={1}
                value={window.limitKiBps}
                onChange={(event) => change(index, { limitKiBps: event.target.value })}
                error={errors[`uploadWindows.${index}.limitKiBps`]}
              />
            )}
          </div>
          <Button variant="ghost" onClick={() => onWindowsChange(windows.filter((_, at) => at !== index))}>
            Remove this window
          </Button>
        </div>
      ))}
      <p className="text-xs text-slate-600">Times are the server's local time; a window whose end is earlier than its start runs past midnight. The first window that covers a moment decides.</p>
      <Button variant="secondary" onClick={() => onWindowsChange([...windows, { ...NEW_WINDOW }])}>
        Add a time window
      </Button>
    </fieldset>
  );
}
