import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { quotePlus, unquotePlus } from '../../../src/shared/encoding.ts';

describe('quote_plus encoding', () => {
  it.each([
    ['alice@example.com', 'alice%40example.com'],
    ['a/b?c=d&e', 'a%2Fb%3Fc%3Dd%26e'],
    ["o'brien (ops)*!", 'o%27brien+%28ops%29%2A%21'],
    [' leading and trailing ', '+leading+and+trailing+'],
    ['100%+1~x', '100%25%2B1~x'],
    ['Zoë Ålund', 'Zo%C3%AB+%C3%85lund'],
    ['用户', '%E7%94%A8%E6%88%B7'],
    ['🙂', '%F0%9F%99%82'],
    ['a_b.c-d~e', 'a_b.c-d~e'],
  ])('%j -> %s', (input, expected) => {
    expect(quotePlus(input)).toBe(expected);
    expect(unquotePlus(expected)).toBe(input);
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(unquotePlus(quotePlus(s))).toBe(s);
      }),
    );
  });

  it('decodes %2B as a plus and + as a space', () => {
    expect(unquotePlus('a%2Bb+c')).toBe('a+b c');
  });

  it('rejects malformed escapes and invalid UTF-8', () => {
    expect(unquotePlus('%')).toBeNull();
    expect(unquotePlus('%G0')).toBeNull();
    expect(unquotePlus('%C3')).toBeNull();
  });
});
