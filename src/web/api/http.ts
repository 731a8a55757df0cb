/**
 * The transport under the typed client: JSON in and out, the session cookie
 * sent by the browser, and every failure turned into an `ApiError` that
 * carries what the API said (code, message, hint, and the fields at fault).
 */

export interface FieldError {
  /** The field's path in the request body, dotted (`port`, `paths.0`). */
  path: string;
  message: string;
}

/** The API's error body: `{error: {code, message, hint, fields?}}`. */
export interface ApiErrorBody {
  error: { code: string; message: string; hint: string; fields?: FieldError[] };
}

/** An error a person can read: never a stack, always what to do. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string;
  readonly fields: FieldError[];

  constructor(status: number, body: ApiErrorBody['error']) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.fields = body.fields ?? [];
  }

  /** The message for one field, for showing it next to that field. */
  fieldMessage(path: string): string | undefined {
    return this.fields.find((field) => field.path === path)?.message;
  }
}

/** Fired on window when the API says the session is gone. */
export const SIGNED_OUT_EVENT = 'anemone:signed-out';

const UNREACHABLE = {
  code: 'NETWORK',
  message: 'The server could not be reached',
  hint: 'Check that the Anemone server is running and your connection works, then try again.',
};

function isErrorBody(value: unknown): value is ApiErrorBody {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** The ApiError for a response that is not ok, whatever its body. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isErrorBody(body)) return new ApiError(response.status, { ...body.error, hint: body.error.hint ?? '' });
  } catch {
    // not JSON: a proxy's page, say; described below without its content
  }
  return new ApiError(response.status, {
    code: `HTTP_${response.status}`,
    message: `The server answered ${response.status} ${response.statusText}`.trim(),
    hint: "Try again; if it keeps happening, look at the server's log (its standard output: journalctl -u anemone, docker logs; or the file ANEMONE_LOG_FILE names).",
  });
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, UNREACHABLE);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    // the session ended (expired, signed out elsewhere): the app shows the sign-in page
    if (error.code === 'NOT_AUTHENTICATED') window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    throw error;
  }
  return response;
}

/** A JSON request; `undefined` for 204 No Content. */
export async function requestJson<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A file the API answers with: its bytes and the name it suggests. */
export interface DownloadedFile {
  blob: Blob;
  fileName: string | undefined;
}

/** A request whose answer is a file (a ZIP, a recovery kit). */
export async function requestFile(method: 'GET' | 'POST', path: string, body?: unknown): Promise<DownloadedFile> {
  const response = await send(method, path, body);
  return { blob: await response.blob(), fileName: fileNameOf(response.headers.get('content-disposition')) };
}

/** The file name of a Content-Disposition header, `filename*=` (RFC 5987) first. */
export function fileNameOf(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended.trim().replace(/^"|"$/g, ''));
    } catch {
      // a malformed encoding: fall back to the plain name
    }
  }
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1];
}

/** Adds a query string from the defined values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The ApiError of an error answer's text, read where no Response is at hand (a form's hidden frame). */
export function errorFromText(text: string): ApiError {
  try {
    const body: unknown = JSON.parse(text);
    if (isErrorBody(body)) return new ApiError(0, { ...body.error, hint: body.error.hint ?? '' });
  } catch {
    // not JSON: fall through
  }
  return new ApiError(0, { code: 'DOWNLOAD_FAILED', message: 'The download failed', hint: 'Try again; if it keeps happening, look at the server log in data/logs/.' });
}
