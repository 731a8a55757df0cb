import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { promptHidden } from './secret-input.js';

/** A terminal's input: readline turns raw mode on and off through setRawMode. */
function fakeTerminal(): PassThrough & { isTTY: boolean; rawModes: boolean[]; setRawMode(mode: boolean): void } {
  const rawModes: boolean[] = [];
  return Object.assign(new PassThrough(), { isTTY: true, rawModes, setRawMode: (mode: boolean) => void rawModes.push(mode) });
}

function capture(): Writable & { text(): string } {
  let written = '';
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  return Object.assign(output, { text: () => written });
}

describe('promptHidden', () => {
  it('shows the prompt, returns what was typed, and never echoes it', async () => {
    const input = fakeTerminal();
    const output = capture();
    const answer = promptHidden('User key: ', input, output);
    input.write('s3cret-key+/=\r');
    assert.equal(await answer, 's3cret-key+/=');
    assert.match(output.text(), /User key: /);
    assert.doesNotMatch(output.text(), /s3cret/);
    assert.deepEqual(input.rawModes, [true, false], 'raw mode on while typing, off after');
  });

  it('answers empty on Ctrl-D, so the caller says what is missing', async () => {
    const input = fakeTerminal();
    const answer = promptHidden('Password: ', input, capture());
    input.write('\u0004');
    assert.equal(await answer, '');
  });

  it('cancels on Ctrl-C', async () => {
    const input = fakeTerminal();
    const answer = promptHidden('Password: ', input, capture());
    input.write('\u0003');
    await assert.rejects(answer, /Cancelled at the prompt/);
  });
});
