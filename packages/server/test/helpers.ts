/** Test helpers: a recording WebSocket client and JSON HTTP calls against a real server. */
import WebSocket from 'ws';

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
  send(message: unknown): void;
  close(): void;
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
