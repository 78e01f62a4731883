/**
 * Synthetic camera frames for the simulator (`serve --demo`, `openeye simulate`): a 320×240 JPEG of
 * a gradient in the camera's own colour, a ball moving across it, the camera's name and the time
 * drawn with a 5×7 bitmap font (media/font.ts). So a new user sees live views at once.
 *
 * Cost: one RGBA canvas shared by every camera (frames are drawn and encoded synchronously, one at
 * a time), a background per camera drawn once, and one reused jpeg-js encoder. jpeg-js's `encode()`
 * builds a new encoder per call, whose tables (two 64K-entry arrays of arrays) cost ~100 ms of CPU
 * and garbage per frame; the encoder object itself is reusable, but jpeg-js does not export it, so
 * it is taken from jpeg-js's own encoder source (falling back to `encode()` if that ever fails).
 * Measured: ~3–4 ms per frame instead of ~100.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

export const SYNTHETIC_WIDTH = 320;
export const SYNTHETIC_HEIGHT = 240;
const QUALITY = 60;

const require = createRequire(import.meta.url);

interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}
type Encode = (image: RawImage) => Buffer;

function makeEncoder(): Encode {
  try {
    const file = require.resolve('jpeg-js/lib/encoder.js');
    const load = vm.compileFunction(
      `${fs.readFileSync(file, 'utf8')}\nreturn typeof JPEGEncoder === 'function' ? JPEGEncoder : null;`,
      ['module', 'exports', 'require'],
      { filename: file },
    );
    const JPEGEncoder = load({ exports: {} }, {}, require) as
      | (new (
          quality: number,
        ) => { encode(image: RawImage, quality: number): Buffer })
      | null;
    if (JPEGEncoder) {
      const encoder = new JPEGEncoder(QUALITY);
      return (image) => encoder.encode(image, QUALITY);
    }
  } catch {
    // below: the public, slower API
  }
  const { encode } = require('jpeg-js') as typeof import('jpeg-js');
  return (image) => encode(image, QUALITY).data;
}

let encoder: Encode | null = null;
let canvas: Buffer | null = null;

type Rgb = readonly [number, number, number];

/** A colour of the hue wheel, for camera `index`. */
function hue(index: number, lightness: number): Rgb {
  const h = ((index * 0.381966) % 1) * 6;
  const x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] =
    h < 1 ? [1, x, 0] : h < 2 ? [x, 1, 0] : h < 3 ? [0, 1, x] : h < 4 ? [0, x, 1] : h < 5 ? [x, 0, 1] : [1, 0, x];
  return [Math.round(r * lightness), Math.round(g * lightness), Math.round(b * lightness)];
}

/** Draws `text` with its top-left at (x, y), each font pixel `scale`×`scale`, clipped to the canvas. */
export function drawText(
  target: Uint8Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  scale: number,
  color: Rgb,
): void {
  for (let i = 0; i < text.length; i++) {
    const rows = glyph(text[i]!);
    const gx = x + i * ADVANCE * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = rows[row]!;
      if (bits === 0) continue;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - col))) === 0) continue;
        fillRect(target, width, height, gx + col * scale, y + row * scale, scale, scale, color);
      }
    }
  }
}

function fillRect(t: Uint8Array, width: number, height: number, x: number, y: number, w: number, h: number, c: Rgb) {
  const x0 = Math.max(0, x);
  const x1 = Math.min(width, x + w);
  for (let yy = Math.max(0, y); yy < Math.min(height, y + h); yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const p = (yy * width + xx) * 4;
      t[p] = c[0];
      t[p + 1] = c[1];
      t[p + 2] = c[2];
    }
  }
}

function fillCircle(t: Uint8Array, width: number, height: number, cx: number, cy: number, r: number, c: Rgb) {
  for (let dy = -r; dy <= r; dy++) {
    const half = Math.floor(Math.sqrt(r * r - dy * dy));
    fillRect(t, width, height, cx - half, cy + dy, 2 * half + 1, 1, c);
  }
}

/** 0 → 1 → 0 over `periodMs`. */
function triangle(now: number, periodMs: number): number {
  const p = (now % periodMs) / periodMs;
  return p < 0.5 ? p * 2 : 2 - p * 2;
}

/** Text with a dark shadow, readable on any background. */
function label(t: Uint8Array, text: string, x: number, y: number, scale: number) {
  drawText(t, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, text, x + 1, y + 1, scale, [0, 0, 0]);
  drawText(t, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, text, x, y, scale, [255, 255, 255]);
}

function timestamp(now: number): string {
  return new Date(now).toISOString().replace('T', ' ').slice(0, 23);
}

/** One simulated camera's picture. */
export class SyntheticCamera {
  private readonly background: Buffer;
  private readonly ball: Rgb;
  private readonly name: string;

  constructor(name: string, index: number) {
    this.name = name.length > 24 ? `${name.slice(0, 23)}.` : name;
    this.ball = hue(index + 3, 255);
    this.background = Buffer.alloc(SYNTHETIC_WIDTH * SYNTHETIC_HEIGHT * 4);
    const top = hue(index, 120);
    for (let y = 0; y < SYNTHETIC_HEIGHT; y++) {
      const f = 1 - (y / SYNTHETIC_HEIGHT) * 0.8;
      const row: Rgb = [Math.round(top[0] * f) + 20, Math.round(top[1] * f) + 20, Math.round(top[2] * f) + 20];
      fillRect(this.background, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, 0, y, SYNTHETIC_WIDTH, 1, row);
    }
    for (let p = 3; p < this.background.length; p += 4) this.background[p] = 255;
    // A horizon line and a few posts, so the ball visibly moves against something.
    fillRect(this.background, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, 0, 170, SYNTHETIC_WIDTH, 2, [200, 200, 200]);
    for (let x = 20; x < SYNTHETIC_WIDTH; x += 60) {
      fillRect(this.background, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, x, 150, 4, 20, [180, 180, 180]);
    }
  }

  /** The frame at `now` (ms since the epoch) as a JPEG. */
  render(now: number): Buffer {
    canvas ??= Buffer.alloc(SYNTHETIC_WIDTH * SYNTHETIC_HEIGHT * 4);
    encoder ??= makeEncoder();
    const t = canvas;
    this.background.copy(t);
    const r = 18;
    const x = r + Math.round(triangle(now, 5300) * (SYNTHETIC_WIDTH - 2 * r - 1));
    const y = 44 + r + Math.round(triangle(now, 3100) * (150 - 44 - 2 * r));
    fillCircle(t, SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, x, y, r, this.ball);
    label(t, this.name, 8, 8, 2);
    label(t, 'SIMULATED - TIME IN UTC', 8, 28, 1);
    label(t, timestamp(now), 8, SYNTHETIC_HEIGHT - 22, 2);
    return encoder({ data: t, width: SYNTHETIC_WIDTH, height: SYNTHETIC_HEIGHT });
  }
}
