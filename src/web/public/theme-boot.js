/* global localStorage, window, document */
// Runs in <head> before the page is drawn: the dark class is set before the first paint, so a dark page
// never flashes white. Same key and rule as src/web/lib/theme.ts (kept tiny, and not inline for a future CSP).
(function () {
  var choice = null;
  try {
    choice = localStorage.getItem('anemone-theme');
  } catch {
    // storage refused: follow the system
  }
  var dark = choice === 'dark' || (choice !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  if (dark) document.documentElement.classList.add('dark');
})();
