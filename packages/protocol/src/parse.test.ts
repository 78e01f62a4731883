import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './parse.js';
import { ClientMessage } from './schemas.js';

describe('parseClientMessage', () => {
  it('accepts the guide and protocol commands', () => {
    expect(parseClientMessage('{"type":"ping","timestamp":"2025-10-10T12:00:00.000Z"}')).toEqual({
      ok: true,
      message: { type: 'ping', timestamp: '2025-10-10T12:00:00.000Z' },
    });
    expect(parseClientMessage('{"type":"subscribe","event_types":["statistics_update","camera_event"]}')).toEqual({
      ok: true,
      message: { type: 'subscribe', event_types: ['statistics_update', 'camera_event'] },
    });
    expect(parseClientMessage('{"type":"subscribe","event_types":["alert"],"camera_ids":[1,2,2]}')).toMatchObject({
      message: { camera_ids: [1, 2] },
    });
    expect(parseClientMessage('{"type":"unsubscribe","event_types":["camera_event"]}').ok).toBe(true);
    expect(parseClientMessage('{"type":"auth","token":"a.b.c"}').ok).toBe(true);
  });

  it.each([
    ['{"type":', 'invalid_json'],
    ["__import__('os').system('id')", 'invalid_json'],
    ["require('child_process')", 'invalid_json'],
    ['[]', 'invalid_message'],
    ['"x"', 'invalid_message'],
    ['null', 'invalid_message'],
    ['1e999', 'invalid_message'],
    ['{"type":5}', 'invalid_message'],
    ['{"type":"nope"}', 'unknown_type'],
    [`{"type":"${'x'.repeat(10_000)}"}`, 'unknown_type'],
    ['{"type":"subscribe","event_types":["bogus"]}', 'unknown_event_type'],
    ['{"type":"subscribe","event_types":["alert"],"camera_ids":[-1]}', 'invalid_message'],
    ['{"type":"subscribe","event_types":["alert"],"camera_ids":["1"]}', 'invalid_message'],
    [`{"type":"subscribe","event_types":[${'"alert",'.repeat(100)}"alert"]}`, 'invalid_message'],
    ['{"type":"auth","token":""}', 'invalid_message'],
    [`${'['.repeat(30_000)}${']'.repeat(30_000)}`, 'invalid_message'],
    [`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 'invalid_message'],
  ])('refuses %s with %s', (text, code) => {
    const r = parseClientMessage(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeLessThan(200);
    }
  });

  it('never echoes a long type back', () => {
    const r = parseClientMessage(`{"type":"${'y'.repeat(10_000)}"}`);
    expect(JSON.stringify(r).length).toBeLessThan(200);
  });

  it('for any string: a valid command or an error, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (text) => {
        const r = parseClientMessage(text);
        if (r.ok) expect(Value.Check(ClientMessage, r.message)).toBe(true);
        else expect(['invalid_json', 'invalid_message', 'unknown_type', 'unknown_event_type']).toContain(r.code);
      }),
      { numRuns: 2000 },
    );
  });

  it('for any JSON object with a known type: the result validates against the schema', () => {
    const command = fc.record(
      {
        type: fc.constantFrom('ping', 'subscribe', 'unsubscribe', 'auth'),
        timestamp: fc.oneof(fc.string(), fc.double(), fc.constant(null)),
        event_types: fc.oneof(
          fc.array(fc.constantFrom('statistics_update', 'camera_event', 'alert', 'presence_update', 'x')),
          fc.anything(),
        ),
        camera_ids: fc.oneof(fc.constant(null), fc.array(fc.integer()), fc.anything()),
        token: fc.oneof(fc.string(), fc.anything()),
        __proto__: fc.anything(),
      },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(command, (obj) => {
        const r = parseClientMessage(JSON.stringify(obj));
        if (r.ok) expect(Value.Check(ClientMessage, r.message)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('cannot pollute prototypes', () => {
    for (const text of [
      '{"type":"subscribe","event_types":["alert"],"__proto__":{"isAdmin":true}}',
      '{"type":"subscribe","event_types":["alert"],"constructor":{"prototype":{"isAdmin":true}}}',
      '{"__proto__":{"type":"ping"}}',
    ]) {
      const r = parseClientMessage(text);
      if (r.ok) expect(Object.getPrototypeOf(r.message)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    }
    expect(parseClientMessage('{"__proto__":{"type":"ping"}}').ok).toBe(false);
  });
});
