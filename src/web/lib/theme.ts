/**
 * Light, dark, or as the system says. The choice is kept in this browser
 * (localStorage); index.html applies it before the first paint with the same
 * key and rule, so a dark page never flashes white.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_STORAGE_KEY = 'anemone-theme';

const DARK_QUERY = '(prefers-color-scheme: dark)';

export function storedThemeChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_STORAGE_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    // storage refused (private mode, a policy): follow the system
    return 'system';
  }
}

export function applyTheme(choice: ThemeChoice): void {
  const dark = choice === 'dark' || (choice === 'system' && window.matchMedia(DARK_QUERY).matches);
  document.documentElement.classList.toggle('dark', dark);
}

export function saveThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // not remembered; applied for this page all the same
  }
  applyTheme(choice);
}

/** Follows the system's setting while the choice is `system`; returns the unsubscribe. */
export function followSystemTheme(currentChoice: () => ThemeChoice): () => void {
  const query = window.matchMedia(DARK_QUERY);
  const onChange = () => {
    if (currentChoice() === 'system') applyTheme('system');
  };
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}
