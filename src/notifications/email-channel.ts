import { DeliveryError, describeConnectionError } from './delivery-error.js';
import type { NotificationMessage } from './message.js';
import type { EmailSettings } from './settings.js';
import type { Channel } from './channel.js';

/**
 * Sends the message as a plain-text email over SMTP: implicit TLS when
 * `secure`, otherwise STARTTLS whenever the server offers it.
 */
export function emailChannel(settings: EmailSettings, timeoutMs: number): Channel {
  const target = `${settings.host}:${settings.port}`;
  return {
    name: 'email',
    target,
    async send(message: NotificationMessage) {
      // loaded with the first email: a server that sends none never holds nodemailer (~15 MB)
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport({
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        ...(settings.username ? { auth: { user: settings.username, pass: settings.password ?? '' } } : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        // nodemailer's own logging would print the SMTP conversation, AUTH included
        logger: false,
        debug: false,
      });
      try {
        await transport.sendMail({ from: settings.from, to: settings.to, subject: subjectOf(message), text: bodyOf(message) });
      } catch (error) {
        throw new DeliveryError(describeSmtpError(error, target, timeoutMs));
      } finally {
        transport.close();
      }
    },
  };
}

/** "Anemone: backup of alice/backup to bob-server failed". */
export function subjectOf(message: NotificationMessage): string {
  return `Anemone: ${message.title.charAt(0).toLowerCase()}${message.title.slice(1)}`;
}

function bodyOf(message: NotificationMessage): string {
  const lines = [message.message, '', `Server: ${message.server}`];
  if (message.peer) lines.push(`Peer: ${message.peer}`);
  for (const share of message.details.shares) lines.push(`Share: ${share.user}/${share.share}`);
  if (message.details.code) lines.push(`Error code: ${message.details.code}`);
  lines.push(`Time: ${message.at}`, '', '— Anemone. Choose which events send email on the Settings page.');
  return `${lines.join('\n')}\n`;
}

function describeSmtpError(error: unknown, target: string, timeoutMs: number): string {
  const smtp = error as { code?: unknown; responseCode?: unknown; response?: unknown };
  const response = typeof smtp.response === 'string' ? ` (${smtp.response.slice(0, 200)})` : '';
  if (smtp.code === 'EAUTH') return `The SMTP server ${target} refused the username or password${response} — check them in the email settings`;
  if (smtp.code === 'ENOAUTH') return `The SMTP server ${target} asks for a username and password — set them in the email settings`;
  if (smtp.code === 'EENVELOPE') return `The SMTP server ${target} refused the sender or a recipient${response} — check the From and To addresses`;
  if (smtp.code === 'ETLS') return `TLS with the SMTP server ${target} failed — check "implicit TLS" (port 465) against STARTTLS (port 587)`;
  if (smtp.code === 'EMESSAGE' || typeof smtp.responseCode === 'number') return `The SMTP server ${target} refused the message${response} — check the email settings`;
  return describeConnectionError(error, target, timeoutMs);
}
