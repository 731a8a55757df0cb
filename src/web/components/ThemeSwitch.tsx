import { useEffect, useState } from 'react';
import { followSystemTheme, saveThemeChoice, storedThemeChoice, type ThemeChoice } from '../lib/theme';

const CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** System, light or dark: three radio buttons drawn as one segmented control. */
export function ThemeSwitch() {
  const [choice, setChoice] = useState<ThemeChoice>(storedThemeChoice);
  useEffect(() => followSystemTheme(() => storedThemeChoice()), []);

  return (
    <fieldset className="space-y-1">
      <legend className="px-3 pb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">Appearance</legend>
      <div className="flex rounded-md p-0.5 ring-1 ring-slate-300 ring-inset">
        {CHOICES.map((option) => (
          <label
            key={option.value}
            className={`flex-1 cursor-pointer rounded px-2 py-1 text-center text-xs font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-teal-600 ${
              choice === option.value ? 'bg-teal-50 text-teal-900' : 'text-slate-700 hover:bg-slate-100'
            }`}
          >
            <input
              type="radio"
              name="theme"
              value={option.value}
              checked={choice === option.value}
              onChange={() => {
                setChoice(option.value);
                saveThemeChoice(option.value);
              }}
              className="sr-only"
            />
            {option.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
