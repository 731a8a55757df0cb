import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, EXIT } from './errors.js';

/**
 * Secrets never come from the command line (it shows in `ps` and the shell's
 * history): a line of standard input when the flag asks for it, else an
 * environment variable, else a hidden prompt when standard input is a terminal.
 */
export async function readSecret(source: {
  /** The `--…-stdin` flag was given. */
  fromStdin: boolean;
  envName: string;
  /** What to ask at a terminal, e.g. "User key: ". */
  prompt: string;
  /** The error when none of the ways gave a secret. */
  missing: { message: string; hint: string };
}): Promise<string> {
  let secret: string | undefined;
  if (source.fromStdin) secret = await readFirstLine(process.stdin);
  else if (process.env[source.envName]) secret = process.env[source.envName];
  else if (process.stdin.isTTY) secret = await promptHidden(source.prompt, process.stdin, process.stderr);
  if (!secret) throw new CliError(source.missing.message, source.missing.hint, EXIT.usage);
  return secret;
}

export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/**
 * Asks at a terminal without echoing what is typed: readline writes its echo
 * to an output that drops everything once the prompt is shown.
 */
export function promptHidden(prompt: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  let muted = false;
  const mutedOutput = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const reader = createInterface({ input, output: mutedOutput, terminal: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    reader.question(prompt, (answer) => {
      answered = true;
      reader.close();
      output.write('\n');
      resolve(answer);
    });
    muted = true;
    // in raw mode Ctrl-C reaches readline, not the process
    reader.on('SIGINT', () => {
      // settled before close(), whose 'close' below would otherwise answer empty
      reject(new CliError('Cancelled at the prompt', 'Nothing was done.'));
      reader.close();
      output.write('\n');
    });
    // Ctrl-D: no answer
    reader.on('close', () => {
      if (!answered) resolve('');
    });
  });
}
