/**
 * A 32-byte user key as people read and type it. Shown in two forms:
 * base64 (44 characters, what the API has always returned) and Crockford
 * base32 in groups of four (`7K3M-Q2ZD-…`, 13 groups): no I, L, O or U, so
 * nothing can be misread on paper. Either form is accepted when typed back.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_BYTES = 32;
/** 256 bits in 5-bit symbols: 52 symbols, the last holding 1 bit and 4 zero bits. */
const GROUPED_SYMBOLS = Math.ceil((KEY_BYTES * 8) / 5);
const GROUP_LENGTH = 4;

/** Crockford's reading of look-alikes: O is 0, I and L are 1. */
const LOOK_ALIKES: Record<string, string> = { O: '0', I: '1', L: '1' };

/** The key in groups of four Crockford base32 characters joined by dashes. */
export function groupedKeyText(key: Buffer): string {
  if (key.length !== KEY_BYTES) throw new RangeError(`A user key has ${KEY_BYTES} bytes, not ${key.length}`);
  let bits = 0;
  let value = 0;
  let symbols = '';
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      symbols += CROCKFORD[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) symbols += CROCKFORD[(value << (5 - bits)) & 31];
  return symbols.match(new RegExp(`.{1,${GROUP_LENGTH}}`, 'g'))!.join('-');
}

function fromBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  const key = Buffer.from(compact, 'base64');
  return key.length === KEY_BYTES && key.toString('base64') === compact ? key : undefined;
}

function fromGrouped(text: string): Buffer | undefined {
  const symbols = text
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/[OIL]/g, (letter) => LOOK_ALIKES[letter] ?? letter);
  if (symbols.length !== GROUPED_SYMBOLS) return undefined;
  const key = Buffer.alloc(KEY_BYTES);
  let bits = 0;
  let value = 0;
  let written = 0;
  for (const symbol of symbols) {
    const digit = CROCKFORD.indexOf(symbol);
    if (digit < 0) return undefined;
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      key[written++] = (value >> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  // the 4 bits after the key are zero in every key this server wrote: anything else is a typo in the last group
  return value === 0 ? key : undefined;
}

/**
 * A typed-back key in either form, or undefined when it is neither. Spaces,
 * line breaks and dashes are ignored; the grouped form is read in any case.
 */
export function parseKeyText(text: string): Buffer | undefined {
  return fromBase64(text) ?? fromGrouped(text);
}

/** What to tell a person whose key text was not understood. */
export const KEY_TEXT_HINT =
  'Type the key as it was shown at activation: 13 groups of 4 letters and digits (like 7K3M-Q2ZD-…), or the 44 characters ending in "=".';
