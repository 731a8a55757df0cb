/**
 * Certificate fingerprints as people copy them: `AB:CD:…` (what Node's
 * `fingerprint256` and the Settings page show), lowercase, or without colons.
 * Everything is compared in the one canonical form.
 */
const COLON_FORM = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
const BARE_FORM = /^[0-9A-F]{64}$/;

/** The canonical `AB:CD:…` form (32 bytes), or null when `text` is not a SHA-256 fingerprint. */
export function normaliseFingerprint(text: string): string | null {
  const upper = text.trim().toUpperCase();
  if (COLON_FORM.test(upper)) return upper;
  if (BARE_FORM.test(upper)) return upper.match(/../g)!.join(':');
  return null;
}

/** Whether two fingerprints name the same certificate (a fingerprint is public: no constant time needed). */
export function sameFingerprint(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  const left = normaliseFingerprint(a);
  return left !== null && left === normaliseFingerprint(b);
}
