import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { KIT_MAGIC, deriveKitKey, kitParamsOf, newKitKeyParams, openKit, openKitWithPassphrase, sealKit } from './kit-envelope.js';

const rejectsWith = (code: string) => (error: unknown) => error instanceof AnemoneError && error.code === code;

describe('the recovery kit envelope', () => {
  it('opens with its passphrase only, and never holds the plaintext', async () => {
    const plaintext = Buffer.from(JSON.stringify({ secret: 'the master key is here' }));
    const kitKey = await deriveKitKey('correct horse battery staple', newKitKeyParams());
    const sealed = sealKit(plaintext, kitKey);
    assert.ok(sealed.subarray(0, KIT_MAGIC.length).equals(KIT_MAGIC), 'starts with its magic');
    assert.equal(sealed.indexOf(Buffer.from('master key')), -1);
    assert.deepEqual(kitParamsOf(sealed), kitKey.params);

    const opened = await openKitWithPassphrase(sealed, 'correct horse battery staple');
    assert.ok(opened.plaintext.equals(plaintext));
    await assert.rejects(openKitWithPassphrase(sealed, 'correct horse battery stapler'), rejectsWith('KIT_PASSPHRASE_WRONG'));
  });

  it('seals many kits with one derived key, each with its own nonce', async () => {
    const kitKey = await deriveKitKey('a passphrase of some length', newKitKeyParams());
    const first = sealKit(Buffer.from('same'), kitKey);
    const second = sealKit(Buffer.from('same'), kitKey);
    assert.notDeepEqual(first, second);
    assert.equal(openKit(second, kitKey).toString(), 'same');
  });

  it('refuses a file whose header or body was edited, and files that are not kits', async () => {
    const kitKey = await deriveKitKey('a passphrase of some length', newKitKeyParams());
    const sealed = sealKit(Buffer.from('content'), kitKey);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] as number) ^ 1;
    assert.throws(() => openKit(flipped, kitKey), rejectsWith('KIT_PASSPHRASE_WRONG'));
    const nonce = Buffer.from(sealed);
    nonce[KIT_MAGIC.length + 4 + 16] = (nonce[KIT_MAGIC.length + 4 + 16] as number) ^ 1;
    assert.throws(() => openKit(nonce, kitKey), rejectsWith('KIT_PASSPHRASE_WRONG'));
    assert.throws(() => kitParamsOf(Buffer.from('PK\x03\x04 a zip file, not a kit at all')), rejectsWith('KIT_INVALID'));
    const greedy = Buffer.from(sealed);
    greedy[KIT_MAGIC.length] = 30;
    assert.throws(() => kitParamsOf(greedy), rejectsWith('KIT_INVALID'), 'scrypt parameters needing gigabytes are refused before scrypt runs');
  });
});
