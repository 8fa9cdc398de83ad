import { describe, expect, it } from 'vitest';
import { decodeLzw } from '../../../workers/lzw.js';

/** Packs 9-bit codes MSB first, as a TIFF LZW encoder writes them before the table grows. */
function pack9(codes: number[]): Uint8Array {
  let bits = '';
  for (const code of codes) bits += code.toString(2).padStart(9, '0');
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  return Uint8Array.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

describe('decodeLzw', () => {
  it('decodes literals and table codes, including the code being defined (KwKwK)', () => {
    // "ABABABA": A B <AB=258> <ABA=260, not yet defined when read> then EOI.
    const codes = [256, 65, 66, 258, 260, 257];
    expect(new TextDecoder().decode(decodeLzw(pack9(codes)))).toBe('ABABABA');
  });
  it('restarts the table at a ClearCode', () => {
    expect(new TextDecoder().decode(decodeLzw(pack9([256, 72, 73, 256, 72, 72, 258, 257])))).toBe('HIHHHH');
  });
  it('refuses a code beyond the table', () => {
    expect(() => decodeLzw(pack9([256, 65, 300, 257]))).toThrow(/beyond the table/);
  });
  it('does not mutate its input', () => {
    const input = pack9([256, 65, 66, 257]);
    const copy = input.slice();
    decodeLzw(input);
    expect(input).toEqual(copy);
  });
});
