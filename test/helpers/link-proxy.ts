import net from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A TCP proxy that behaves like a home internet link between two servers on
 * loopback: a bandwidth limit and a one-way latency per direction, byte
 * counts, and the link's failures (connections cut, connections refused, a
 * peer that stops answering). TLS goes through it end to end, so a pinned
 * fingerprint stays valid.
 *
 * "Up" is client → target (a sender's uplink when the sender dials the proxy),
 * "down" is target → client.
 */
export interface LinkProxyOptions {
  target: { host: string; port: number };
  /** Bytes per second client → target; null (the default) is unlimited. */
  upBytesPerSecond?: number | null;
  /** Bytes per second target → client; null (the default) is unlimited. */
  downBytesPerSecond?: number | null;
  /** Delay added to every piece client → target. */
  upLatencyMs?: number;
  /** Delay added to every piece target → client. */
  downLatencyMs?: number;
}

export type Direction = 'up' | 'down';

export class LinkProxy {
  readonly port: number;
  private readonly shapes: Record<Direction, Shape>;
  private readonly connections = new Set<net.Socket>();
  private readonly lanes = new Set<Lane>();
  private refusingUntil = 0;
  private paused = false;

  private constructor(
    private readonly server: net.Server,
    options: LinkProxyOptions,
  ) {
    this.port = (server.address() as net.AddressInfo).port;
    this.shapes = {
      up: new Shape(options.upBytesPerSecond ?? null, options.upLatencyMs ?? 0),
      down: new Shape(options.downBytesPerSecond ?? null, options.downLatencyMs ?? 0),
    };
    server.on('connection', (client) => this.accept(client, options.target));
  }

  /** Listens on 127.0.0.1, a free port. */
  static async start(options: LinkProxyOptions): Promise<LinkProxy> {
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new LinkProxy(server, options);
  }

  /** Bytes forwarded each way since the start or the last `resetCounts`. */
  get bytes(): Record<Direction, number> {
    return { up: this.shapes.up.forwarded, down: this.shapes.down.forwarded };
  }

  resetCounts(): void {
    this.shapes.up.forwarded = 0;
    this.shapes.down.forwarded = 0;
  }

  /** Changes a direction's bandwidth limit from now on (null: unlimited). */
  setRate(direction: Direction, bytesPerSecond: number | null): void {
    this.shapes[direction].bucket = new TokenBucket(bytesPerSecond);
  }

  /** Changes a direction's one-way latency for what arrives from now on. */
  setLatency(direction: Direction, latencyMs: number): void {
    this.shapes[direction].latencyMs = latencyMs;
  }

  /** Stops forwarding both ways, connections left open: a peer that stopped answering. Data is held, not lost. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const lane of this.lanes) lane.pump();
  }

  /** Destroys every current connection, mid-transfer; new ones are accepted. */
  cut(): void {
    for (const socket of this.connections) socket.destroy();
  }

  /** For `seconds`, new connections are reset as soon as they arrive. */
  refuse(seconds: number): void {
    this.refusingUntil = Date.now() + seconds * 1000;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: LinkProxyOptions['target']): void {
    if (Date.now() < this.refusingUntil) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      this.connections.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
    }
    const lanes = [new Lane(client, upstream, this.shapes.up, () => this.paused), new Lane(upstream, client, this.shapes.down, () => this.paused)];
    for (const lane of lanes) this.lanes.add(lane);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      for (const lane of lanes) {
        lane.stop();
        this.lanes.delete(lane);
      }
      this.connections.delete(client);
      this.connections.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  }
}

/** One direction of the link, shared by every connection: its limit, its latency, what crossed it. */
class Shape {
  bucket: TokenBucket;
  forwarded = 0;

  constructor(
    bytesPerSecond: number | null,
    public latencyMs: number,
  ) {
    this.bucket = new TokenBucket(bytesPerSecond);
  }
}

/**
 * Tokens are bytes, added at `rate` per second up to 250 ms worth: a timer
 * that fires late on a busy machine loses nothing, and a burst stays a
 * quarter of a second, so the rate holds over any window of a second. The
 * bucket starts empty: no burst at the start either.
 */
class TokenBucket {
  private readonly capacity: number;
  private tokens = 0;
  private updatedAt = performance.now();

  constructor(readonly rate: number | null) {
    this.capacity = rate === null ? Infinity : Math.max(64 * 1024, rate / 4);
  }

  /** The largest piece worth taking at once: about 20 ms of the rate. */
  get quantum(): number {
    return this.rate === null ? Infinity : Math.min(64 * 1024, Math.max(512, Math.floor(this.rate / 50)));
  }

  /** Takes `bytes` tokens if there are that many; otherwise takes none and says how long until there are. */
  take(bytes: number): { taken: true } | { taken: false; waitMs: number } {
    if (this.rate === null) return { taken: true };
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
    this.updatedAt = now;
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return { taken: true };
    }
    return { taken: false, waitMs: Math.max(1, Math.ceil(((bytes - this.tokens) * 1000) / this.rate)) };
  }
}

/** What one socket sends to the other, delayed then paced; the source is paused while too much waits. */
class Lane {
  private readonly queue: { data: Buffer; dueAt: number }[] = [];
  private queued = 0;
  private ended = false;
  private stopped = false;
  private waitingForDrain = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly shape: Shape,
    private readonly paused: () => boolean,
  ) {
    from.on('data', (data: Buffer) => {
      this.queue.push({ data, dueAt: performance.now() + shape.latencyMs });
      this.queued += data.length;
      if (this.queued > this.highWater()) from.pause();
      this.pump();
    });
    from.on('end', () => {
      this.ended = true;
      this.pump();
    });
  }

  pump(): void {
    if (this.stopped || this.waitingForDrain || this.timer || this.paused()) return;
    while (this.queue.length > 0) {
      const head = this.queue[0] as { data: Buffer; dueAt: number };
      const early = head.dueAt - performance.now();
      if (early > 0) return this.wait(early);
      const bucket = this.shape.bucket;
      const size = Math.min(head.data.length, bucket.quantum);
      const taken = bucket.take(size);
      if (!taken.taken) return this.wait(taken.waitMs);
      const piece = head.data.subarray(0, size);
      head.data = head.data.subarray(size);
      if (head.data.length === 0) this.queue.shift();
      this.queued -= size;
      this.shape.forwarded += size;
      if (this.queued <= this.highWater() / 2) this.from.resume();
      if (!this.to.write(piece)) {
        this.waitingForDrain = true;
        this.to.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (this.ended) this.to.end();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private wait(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  /** Enough to keep the link busy across its latency, little more: what cannot be forwarded stays in TCP's buffers. */
  private highWater(): number {
    const rate = this.shape.bucket.rate ?? 16 * 1024 * 1024;
    return 64 * 1024 + (rate * this.shape.latencyMs) / 1000;
  }
}
