import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';

/** A JSON POST the webhook receiver got. */
export interface WebhookDelivery {
  path: string;
  body: any;
  status: number;
}

/**
 * A plain HTTP server on loopback standing in for ntfy or Gotify: it records
 * each POST and answers what `answer` says for the n-th request (200 by
 * default), after `delayMs` and once what `heldUntil` returns has settled.
 */
export async function startWebhookReceiver(options: { answer?: (n: number) => number; delayMs?: (n: number) => number; heldUntil?: (n: number) => Promise<void> } = {}) {
  const received: WebhookDelivery[] = [];
  let count = 0;
  const server = http.createServer((request, response) => {
    const n = ++count;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const status = options.answer?.(n) ?? 200;
        await delay(options.delayMs?.(n) ?? 0);
        await options.heldUntil?.(n);
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({ path: request.url ?? '', body: request.headers['content-type']?.includes('json') ? JSON.parse(text) : text, status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An email the SMTP receiver accepted, with its headers unfolded and its text decoded. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

/**
 * An SMTP server on loopback (smtp-server) that requires AUTH with the given
 * credentials over a plain connection, as a LAN relay might, and keeps what it
 * receives.
 */
export async function startSmtpReceiver(credentials: { username: string; password: string }) {
  const received: ReceivedEmail[] = [];
  const authFailures: string[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.username && auth.password === credentials.password) return callback(null, { user: auth.username });
      authFailures.push(auth.username ?? '');
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          subject: header(raw, 'subject'),
          text: decodeBody(raw),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, authFailures, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function headerBlock(raw: string): string {
  return raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
}

function header(raw: string, name: string): string {
  const line = headerBlock(raw)
    .split('\r\n')
    .find((candidate) => candidate.toLowerCase().startsWith(`${name}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

/** The text part of a single-part message, quoted-printable or not. */
function decodeBody(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  if (!/quoted-printable/i.test(header(raw, 'content-transfer-encoding'))) return body.replace(/\r\n/g, '\n');
  const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n');
}

/** Waits until `list` holds at least `count` items (deliveries arrive after the sync returned). */
export async function waitForCount<T>(list: readonly T[], count: number, timeoutMs = 15_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  while (list.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} deliveries, got ${list.length}: ${JSON.stringify(list).slice(0, 2000)}`);
    await delay(25);
  }
  return [...list];
}
