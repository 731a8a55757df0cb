import { type FormEvent, useId, useState } from 'react';
import { syncApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { Schedule, ScheduleMode, ScheduleView } from '../api/types';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { SelectField, Switch, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { AbsoluteTime, RelativeTime } from './Time';

/** Exactly the choices of PRODUCT.md §5 (typed by the server's schedule schema: a choice it refuses does not compile). */
export const INTERVALS: { minutes: Schedule['intervalMinutes']; label: string }[] = [
  { minutes: 15, label: 'Every 15 minutes' },
  { minutes: 30, label: 'Every 30 minutes' },
  { minutes: 60, label: 'Every hour' },
  { minutes: 120, label: 'Every 2 hours' },
  { minutes: 240, label: 'Every 4 hours' },
  { minutes: 480, label: 'Every 8 hours' },
  { minutes: 720, label: 'Every 12 hours' },
  { minutes: 1440, label: 'Every 24 hours' },
];

const MODES: { mode: ScheduleMode; label: string; description: string }[] = [
  { mode: 'interval', label: 'Interval', description: 'Every few minutes or hours' },
  { mode: 'daily', label: 'Daily', description: 'Every day at a set time' },
  { mode: 'weekly', label: 'Weekly', description: 'One day a week' },
  { mode: 'monthly', label: 'Monthly', description: 'One day a month' },
];

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const DAYS_OF_MONTH = Array.from({ length: 28 }, (_, index) => index + 1);

function ordinal(day: number): string {
  const suffix = day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
  return `${day}${suffix}`;
}

/** The schedule in one sentence: "Every Monday at 02:00". */
export function describeSchedule(schedule: Schedule): string {
  if (!schedule.enabled) return 'Automatic sync is off';
  switch (schedule.mode) {
    case 'interval':
      return INTERVALS.find((interval) => interval.minutes === schedule.intervalMinutes)?.label ?? `Every ${schedule.intervalMinutes} minutes`;
    case 'daily':
      return `Every day at ${schedule.time}`;
    case 'weekly':
      return `Every ${WEEKDAYS[schedule.dayOfWeek] ?? '?'} at ${schedule.time}`;
    case 'monthly':
      return `On the ${ordinal(schedule.dayOfMonth)} of every month at ${schedule.time}`;
  }
}

function scheduleOf(view: ScheduleView): Schedule {
  const { enabled, mode, intervalMinutes, time, dayOfWeek, dayOfMonth } = view;
  return { enabled, mode, intervalMinutes, time, dayOfWeek, dayOfMonth };
}

/** Automatic sync: on or off, one of the four modes with its options, and the next run it gives. */
export function ScheduleForm({ initial }: { initial: ScheduleView }) {
  const [saved, setSaved] = useState(initial);
  const [form, setForm] = useState<Schedule>(() => scheduleOf(initial));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const modeLegend = useId();

  const set = <K extends keyof Schedule>(key: K, value: Schedule[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setJustSaved(false);
  };
  const changed = JSON.stringify(form) !== JSON.stringify(scheduleOf(saved));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ time: form.mode === 'interval' ? undefined : rules.time(form.time) });
    setErrors(found);
    setApiError(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const view = await syncApi.saveConfig(form);
      setSaved(view);
      setForm(scheduleOf(view));
      setJustSaved(true);
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      setErrors(apiFieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-5" aria-label="Automatic sync schedule">
      <ErrorNotice error={formLevelError(apiError, ['mode', 'intervalMinutes', 'time', 'dayOfWeek', 'dayOfMonth'])} />
      <Switch label="Automatic sync" description="Sync every backup share to every enabled peer on a schedule." checked={form.enabled} onChange={(checked) => set('enabled', checked)} />
      <fieldset disabled={!form.enabled} className="space-y-4 disabled:opacity-60">
        <legend id={modeLegend} className="text-sm font-medium text-slate-800">
          When
        </legend>
        <div className="grid grid-cols-2 gap-2 lg:grid-cols-4" role="radiogroup" aria-labelledby={modeLegend}>
          {MODES.map((option) => (
            <label
              key={option.mode}
              className={`flex cursor-pointer flex-col rounded-md border px-3 py-2 text-sm has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-teal-600 ${
                form.mode === option.mode ? 'border-teal-700 bg-teal-50 ring-1 ring-teal-700' : 'border-slate-300 bg-white hover:bg-slate-50'
              }`}
            >
              <input type="radio" name="mode" value={option.mode} checked={form.mode === option.mode} onChange={() => set('mode', option.mode)} className="sr-only" />
              <span className="font-medium text-slate-900">{option.label}</span>
              <span className="text-xs text-slate-600">{option.description}</span>
            </label>
          ))}
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          {form.mode === 'interval' && (
            <SelectField label="Interval" name="intervalMinutes" value={form.intervalMinutes} onChange={(event) => set('intervalMinutes', INTERVALS.find((interval) => String(interval.minutes) === event.target.value)?.minutes ?? form.intervalMinutes)} error={errors.intervalMinutes}>
              {INTERVALS.map((interval) => (
                <option key={interval.minutes} value={interval.minutes}>
                  {interval.label}
                </option>
              ))}
            </SelectField>
          )}
          {form.mode === 'weekly' && (
            <SelectField label="Day of the week" name="dayOfWeek" value={form.dayOfWeek} onChange={(event) => set('dayOfWeek', Number(event.target.value))} error={errors.dayOfWeek}>
              {WEEKDAYS.map((day, index) => (
                <option key={day} value={index}>
                  {day}
                </option>
              ))}
            </SelectField>
          )}
          {form.mode === 'monthly' && (
            <SelectField
              label="Day of the month"
              name="dayOfMonth"
              value={form.dayOfMonth}
              onChange={(event) => set('dayOfMonth', Number(event.target.value))}
              error={errors.dayOfMonth}
              help="1 to 28, so that every month has the day."
            >
              {DAYS_OF_MONTH.map((day) => (
                <option key={day} value={day}>
                  {ordinal(day)}
                </option>
              ))}
            </SelectField>
          )}
          {form.mode !== 'interval' && (
            <TextField
              label="Time"
              name="time"
              type="time"
              value={form.time}
              onChange={(event) => set('time', event.target.value)}
              error={errors.time}
              help={`In the server's time zone (${saved.timeZone}).`}
              required
            />
          )}
        </div>
      </fieldset>
      <div className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="next-run">
        <p className="text-slate-800">
          <span className="font-medium">{describeSchedule(scheduleOf(saved))}.</span>{' '}
          {saved.enabled && (
            <>
              Next run: <span className="font-medium"><AbsoluteTime iso={saved.nextRunAt} never="not planned" timeZone={saved.timeZone} /></span>
              {saved.nextRunAt && (
                <>
                  {' '}
                  (<RelativeTime iso={saved.nextRunAt} />)
                </>
              )}
              .
            </>
          )}
        </p>
        <p className="mt-0.5 text-xs text-slate-600">
          Server time zone: {saved.timeZone}. Last scheduled run: <RelativeTime iso={saved.lastRunAt} never="none yet" />.
        </p>
      </div>
      {justSaved && !changed && <Notice tone="success">Schedule saved.</Notice>}
      <Button type="submit" busy={busy} disabled={!changed}>
        Save schedule
      </Button>
    </form>
  );
}
