/** The history's days are UTC days, as the server keys them (docs/sync-history.md). */

/** Every UTC day from `since` to `until`, YYYY-MM-DD, oldest first. */
export function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  for (let day = new Date(`${since}T00:00:00Z`); day.toISOString().slice(0, 10) <= until; day.setUTCDate(day.getUTCDate() + 1)) {
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

/** Today's UTC day, YYYY-MM-DD. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}
