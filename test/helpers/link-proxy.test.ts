import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { LinkProxy, type LinkProxyOptions } from './link-proxy.js';

/** A TCP server that echoes what it receives and counts it. */
async function startEchoServer(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data: Buffer) => {
      received += data.length;
      socket.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The shortest of three round trips: a busy machine only ever adds to one. */
async function bestRoundTripMs(socket: net.Socket): Promise<number> {
  const times: number[] = [];
  for (let trip = 0; trip < 3; trip++) times.push(await roundTripMs(socket));
  return Math.min(...times);
}

/** Milliseconds from writing one byte to reading it back. */
async function roundTripMs(socket: net.Socket): Promise<number> {
  const started = performance.now();
  const echoed = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write('x');
  await echoed;
  return performance.now() - started;
}

describe('the link proxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function setUp(options: Omit<LinkProxyOptions, 'target'>) {
    const echo = await startEchoServer();
    const proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: echo.port }, ...options });
    cleanups.push(() => echo.close(), () => proxy.close());
    return { echo, proxy };
  }

  it('holds the bandwidth limit over a couple of seconds, and counts the bytes', async () => {
    const rate = 200 * 1024;
    const { echo, proxy } = await setUp({ upBytesPerSecond: rate });
    const socket = await connect(proxy.port);
    socket.on('data', () => undefined);
    const total = 2 * rate;
    const started = performance.now();
    socket.write(Buffer.alloc(total));
    while (echo.received() < total) await delay(10);
    const seconds = (performance.now() - started) / 1000;
    socket.destroy();
    assert.ok(Math.abs(total / seconds - rate) <= rate * 0.2, `${Math.round(total / seconds)} B/s, limit ${rate}`);
    assert.equal(proxy.bytes.up, total);
    assert.equal(proxy.bytes.down, total);
    proxy.resetCounts();
    assert.deepEqual(proxy.bytes, { up: 0, down: 0 });
  });

  it('adds its latency to the round trip', async () => {
    const { echo, proxy } = await setUp({ upLatencyMs: 40, downLatencyMs: 60 });
    const direct = await connect(echo.port);
    const proxied = await connect(proxy.port);
    const directMs = await bestRoundTripMs(direct);
    const proxiedMs = await bestRoundTripMs(proxied);
    direct.destroy();
    proxied.destroy();
    assert.ok(proxiedMs >= 100 && proxiedMs < directMs + 100 + 50, `round trip ${proxiedMs} ms through the proxy, ${directMs} ms direct`);
  });

  it('cuts transfers in progress', async () => {
    const { echo, proxy } = await setUp({ upBytesPerSecond: 100 * 1024 });
    const socket = await connect(proxy.port);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    // read the echo: a socket that stopped reading would not notice the cut
    socket.on('data', () => undefined);
    socket.write(Buffer.alloc(1024 * 1024));
    while (echo.received() === 0) await delay(10);
    proxy.cut();
    await closed;
    assert.ok(echo.received() < 1024 * 1024, `${echo.received()} bytes arrived`);
  });

  it('holds what it would forward while paused, and forwards it on resume', async () => {
    const { proxy } = await setUp({});
    const socket = await connect(proxy.port);
    await roundTripMs(socket);
    proxy.pause();
    const echoed = roundTripMs(socket);
    const silent = await Promise.race([echoed.then(() => false), delay(300).then(() => true)]);
    assert.ok(silent, 'nothing came back while paused');
    proxy.resume();
    await echoed;
    socket.destroy();
  });

  it('refuses new connections for a while, then accepts them again', async () => {
    const { proxy } = await setUp({});
    proxy.refuse(0.5);
    const refused = await connect(proxy.port).then(
      (socket) => new Promise<boolean>((resolve) => {
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(true));
        socket.write('x');
      }),
      () => true,
    );
    assert.ok(refused);
    await delay(600);
    const socket = await connect(proxy.port);
    assert.ok((await roundTripMs(socket)) < 1000);
    socket.destroy();
  });
});
