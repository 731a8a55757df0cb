import { type Agent, fetch } from 'undici';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** A small JSON client for the Anemone API with its own cookie jar (a copy of test/helpers' client, so the bench does not depend on tests). */
export class ApiClient {
  private cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly agent: Agent,
  ) {}

  get<T = any>(urlPath: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', urlPath);
  }

  post<T = any>(urlPath: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', urlPath, body);
  }

  async request<T = any>(method: string, urlPath: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(new URL(urlPath, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: (type.includes('json') && text ? JSON.parse(text) : text) as T };
  }
}

/** Throws with the answer when the status is not the expected one. */
export function expectStatus(response: ApiResponse, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what} failed: HTTP ${response.status} ${JSON.stringify(response.body)}`);
}
