import type { ShownKey } from '../api/types';

/** The text of a user's personal recovery kit: the key, and how to use it without the server. */
export function userRecoveryKitText(input: { serverName: string; username: string; key: ShownKey; createdAt?: Date }): string {
  const created = (input.createdAt ?? new Date()).toISOString();
  return [
    'ANEMONE — PERSONAL RECOVERY KIT',
    '===============================',
    '',
    `Server:  ${input.serverName}`,
    `User:    ${input.username}`,
    `Created: ${created}`,
    '',
    'Your encryption key:',
    '',
    `    ${input.key.encryptionKeyGrouped}`,
    '',
    'The same key in base64 (either form works when you type it back):',
    '',
    `    ${input.key.encryptionKey}`,
    '',
    'What it is',
    '----------',
    '- This key is the only thing that can decrypt your backups stored on peer servers.',
    '- The grouped form has no I, L, O or U; case, spaces and dashes do not matter.',
    '- It was shown once. The server will not show it again, and nobody can recover it for you.',
    '- Anyone with this key and a copy of your backup can read your files: keep it private.',
    '',
    'Where to keep it',
    '----------------',
    '- In a password manager, and/or printed and kept somewhere safe.',
    '- Not only on the server it protects: if that server is lost, the key must survive it.',
    '',
    'How to get your files back',
    '--------------------------',
    '- While your server runs: sign in and use the Restore page.',
    '- If your server is gone: ask the administrator of a peer for a copy of the folder',
    `  incoming/${input.serverName}/${input.username}/backup/, then, with Node.js installed:`,
    '',
    '    npx anemone decrypt --out ./restored ./backup     (it asks for the key above)',
    '',
  ].join('\n');
}

/** A file name for the kit: anemone-recovery-kit-<server>-<user>.txt */
export function userRecoveryKitFileName(serverName: string, username: string): string {
  return `anemone-recovery-kit-${serverName}-${username}.txt`;
}
