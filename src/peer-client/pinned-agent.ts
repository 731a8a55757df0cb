import { isIP } from 'node:net';
import tls from 'node:tls';
import type { buildConnector } from 'undici';
import { sameFingerprint } from './fingerprint.js';
import { PeerError } from './peer-error.js';
import { Agent, errors } from './undici-agent.js';

/** This server's certificate and key, presented to peers as the TLS client certificate. */
export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

interface ConnectorOptions {
  identity: ClientIdentity;
  connectTimeoutMs: number;
  /** The certificate the peer must present; absent only in discovery mode. */
  pinnedFingerprint?: string | undefined;
  /** Told the fingerprint of every certificate accepted. */
  onCertificate?: (fingerprint: string) => void;
}

/**
 * Opens the TLS socket for undici and decides whether undici may use it.
 *
 * Why `rejectUnauthorized: false` is safe here: peers' certificates are
 * self-signed, so no CA can vouch for them and Node's chain check would
 * refuse every peer. We trust exactly one certificate instead: the TLS
 * handshake itself proves the peer holds the private key of the certificate
 * it presents (its CertificateVerify signature is checked whatever
 * `rejectUnauthorized` says), and on `secureConnect` — before the socket is
 * handed to undici, so before one byte of HTTP is written — we compare that
 * certificate's SHA-256 with the pinned fingerprint and destroy the socket on
 * any difference. (Setting only `rejectUnauthorized: false` and checking after
 * undici has the socket would let it send the request, password included, to
 * an impostor.) Session resumption is off — no `session` is ever passed and
 * none is cached — so every connection performs a full handshake and gets the
 * check.
 */
function peerConnector(options: ConnectorOptions): buildConnector.connector {
  return ({ hostname, protocol, port }, callback) => {
    const portNumber = Number(port) || 443;
    if (protocol !== 'https:') {
      callback(new PeerError('protocol-error', { address: hostname, port: portNumber, detail: 'peers are reached over HTTPS only' }), null);
      return;
    }
    let settled = false;
    const socket = tls.connect({
      host: hostname,
      port: portNumber,
      // SNI takes a host name, never an IP address
      ...(isIP(hostname) ? {} : { servername: hostname }),
      cert: options.identity.certPem,
      key: options.identity.keyPem,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        socket.destroy();
        callback(error, null);
      } else {
        callback(null, socket);
      }
    };
    // covers name lookup, TCP connect and the TLS handshake: a server that accepts and never answers ends here
    const timer = setTimeout(
      () => finish(new errors.ConnectTimeoutError(`Connect timeout after ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.once('secureConnect', () => {
      const seen = socket.getPeerX509Certificate()?.fingerprint256;
      if (!seen) {
        finish(new PeerError('tls-error', { address: hostname, port: portNumber, detail: 'the peer presented no certificate' }));
        return;
      }
      if (options.pinnedFingerprint !== undefined && !sameFingerprint(seen, options.pinnedFingerprint)) {
        finish(
          new PeerError('certificate-changed', {
            address: hostname,
            port: portNumber,
            seenFingerprint: seen,
            expectedFingerprint: options.pinnedFingerprint,
          }),
        );
        return;
      }
      options.onCertificate?.(seen);
      finish(null);
    });
    // after `finish` undici listens for errors itself; this one only reports failures before it
    socket.on('error', (error) => finish(error));
  };
}

/** Many small requests go to one peer: connections stay open and GETs are pipelined. */
const POOL_OPTIONS = {
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 120_000,
  pipelining: 4,
  connections: 8,
} as const;

/** An agent that talks only to the certificate with `pinnedFingerprint`, presenting `identity` as client certificate. */
export function createPinnedAgent(options: { identity: ClientIdentity; pinnedFingerprint: string; connectTimeoutMs: number }): Agent {
  return new Agent({
    ...POOL_OPTIONS,
    connect: peerConnector({
      identity: options.identity,
      pinnedFingerprint: options.pinnedFingerprint,
      connectTimeoutMs: options.connectTimeoutMs,
    }),
  });
}

/**
 * Discovery mode, for Test Connection of a peer whose fingerprint nobody has
 * confirmed yet: any certificate is accepted and its fingerprint recorded.
 * Only `hello` may travel over it — it carries no secret — and the password
 * goes afterwards over a pinned agent for the recorded fingerprint.
 */
export function createDiscoveryAgent(options: { identity: ClientIdentity; connectTimeoutMs: number }): {
  agent: Agent;
  seenFingerprint(): string | undefined;
} {
  let seen: string | undefined;
  const agent = new Agent({
    connections: 1,
    pipelining: 1,
    connect: peerConnector({
      identity: options.identity,
      connectTimeoutMs: options.connectTimeoutMs,
      onCertificate: (fingerprint) => {
        seen = fingerprint;
      },
    }),
  });
  return { agent, seenFingerprint: () => seen };
}
