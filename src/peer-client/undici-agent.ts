import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/*
 * undici's Agent and error classes without the rest of undici. Its index also
 * loads fetch, WebSocket, EventSource, the caches and the mocks, and its cookies
 * module reads `globalThis.Headers`, which loads Node's own bundled copy of
 * undici as well: together ~7 MB of RSS and 3 MB of heap that every server kept
 * for its whole life and a sync never uses (bench/README.md, "The servers'
 * fixed memory"). The request API goes onto the dispatchers' prototype as
 * undici's index puts it (the index, loaded later by a webhook, does the same
 * again). undici is pinned to one version in package.json: these paths are its
 * layout, and the peer client's tests go through them.
 */
const require = createRequire(import.meta.url);
const dispatcher = require('undici/lib/dispatcher/dispatcher') as { prototype: object };
Object.assign(dispatcher.prototype, require('undici/lib/api') as object);

export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export type Agent = Undici.Agent;
export const errors = require('undici/lib/core/errors') as typeof Undici.errors;
