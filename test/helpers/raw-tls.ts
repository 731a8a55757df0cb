import { connect, type TLSSocket } from 'node:tls';

/** A TLS connection a test drives byte by byte: partial headers, slow or unfinished bodies. */
export interface RawTlsConnection {
  socket: TLSSocket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves with the milliseconds from `connectRawTls` to the server closing (or resetting) the connection. */
  closed: Promise<number>;
  /** Whether the connection is closed yet. */
  isClosed(): boolean;
  /** Resolves once the received text matches `pattern` (rejects if the connection closes first). */
  waitFor(pattern: RegExp): Promise<string>;
}

export async function connectRawTls(url: string, options: { ca: string }): Promise<RawTlsConnection> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  const socket = connect({ host: hostname, port: Number(port), ca: options.ca });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let isClosed = false;
  const watchers = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const watch of watchers) watch();
  });
  // a reset after the server gave up is expected here: only the close matters
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const watch of watchers) watch();
      resolve(Date.now() - started);
    }),
  );
  return {
    socket,
    received: () => text,
    closed,
    isClosed: () => isClosed,
    waitFor: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const watch = () => {
          if (pattern.test(text)) {
            watchers.delete(watch);
            resolve(text);
          } else if (isClosed) {
            watchers.delete(watch);
            reject(new Error(`connection closed before ${pattern}; received: ${text.slice(0, 300)}`));
          }
        };
        watchers.add(watch);
        watch();
      }),
  };
}

/** Resolves with `value` after `ms`, or with the promise's own value if it settles first. */
export function within<T, U>(promise: Promise<T>, ms: number, value: U): Promise<T | U> {
  return Promise.race([promise, new Promise<U>((resolve) => setTimeout(() => resolve(value), ms).unref())]);
}
