import { describe, expect, it } from 'vitest';
import { Receiver } from 'ws';
import { textFrame } from './frame.js';

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 65535, 65536, 200_000])('is read back by ws for a %i-byte payload', async (n) => {
    const text = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
    const receiver = new Receiver({ isServer: false });
    const got = new Promise<string>((resolve) => receiver.on('message', (data: Buffer) => resolve(data.toString())));
    receiver.write(textFrame(text));
    expect(await got).toBe(text);
  });
});
