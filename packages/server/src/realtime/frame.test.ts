import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { textFrame } from './frame.js';

/** ws's frame parser (lib/receiver.js): exported at runtime, not declared by @types/ws. */
interface Receiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
}
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => Receiver };

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 65535, 65536, 200_000])('is read back by ws for a %i-byte payload', async (n) => {
    const text = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
    const receiver = new Receiver({ isServer: false });
    const got = new Promise<string>((resolve) => receiver.on('message', (data: Buffer) => resolve(data.toString())));
    receiver.write(textFrame(text));
    expect(await got).toBe(text);
  });
});

describe('cameraFrame', () => {
  it.each([10, 40_000, 70_000])(
    'is read back by ws as one binary message with the header of protocol.md (%i bytes)',
    async (n) => {
      const { decodeFrame } = await import('@openeye/protocol');
      const { cameraFrame } = await import('./frame.js');
      const image = Buffer.alloc(n, 7);
      image[0] = 0xff;
      const header = {
        cameraId: 42,
        seq: 7,
        timestamp: 1_796_000_000_123.5,
        contentType: 'image/jpeg' as const,
        width: 640,
        height: 480,
      };
      const receiver = new Receiver({ isServer: false });
      const got = new Promise<Buffer>((resolve) =>
        receiver.on('message', (data: Buffer, isBinary: boolean) => {
          expect(isBinary).toBe(true);
          resolve(data);
        }),
      );
      receiver.write(cameraFrame(header, image));
      const decoded = decodeFrame(new Uint8Array(await got));
      expect(decoded?.header).toEqual(header);
      expect(Buffer.from(decoded!.image).equals(image)).toBe(true);
    },
  );
});
