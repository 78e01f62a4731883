/**
 * A 5×7 bitmap font for the synthetic camera frames: digits, capitals and the punctuation of
 * names and timestamps (lower case is drawn as upper case, anything else as `?`). Each glyph is
 * seven rows, top first, of five bits, the leftmost the highest.
 */
const GLYPHS: Record<string, string> = {
  ' ': '00 00 00 00 00 00 00',
  '0': '0E 11 13 15 19 11 0E',
  '1': '04 0C 04 04 04 04 0E',
  '2': '0E 11 01 02 04 08 1F',
  '3': '1F 02 04 02 01 11 0E',
  '4': '02 06 0A 12 1F 02 02',
  '5': '1F 10 1E 01 01 11 0E',
  '6': '06 08 10 1E 11 11 0E',
  '7': '1F 01 02 04 08 08 08',
  '8': '0E 11 11 0E 11 11 0E',
  '9': '0E 11 11 0F 01 02 0C',
  A: '0E 11 11 11 1F 11 11',
  B: '1E 11 11 1E 11 11 1E',
  C: '0E 11 10 10 10 11 0E',
  D: '1C 12 11 11 11 12 1C',
  E: '1F 10 10 1E 10 10 1F',
  F: '1F 10 10 1E 10 10 10',
  G: '0E 11 10 17 11 11 0F',
  H: '11 11 11 1F 11 11 11',
  I: '0E 04 04 04 04 04 0E',
  J: '07 02 02 02 02 12 0C',
  K: '11 12 14 18 14 12 11',
  L: '10 10 10 10 10 10 1F',
  M: '11 1B 15 15 11 11 11',
  N: '11 11 19 15 13 11 11',
  O: '0E 11 11 11 11 11 0E',
  P: '1E 11 11 1E 10 10 10',
  Q: '0E 11 11 11 15 12 0D',
  R: '1E 11 11 1E 14 12 11',
  S: '0F 10 10 0E 01 01 1E',
  T: '1F 04 04 04 04 04 04',
  U: '11 11 11 11 11 11 0E',
  V: '11 11 11 11 11 0A 04',
  W: '11 11 11 15 15 15 0A',
  X: '11 11 0A 04 0A 11 11',
  Y: '11 11 11 0A 04 04 04',
  Z: '1F 01 02 04 08 10 1F',
  '.': '00 00 00 00 00 0C 0C',
  ',': '00 00 00 00 0C 04 08',
  ':': '00 0C 0C 00 0C 0C 00',
  '-': '00 00 00 1F 00 00 00',
  '+': '00 04 04 1F 04 04 00',
  '/': '00 01 02 04 08 10 00',
  '(': '02 04 08 08 08 04 02',
  ')': '08 04 02 02 02 04 08',
  "'": '0C 04 08 00 00 00 00',
  _: '00 00 00 00 00 00 1F',
  '#': '0A 0A 1F 0A 1F 0A 0A',
  '!': '04 04 04 04 04 00 04',
  '?': '0E 11 01 02 04 00 04',
  '&': '0C 12 14 08 15 12 0D',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** A glyph and the column after it. */
export const ADVANCE = GLYPH_WIDTH + 1;

const ROWS = new Map<string, number[]>(
  Object.entries(GLYPHS).map(([ch, rows]) => [ch, rows.split(' ').map((h) => Number.parseInt(h, 16))]),
);

/** The seven row bitmasks of a character. */
export function glyph(ch: string): readonly number[] {
  return ROWS.get(ch.toUpperCase()) ?? ROWS.get('?')!;
}
