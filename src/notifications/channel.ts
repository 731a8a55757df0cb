import type { NotificationMessage } from './message.js';

/** One way messages leave: a webhook or email. */
export interface Channel {
  name: 'webhook' | 'email';
  /** Where messages go, safe to log: an origin or host:port, never a token or password. */
  target: string;
  /** Resolves once the receiver accepted the message; rejects with a DeliveryError. */
  send(message: NotificationMessage, signal: AbortSignal): Promise<void>;
}
