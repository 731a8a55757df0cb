import { helloOver, type PeerHello } from './peer-client.js';
import { PeerError } from './peer-error.js';
import { PeerTransport } from './peer-transport.js';
import { type ClientIdentity, createDiscoveryAgent } from './pinned-agent.js';

/**
 * Who answers at an address whose certificate nobody has confirmed yet:
 * `hello` over a discovery connection, which accepts any certificate and
 * records it. Nothing secret travels here — the caller pins the returned
 * fingerprint before it sends a password.
 */
export async function discoverPeer(options: {
  address: string;
  port: number;
  identity: ClientIdentity;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<{ hello: PeerHello; fingerprint: string }> {
  const { agent, seenFingerprint } = createDiscoveryAgent({ identity: options.identity, connectTimeoutMs: options.timeoutMs });
  const transport = new PeerTransport(agent, { address: options.address, port: options.port, timeoutMs: options.timeoutMs });
  try {
    const hello = await helloOver(transport, options.signal);
    const fingerprint = seenFingerprint();
    if (!fingerprint) throw new PeerError('tls-error', { ...transport.context, detail: 'the peer presented no certificate' });
    return { hello, fingerprint };
  } finally {
    await agent.destroy();
  }
}
