/**
 * Test helpers: a recording WebSocket client and JSON HTTP calls against a real server. Waiting
 * (waitFor, expectNothingFor, sleep for pacing) is in test/support/wait.ts, shared by every package.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { waitFor } from '../../../test/support/wait.js';

export interface Closed {
  code: number;
  reason: string;
}

export interface TestClient {
  ws: WebSocket;
  messages: Array<Record<string, unknown> & { type: string }>;
  /** Resolves with the next message of `type` not yet taken (or already received). */
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown> & { type: string }>;
  /** Resolves when `count` messages of `type` have arrived in total. */
  waitFor(type: string, count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  closed: Promise<Closed>;
  /**
   * Resolves once the server has answered everything sent before: a ping with a unique timestamp
   * and its pong (the server handles a connection's messages in order).
   */
  barrier(timeoutMs?: number): Promise<void>;
  send(message: unknown): void;
  close(): void;
}

/** The server's answers among `messages`: without statistics updates and the pongs of `barrier()`. */
export function answersIn<M extends { type: string; ping_timestamp?: unknown }>(messages: M[]): M[] {
  return messages.filter(
    (m) => m.type !== 'statistics_update' && !(m.type === 'pong' && String(m.ping_timestamp).startsWith('barrier-')),
  );
}

export function wsUrl(httpUrl: string, params: Record<string, string | undefined> = {}): string {
  const u = new URL('/api/ws/statistics', httpUrl.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

export function connect(
  httpUrl: string,
  params: Record<string, string | undefined>,
  options: WebSocket.ClientOptions = {},
): TestClient {
  const ws = new WebSocket(wsUrl(httpUrl, params), options);
  const messages: TestClient['messages'] = [];
  const taken = new Map<string, number>();
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const w of waiters) w();
  });
  ws.on('error', () => {});
  const closed = new Promise<Closed>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of waiters) w();
    });
  });
  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const tick = () => {
        const r = check();
        if (r !== undefined) {
          waiters.delete(tick);
          clearTimeout(timer);
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(tick);
        reject(new Error(`timed out waiting for ${what}; got ${messages.map((m) => m.type).join(',')}`));
      }, timeoutMs);
      waiters.add(tick);
      tick();
    });
  return {
    ws,
    messages,
    closed,
    next(type, timeoutMs = 5000) {
      return until(
        () => {
          const skip = taken.get(type) ?? 0;
          const found = messages.filter((m) => m.type === type)[skip];
          if (found) taken.set(type, skip + 1);
          return found;
        },
        timeoutMs,
        type,
      );
    },
    waitFor(type, count, timeoutMs = 5000) {
      return until(
        () => {
          const found = messages.filter((m) => m.type === type);
          return found.length >= count ? found : undefined;
        },
        timeoutMs,
        `${count} × ${type}`,
      );
    },
    async barrier(timeoutMs = 5000) {
      const stamp = `barrier-${randomUUID()}`;
      ws.send(JSON.stringify({ type: 'ping', timestamp: stamp }));
      await until(
        () => messages.find((m) => m.type === 'pong' && m.ping_timestamp === stamp),
        timeoutMs,
        `the pong of ${stamp}`,
      );
    },
    send(message) {
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    close() {
      ws.close();
    },
  };
}

export async function api(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{
  status: number; // biome-ignore lint/suspicious/noExplicitAny: tests read any JSON shape
  body: any;
  text: string;
}> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, text };
}

/**
 * Resolves once the log lines of every request answered so far are written. Request lines are
 * written after the answer, so this makes one more (logged) request and waits for its line.
 */
export async function logsSettled(t: { url: string; logs: string[] }): Promise<void> {
  const marker = `/api/log-barrier-${randomUUID()}`;
  await api(t.url, 'GET', marker);
  await waitFor(() => t.logs.some((l) => l.includes(marker)), 'the log barrier request in the log', 5000);
}
