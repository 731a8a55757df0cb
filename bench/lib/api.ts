import type { ApiResponse } from '../../test/helpers/test-server.js';

// the bench drives servers with the same JSON client as the integration tests
export { ApiClient, type ApiResponse } from '../../test/helpers/test-server.js';

/** Throws with the answer when the status is not the expected one. */
export function expectStatus(response: ApiResponse, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what} failed: HTTP ${response.status} ${JSON.stringify(response.body)}`);
}
