import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, useId } from 'react';
import type { FieldErrors } from '../lib/validation';

const inputClass = (invalid: boolean) =>
  `block w-full rounded-md border bg-white px-3 py-2 text-sm text-slate-900 shadow-xs placeholder:text-slate-400 focus:outline-2 focus:outline-offset-0 ${
    invalid ? 'border-red-600 focus:outline-red-600' : 'border-slate-300 focus:outline-teal-600'
  } disabled:bg-slate-100 disabled:text-slate-500`;

interface FieldFrameProps {
  label: string;
  /** Shown under the field, in red, and announced: the API's message for this field. */
  error?: string | undefined;
  help?: ReactNode;
}

function FieldFrame({ id, label, error, help, children }: FieldFrameProps & { id: string; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {help && !error && (
        <p id={`${id}-help`} className="text-xs text-slate-600">
          {help}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A labelled input with its help text and, when the API refused it, its error right below. */
export function TextField({ label, error, help, className = '', ...input }: FieldFrameProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} error={error} help={help}>
      <input
        id={id}
        className={`${inputClass(Boolean(error))} ${className}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : help ? `${id}-help` : undefined}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({
  label,
  error,
  help,
  children,
  ...select
}: FieldFrameProps & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} error={error} help={help}>
      <select
        id={id}
        className={inputClass(Boolean(error))}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : help ? `${id}-help` : undefined}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}

/** A checkbox with its label beside it, and an optional line of explanation. */
export function CheckboxField({
  label,
  description,
  error,
  ...input
}: { label: string; description?: ReactNode; error?: string | undefined } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const id = useId();
  return (
    <div className="space-y-1">
      <div className="flex items-start gap-3">
        <input
          id={id}
          type="checkbox"
          className="mt-0.5 size-4 shrink-0 rounded border-slate-400 accent-teal-700"
          aria-describedby={description ? `${id}-description` : undefined}
          aria-invalid={error ? true : undefined}
          {...input}
        />
        <div>
          <label htmlFor={id} className="text-sm font-medium text-slate-800">
            {label}
          </label>
          {description && (
            <p id={`${id}-description`} className="text-xs text-slate-600">
              {description}
            </p>
          )}
        </div>
      </div>
      {error && (
        <p className="text-sm text-red-700" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** An on/off switch (a checkbox underneath, so keyboards and screen readers know it). */
export function Switch({ label, checked, onChange, description }: { label: string; checked: boolean; onChange(checked: boolean): void; description?: ReactNode }) {
  const id = useId();
  return (
    <div className="flex items-start justify-between gap-4">
      <div>
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
        {description && <p className="text-xs text-slate-600">{description}</p>}
      </div>
      <span className="relative inline-flex shrink-0">
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          className="peer absolute inset-0 z-10 size-full cursor-pointer opacity-0"
        />
        <span
          aria-hidden="true"
          className="h-6 w-11 rounded-full bg-slate-300 transition-colors peer-checked:bg-teal-700 peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-teal-600"
        />
        <span aria-hidden="true" className="absolute top-0.5 left-0.5 size-5 rounded-full bg-white shadow transition-transform peer-checked:translate-x-5" />
      </span>
    </div>
  );
}

/** A new password and its repeat, as chosen at setup, at activation and when changing it. */
export function NewPasswordFields({
  password,
  repeat,
  onPasswordChange,
  onRepeatChange,
  errors,
  autoFocus,
  labels = { password: 'Password', repeat: 'Repeat the password' },
}: {
  password: string;
  repeat: string;
  onPasswordChange(value: string): void;
  onRepeatChange(value: string): void;
  errors: FieldErrors;
  autoFocus?: boolean;
  labels?: { password: string; repeat: string };
}) {
  return (
    <>
      <TextField
        label={labels.password}
        name="password"
        type="password"
        value={password}
        onChange={(event) => onPasswordChange(event.target.value)}
        error={errors.password}
        help="At least 8 characters; a long passphrase is best."
        autoComplete="new-password"
        required
        autoFocus={autoFocus}
      />
      <TextField
        label={labels.repeat}
        name="repeat"
        type="password"
        value={repeat}
        onChange={(event) => onRepeatChange(event.target.value)}
        error={errors.repeat}
        autoComplete="new-password"
        required
      />
    </>
  );
}

/** Days of history a peer keeps (0 to 3650), for the server's setting and a source's own. */
export function KeepVersionsDaysField({ value, onChange, error, help }: { value: string; onChange(value: string): void; error?: string | undefined; help: string }) {
  return (
    <TextField
      label="Keep old versions for (days)"
      name="keepVersionsDays"
      type="number"
      inputMode="numeric"
      min={0}
      max={3650}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      error={error}
      help={help}
    />
  );
}
