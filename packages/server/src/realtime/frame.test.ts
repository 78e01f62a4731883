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
