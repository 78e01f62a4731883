import { describe, expect, it } from 'vitest';
import {
  type ConnectionEvent,
  type ConnectionStatus,
  canTransition,
  IllegalTransitionError,
  TRANSITIONS,
  transition,
} from './state-machine.js';

const statuses: ConnectionStatus[] = ['disconnected', 'connecting', 'connected', 'reconnecting', 'polling', 'error'];
const events: ConnectionEvent[] = ['connect', 'welcome', 'lost', 'fallback', 'fail', 'disconnect'];

describe('connection state machine', () => {
  it('has exactly this transition table', () => {
    const table: Record<string, Record<string, string>> = {};
    for (const from of statuses) {
      table[from] = {};
      for (const event of events) if (canTransition(from, event)) table[from][event] = transition(from, event);
    }
    expect(table).toEqual({
      disconnected: { connect: 'connecting', disconnect: 'disconnected' },
      connecting: {
        welcome: 'connected',
        lost: 'reconnecting',
        fallback: 'polling',
        fail: 'error',
        disconnect: 'disconnected',
      },
      connected: { lost: 'reconnecting', fallback: 'polling', fail: 'error', disconnect: 'disconnected' },
      reconnecting: {
        welcome: 'connected',
        lost: 'reconnecting',
        fallback: 'polling',
        fail: 'error',
        disconnect: 'disconnected',
      },
      polling: {
        welcome: 'connected',
        lost: 'polling',
        fallback: 'polling',
        fail: 'error',
        disconnect: 'disconnected',
      },
      error: { connect: 'connecting', disconnect: 'disconnected' },
    });
  });

  it('throws IllegalTransitionError for a pair not in the table', () => {
    expect(() => transition('disconnected', 'welcome')).toThrow(IllegalTransitionError);
    expect(() => transition('connected', 'connect')).toThrow('Event "connect" is not allowed in status "connected"');
  });

  it('reaches disconnected from every status and connected only through a welcome', () => {
    for (const from of statuses) expect(transition(from, 'disconnect')).toBe('disconnected');
    for (const from of statuses) {
      for (const event of events) {
        if (TRANSITIONS[from][event] === 'connected') expect(event).toBe('welcome');
      }
    }
  });

  it('keeps polling while socket attempts fail in the background', () => {
    expect(transition('polling', 'lost')).toBe('polling');
    expect(transition('polling', 'fallback')).toBe('polling');
  });

  it('has terminal statuses left only by connect or disconnect', () => {
    for (const terminal of ['disconnected', 'error'] as const) {
      expect(Object.keys(TRANSITIONS[terminal]).sort()).toEqual(['connect', 'disconnect']);
    }
  });
});
