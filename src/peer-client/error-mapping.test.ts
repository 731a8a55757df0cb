import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from 'undici';
import { parseRetryAfter, peerErrorFrom, peerErrorFromAnswer } from './error-mapping.js';
import { PeerError } from './peer-error.js';

const context = { address: 'peer.example', port: 8443, timeoutMs: 15_000 };

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe('peerErrorFrom: failures before an answer', () => {
  it('reads the socket error undici and fetch wrap in `cause`', () => {
    const wrapped = new TypeError('fetch failed', { cause: networkError('ECONNREFUSED') });
    const error = peerErrorFrom(wrapped, context);
    assert.equal(error.code, 'PEER_CONNECTION_REFUSED');
    assert.equal(error.message, 'Connection refused — check the peer is reachable, its port (8443) and firewall');
    assert.match(error.hint, /peer\.example:8443/);
    assert.equal(error.cause, wrapped);
  });

  it('names each network failure', () => {
    const cases: [string, string][] = [
      ['ECONNREFUSED', 'PEER_CONNECTION_REFUSED'],
      ['EHOSTUNREACH', 'PEER_CONNECTION_REFUSED'],
      ['ENOTFOUND', 'PEER_NAME_NOT_FOUND'],
      ['EAI_AGAIN', 'PEER_NAME_NOT_FOUND'],
      ['ETIMEDOUT', 'PEER_TIMEOUT'],
      ['UND_ERR_CONNECT_TIMEOUT', 'PEER_TIMEOUT'],
      ['UND_ERR_HEADERS_TIMEOUT', 'PEER_TIMEOUT'],
      ['UND_ERR_BODY_TIMEOUT', 'PEER_TIMEOUT'],
      ['ECONNRESET', 'PEER_CONNECTION_LOST'],
      ['UND_ERR_SOCKET', 'PEER_CONNECTION_LOST'],
      ['UND_ERR_ABORTED', 'PEER_REQUEST_ABORTED'],
    ];
    for (const [code, expected] of cases) {
      assert.equal(peerErrorFrom(networkError(code), context).code, expected, code);
      assert.equal(peerErrorFrom({ cause: networkError(code) }, context).code, expected, `${code} as cause`);
    }
  });

  it("maps undici's own error classes", () => {
    assert.equal(peerErrorFrom(new errors.ConnectTimeoutError(), context).code, 'PEER_TIMEOUT');
    assert.equal(peerErrorFrom(new errors.HeadersTimeoutError(), context).code, 'PEER_TIMEOUT');
    assert.equal(peerErrorFrom(new errors.SocketError('other side closed'), context).code, 'PEER_CONNECTION_LOST');
    assert.equal(peerErrorFrom(new errors.RequestAbortedError(), context).code, 'PEER_REQUEST_ABORTED');
  });

  it('says how long it waited on a timeout, and where the name failed', () => {
    assert.match(peerErrorFrom(networkError('ETIMEDOUT'), context).message, /^Timed out .* 15 seconds$/);
    assert.match(peerErrorFrom(networkError('ENOTFOUND'), context).message, /^Name not found — "peer\.example"/);
  });

  it('finds the reason inside an AggregateError (IPv4 and IPv6 both tried)', () => {
    const aggregate = new AggregateError([networkError('ECONNREFUSED'), networkError('ECONNREFUSED')], 'connect failed');
    assert.equal(peerErrorFrom({ cause: aggregate }, context).code, 'PEER_CONNECTION_REFUSED');
  });

  it('reports TLS failures as tls-error with the reason', () => {
    const tls = Object.assign(new Error('error:0A00010B:SSL routines::wrong version number'), {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      reason: 'wrong version number',
      library: 'SSL routines',
    });
    const error = peerErrorFrom(new TypeError('fetch failed', { cause: tls }), context);
    assert.equal(error.code, 'PEER_TLS_ERROR');
    assert.match(error.message, /wrong version number/);
  });

  it('passes a PeerError through, even wrapped (the pinning check fails inside undici)', () => {
    const changed = new PeerError('certificate-changed', { ...context, seenFingerprint: 'AA:BB', expectedFingerprint: 'CC:DD' });
    assert.equal(peerErrorFrom(changed, context), changed);
    assert.equal(peerErrorFrom(new TypeError('fetch failed', { cause: changed }), context), changed);
    assert.match(changed.message, /^Certificate changed — peer\.example:8443 .* impostor/);
    assert.match(changed.hint, /AA:BB/);
    assert.equal(changed.seenFingerprint, 'AA:BB');
  });

  it('calls anything unknown a protocol error, never a stack trace', () => {
    const error = peerErrorFrom(new Error('something odd'), context);
    assert.equal(error.code, 'PEER_PROTOCOL_ERROR');
    assert.match(error.message, /something odd/);
    assert.doesNotMatch(error.message, /\n\s+at /);
    assert.equal(peerErrorFrom('a string', context).code, 'PEER_PROTOCOL_ERROR');
  });
});

describe('peerErrorFromAnswer: refusals from the peer', () => {
  it('maps 401, 403 and their codes', () => {
    const unauthorized = peerErrorFromAnswer({ status: 401, error: { code: 'PEER_UNAUTHORIZED' } }, context);
    assert.equal(unauthorized.code, 'PEER_UNAUTHORIZED');
    assert.equal(unauthorized.message, '401 Unauthorized — the peer password is wrong; update it in the peer settings');
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.peerCode, 'PEER_UNAUTHORIZED');

    assert.equal(peerErrorFromAnswer({ status: 401, error: { code: 'SESSION_INVALID' } }, context).code, 'SESSION_INVALID');

    const forbidden = peerErrorFromAnswer({ status: 403, error: { code: 'PEER_FORBIDDEN', message: 'whatever' } }, context);
    assert.equal(forbidden.code, 'PEER_FORBIDDEN');
    assert.equal(forbidden.message, '403 Forbidden — the peer is not accepting syncs; check its settings');

    const mismatch = peerErrorFromAnswer({ status: 403, error: { code: 'SOURCE_CERT_MISMATCH' } }, { ...context, ownFingerprint: 'AB:CD' });
    assert.equal(mismatch.code, 'SOURCE_CERT_MISMATCH');
    assert.match(mismatch.hint, /AB:CD/);
  });

  it('maps 413, 429 with Retry-After, 507 and 404', () => {
    assert.equal(peerErrorFromAnswer({ status: 413 }, context).code, 'PAYLOAD_TOO_LARGE');
    const limited = peerErrorFromAnswer({ status: 429, retryAfter: '42' }, context);
    assert.equal(limited.code, 'PEER_RATE_LIMITED');
    assert.equal(limited.retryAfterSeconds, 42);
    assert.match(limited.hint, /42 seconds/);
    const full = peerErrorFromAnswer({ status: 507, error: { code: 'INSUFFICIENT_STORAGE' } }, context);
    assert.equal(full.code, 'INSUFFICIENT_STORAGE');
    assert.match(full.message, /^507 Insufficient Storage/);
    assert.equal(peerErrorFromAnswer({ status: 404, error: { code: 'NOT_FOUND' } }, context).code, 'PEER_NOT_FOUND');
  });

  it("maps the peer's storage failing (503 INCOMING_STORAGE_UNAVAILABLE) to its own code, without the peer's wording", () => {
    const failed = peerErrorFromAnswer({ status: 503, error: { code: 'INCOMING_STORAGE_UNAVAILABLE', message: 'the bucket said SlowDown at 10.0.0.5' } }, context);
    assert.equal(failed.code, 'PEER_STORAGE_UNAVAILABLE');
    assert.equal(failed.peerCode, 'INCOMING_STORAGE_UNAVAILABLE');
    assert.match(failed.message, /^The peer's storage is not answering.*nothing was lost here$/);
    assert.match(failed.hint, /next run sends again.*tell the peer's administrator: their server log says what their storage/);
    assert.doesNotMatch(`${failed.message} ${failed.hint}`, /10\.0\.0\.5/);
    // a 503 with no such code (a proxy in front of the peer, a server being stopped) stays what it was
    assert.equal(peerErrorFromAnswer({ status: 503, error: { code: 'SYNC_INTERRUPTED' } }, context).code, 'PEER_PROTOCOL_ERROR');
  });

  it('maps 400 by the peer code, and anything else to a protocol error naming the status', () => {
    assert.equal(peerErrorFromAnswer({ status: 400, error: { code: 'HASH_MISMATCH' } }, context).code, 'HASH_MISMATCH');
    assert.equal(peerErrorFromAnswer({ status: 400, error: { code: 'PATH_INVALID', message: 'bad path' } }, context).code, 'PATH_INVALID');
    const odd = peerErrorFromAnswer({ status: 500, error: { code: 'INTERNAL', message: 'Something went wrong' } }, context);
    assert.equal(odd.code, 'PEER_PROTOCOL_ERROR');
    assert.match(odd.message, /answered 500 \(Something went wrong\)/);
    assert.equal(peerErrorFromAnswer({ status: 502 }, context).code, 'PEER_PROTOCOL_ERROR');
  });

  it('bounds what a peer can make us print', () => {
    const long = peerErrorFromAnswer({ status: 500, error: { message: 'x'.repeat(10_000) } }, context);
    assert.ok(long.message.length < 500);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120'), 120);
    assert.equal(parseRetryAfter(['7']), 7);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
