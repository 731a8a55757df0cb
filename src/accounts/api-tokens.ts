import { z } from 'zod';
import { API_TOKEN_SCOPES } from '../contract/accounts.js';
import type { ApiTokenRow, Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { apiTokenHash, looksLikeApiToken, newApiTokenSecret, sameApiTokenHash } from './api-token-secret.js';

// What a token may open (the list is in the API contract): a token opens its scope only, never the admin API,
// so a secret written into a scraper's config cannot add a peer.
export const apiTokenScopeSchema = z.enum(API_TOKEN_SCOPES);
export type ApiTokenScope = z.infer<typeof apiTokenScopeSchema>;

export const apiTokenNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the token a name (what uses it, "prometheus" say)')
  .max(64, 'Use at most 64 characters')
  .regex(/^[^\p{Cc}]+$/u, 'Use no control characters');

/** A token as listed: its secret is nowhere to list. The scope stays a string: one written by a newer version is shown, and opens nothing here. */
export type ApiToken = ApiTokenRow;

/** A scraper every 15 s would otherwise write the database 4 times a minute for nothing. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** API tokens: made by an administrator, shown once, kept only as a hash, revoked by deleting them. */
export class ApiTokenService {
  constructor(
    private readonly repos: Pick<Repositories, 'apiTokens'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new token and its secret: the only time the secret exists outside the caller's hands. */
  create(input: { name: string; scope: ApiTokenScope }): { token: ApiToken; secret: string } {
    const secret = newApiTokenSecret();
    const createdAt = this.now().toISOString();
    const id = this.repos.apiTokens.insert({ name: input.name, scope: input.scope, tokenHash: apiTokenHash(secret), createdAt });
    if (id === undefined) throw new AnemoneError('API_TOKEN_NAME_TAKEN', { message: `An API token named "${input.name}" already exists` });
    return { token: { id, name: input.name, scope: input.scope, createdAt, lastUsedAt: null }, secret };
  }

  list(): ApiToken[] {
    return this.repos.apiTokens.list();
  }

  revoke(id: number): void {
    if (!this.repos.apiTokens.delete(id)) throw new AnemoneError('NOT_FOUND', { message: 'No such API token', hint: 'It may have been revoked already; reload the list.' });
  }

  /**
   * The token a request presents, if it opens `scope`: API_TOKEN_INVALID
   * (401) for no token or an unknown one, API_TOKEN_SCOPE (403) for a token
   * of another scope.
   */
  authorize(secret: string | undefined, scope: ApiTokenScope): ApiToken {
    const row = secret !== undefined && looksLikeApiToken(secret) ? this.find(secret) : undefined;
    if (!row) throw new AnemoneError('API_TOKEN_INVALID');
    if (row.scope !== scope) throw new AnemoneError('API_TOKEN_SCOPE', { message: `This API token has the scope "${row.scope}"; this needs "${scope}"` });
    const now = this.now();
    if (row.lastUsedAt === null || now.getTime() - Date.parse(row.lastUsedAt) >= LAST_USED_RESOLUTION_MS) {
      this.repos.apiTokens.touch(row.id, now.toISOString());
      row.lastUsedAt = now.toISOString();
    }
    return row;
  }

  private find(secret: string): ApiTokenRow | undefined {
    const hash = apiTokenHash(secret);
    const row = this.repos.apiTokens.findByHash(hash);
    // the lookup found it by its hash already; comparing again in constant time costs nothing and depends on no index's timing
    if (!row || !sameApiTokenHash(row.tokenHash, hash)) return undefined;
    const { tokenHash: _tokenHash, ...token } = row;
    return token;
  }
}
