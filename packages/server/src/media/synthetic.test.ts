import { imageSize, sniffImage } from '@openeye/protocol';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { GLYPH_HEIGHT, glyph } from './font.js';
import { drawText, SYNTHETIC_HEIGHT, SYNTHETIC_WIDTH, SyntheticCamera } from './synthetic.js';

describe('the bitmap font', () => {
  it('draws a glyph pixel for pixel; lower case as upper case, unknown characters as ?', () => {
    const w = 6;
    const h = 7;
    const target = new Uint8Array(w * h * 4);
    drawText(target, w, h, '8', 0, 0, 1, [255, 255, 255]);
    const rows: string[] = [];
    for (let y = 0; y < h; y++) {
      let row = '';
      for (let x = 0; x < 5; x++) row += target[(y * w + x) * 4] === 255 ? '#' : '.';
      rows.push(row);
    }
    expect(rows).toEqual(['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.']);
    expect(glyph('a')).toEqual(glyph('A'));
    expect(glyph('é')).toEqual(glyph('?'));
    expect(glyph('Z')).toHaveLength(GLYPH_HEIGHT);
  });

  it('clips at the edges instead of writing outside the canvas', () => {
    const target = new Uint8Array(4 * 4 * 4);
    drawText(target, 4, 4, 'WWWW', -3, -3, 3, [1, 2, 3]);
    expect(target.length).toBe(64);
  });
});

describe('a synthetic camera', () => {
  it('renders a 320×240 JPEG that moves with time', () => {
    const cam = new SyntheticCamera('Front door', 0);
    const a = cam.render(Date.UTC(2025, 0, 1, 12, 0, 0));
    const b = cam.render(Date.UTC(2025, 0, 1, 12, 0, 1, 500));
    expect(sniffImage(a)).toBe('image/jpeg');
    expect(imageSize(a, 'image/jpeg')).toEqual({ width: SYNTHETIC_WIDTH, height: SYNTHETIC_HEIGHT });
    const decoded = jpeg.decode(a);
    expect([decoded.width, decoded.height]).toEqual([320, 240]);
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBeLessThan(30_000);
  });

  it('costs a few ms of CPU per frame (the reused encoder), not the ~100 ms of jpeg-js encode()', () => {
    const cams = ['Front door', 'Parking lot', 'Lobby', 'Warehouse'].map((n, i) => new SyntheticCamera(n, i));
    for (let i = 0; i < 8; i++) cams[i % 4]!.render(i * 200); // warm up
    const n = 40;
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) cams[i % 4]!.render(Date.now() + i * 200);
    const used = process.cpuUsage(before);
    const msPerFrame = (used.user + used.system) / 1000 / n;
    // ~3 ms here; the bound is generous for a loaded machine, and far below the 100 ms of encode().
    expect(msPerFrame).toBeLessThan(30);
  });
});
