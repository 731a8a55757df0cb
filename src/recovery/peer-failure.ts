import { AnemoneError } from '../errors/catalogue.js';
import { isPeerError } from '../peer-client/peer-error.js';

/**
 * A failure talking to a peer during a rebuild, in the words of that job:
 * the peer-client's own hints speak of "the peer settings", which a rebuilt
 * server does not have yet.
 */
export function rebuildPeerFailure(error: unknown): unknown {
  if (!isPeerError(error)) return error;
  switch (error.code) {
    case 'PEER_UNAUTHORIZED':
      return new AnemoneError('PEER_UNAUTHORIZED', {
        message: "401 Unauthorized — the peer's server password is wrong",
        hint: "Give the server password set on the peer (its Settings → Sync), the one this server used to sync to it; nothing was changed.",
        cause: error,
      });
    case 'PEER_RATE_LIMITED':
      return new AnemoneError('TOO_MANY_ATTEMPTS', {
        message: `Too many wrong passwords: the peer refuses this address for ${error.retryAfterSeconds ?? 'a few'} seconds`,
        hint: 'Wait, then try again with the right server password.',
        cause: error,
      });
    default:
      return new AnemoneError('PEER_UNREACHABLE', { message: error.message, hint: error.hint, cause: error });
  }
}
