/** Hands the browser a file to save, from bytes the page already holds. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // the download has started once click() returns; the URL is no longer needed after a moment
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveText(text: string, fileName: string): void {
  saveBlob(new Blob([text], { type: 'text/plain;charset=utf-8' }), fileName);
}

/** Copies text to the clipboard; false when the browser refuses (no permission, not HTTPS). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Posts a form into a hidden frame, so the browser downloads the answer
 * itself: streamed to disk with its own progress, never held in the page.
 * An answer that is not a download (an error, JSON) loads into the frame
 * instead, and its text goes to `onError`. The server marks such answers
 * frameable by this origin (src/api/routes/restore.ts).
 */
export function downloadByForm(action: string, fields: Record<string, string>, onError: (text: string) => void): void {
  const name = `download-${crypto.randomUUID()}`;
  const frame = document.createElement('iframe');
  frame.name = name;
  frame.hidden = true;
  document.body.append(frame);
  // listened to after the frame's own about:blank load, which some browsers fire on insertion
  frame.addEventListener('load', () => {
    if (frame.contentWindow?.location.href === 'about:blank') return;
    onError(frame.contentDocument?.body?.textContent ?? '');
    frame.remove();
  });
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  form.target = name;
  form.hidden = true;
  for (const [key, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = key;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
  form.remove();
  // a download never loads the frame: it goes once the download has long started
  setTimeout(() => frame.remove(), 10 * 60_000);
}
