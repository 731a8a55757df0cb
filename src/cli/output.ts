/** `--json`: one JSON document on standard output, for scripts (messages and progress stay on stderr). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
