import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundaryOf, MjpegError, MjpegParser } from './mjpeg.js';

const jpeg = (n: number, fill = 7) => {
  const b = Buffer.alloc(n, fill);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  return b;
};

const hex = (b: Buffer) => b.toString('hex');

function part(body: Buffer, opts: { length?: boolean; eol?: string; boundary?: string } = {}) {
  const eol = opts.eol ?? '\r\n';
  const headers = [`--${opts.boundary ?? 'frame'}`, 'Content-Type: image/jpeg'];
  if (opts.length !== false) headers.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(headers.join(eol) + eol + eol, 'latin1'), body, Buffer.from(eol)]);
}

function collect(boundary = 'frame', max = 1 << 20, wanted: () => boolean = () => true) {
  const parts: Buffer[] = [];
  const types: (string | null)[] = [];
  const parser = new MjpegParser(boundary, max, {
    wanted,
    part: (b, t) => {
      parts.push(Buffer.from(b));
      types.push(t);
    },
  });
  return { parser, parts, types };
}

function errorOf(fn: () => void): MjpegError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MjpegError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('boundaryOf', () => {
  it('reads the boundary, quoted or not, with or without leading --', () => {
    expect(boundaryOf('multipart/x-mixed-replace;boundary=frame')).toBe('frame');
    expect(boundaryOf('multipart/x-mixed-replace; boundary="my boundary"')).toBe('my boundary');
    expect(boundaryOf('Multipart/X-Mixed-Replace; charset=x; Boundary=--myboundary')).toBe('myboundary');
    expect(boundaryOf('multipart/x-mixed-replace')).toBeNull();
    expect(boundaryOf('image/jpeg')).toBeNull();
    expect(boundaryOf(undefined)).toBeNull();
    expect(boundaryOf(`multipart/x-mixed-replace;boundary=${'x'.repeat(300)}`)).toBeNull();
  });
});

describe('MjpegParser', () => {
  it('parts with Content-Length, whatever the chunking', () => {
    const bodies = [jpeg(1000, 1), jpeg(10, 2), jpeg(5000, 3)];
    const stream = Buffer.concat([Buffer.from('preamble\r\n'), ...bodies.map((b) => part(b))]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
        const { parser, parts, types } = collect();
        let from = 0;
        for (const at of [...new Set(cuts)].sort((a, b) => a - b)) {
          parser.push(stream.subarray(from, at));
          from = at;
        }
        parser.push(stream.subarray(from));
        expect(parts.map(hex)).toEqual(bodies.map(hex));
        expect(types).toEqual(['image/jpeg', 'image/jpeg', 'image/jpeg']);
      }),
      { numRuns: 200 },
    );
  });

  it('parts without Content-Length (found by the boundary), bare \\n line ends, byte by byte', () => {
    const bodies = [jpeg(300, 4), jpeg(700, 5)];
    const stream = Buffer.concat(bodies.map((b) => part(b, { length: false, eol: '\n' })));
    const { parser, parts } = collect();
    for (let i = 0; i < stream.length; i++) parser.push(stream.subarray(i, i + 1));
    // The second part ends only when the next boundary arrives.
    expect(parts).toEqual([bodies[0]]);
    parser.push(Buffer.from('--frame\n'));
    expect(parts).toEqual(bodies);
  });

  it('a part with no header block, a boundary declared with --, a closing delimiter', () => {
    const { parser, parts } = collect('myboundary');
    parser.push(Buffer.concat([Buffer.from('--myboundary\r\n'), jpeg(50), Buffer.from('\r\n')]));
    parser.push(part(jpeg(60), { boundary: 'myboundary' }));
    parser.push(Buffer.from('--myboundary--\r\n'));
    parser.push(Buffer.from('anything after the end is ignored'));
    expect(parts).toEqual([jpeg(50), jpeg(60)]);
    expect(() => parser.finish()).not.toThrow();
  });

  it('skips the parts not wanted without keeping them', () => {
    let n = 0;
    const { parser, parts } = collect('frame', 1 << 20, () => n++ % 3 === 0);
    for (let i = 0; i < 9; i++) parser.push(part(jpeg(100, i), { length: i % 2 === 0 }));
    parser.push(Buffer.from('--frame\r\n'));
    expect(parts.map((p) => p[5])).toEqual([0, 3, 6]);
  });

  it('refuses a part whose Content-Length passes the limit before reading it', () => {
    const { parser } = collect('frame', 1000);
    const e = errorOf(() => parser.push(Buffer.from('--frame\r\nContent-Length: 52428800\r\n\r\n\xff\xd8', 'latin1')));
    expect(e.kind).toBe('too_large');
  });

  it('an endless part without length: refused once past the limit, holding little more than the limit', () => {
    const max = 100_000;
    const { parser } = collect('frame', max);
    parser.push(Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'));
    let fed = 0;
    const chunk = jpeg(16 * 1024);
    const e = errorOf(() => {
      for (;;) {
        parser.push(chunk);
        fed += chunk.length;
        if (fed > 10 * max) return;
      }
    });
    expect(e.kind).toBe('too_large');
    expect(fed).toBeLessThanOrEqual(max + chunk.length);
  });

  it('a skipped endless part is refused too', () => {
    const { parser } = collect('frame', 50_000, () => false);
    parser.push(Buffer.from('--frame\r\n\r\n'));
    const e = errorOf(() => {
      for (let i = 0; i < 100; i++) parser.push(Buffer.alloc(8192, 1));
    });
    expect(e.kind).toBe('too_large');
  });

  it('garbage without a boundary: bad_stream after the limit; oversized headers too', () => {
    const { parser } = collect('frame', 50_000);
    expect(
      errorOf(() => {
        for (let i = 0; i < 100; i++) parser.push(Buffer.alloc(8192, 0x41));
      }).kind,
    ).toBe('bad_stream');
    const h = collect('frame').parser;
    expect(
      errorOf(() => {
        h.push(Buffer.from('--frame\r\n'));
        for (let i = 0; i < 10; i++) h.push(Buffer.from(`X-Filler: ${'y'.repeat(1000)}`));
      }).kind,
    ).toBe('bad_stream');
  });

  it('a stream that ends in the middle of a part is `closed`; between parts it is not', () => {
    const { parser, parts } = collect();
    parser.push(part(jpeg(100)));
    expect(() => parser.finish()).not.toThrow();
    parser.push(part(jpeg(100)).subarray(0, 80));
    expect(errorOf(() => parser.finish()).kind).toBe('closed');
    expect(parts).toHaveLength(1);
  });
});
