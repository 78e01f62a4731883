/**
 * Shared set-up of the dashboard's browser tests: the app built with Vite into a temporary
 * directory (never packages/web/dist), the real server serving it (OPENEYE_WEB_ROOT), Debian's
 * Chromium through playwright-core, and small helpers (REST calls, contexts with fast connection
 * tuning, waiting for the connection status). Everything made here lives in temp dirs and is
 * removed by `close()`, so a run leaves `git status` clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../../test/support/browser.js';
import { type StartOptions, startTestServer, type TestServer } from '../../server/src/testing.js';
import { buildWeb } from './build.js';

export { buildWeb };

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = path.resolve(webDir, '../..');
export const DESKTOP = { width: 1280, height: 800 };
export const WIDE = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Fast backoff and polling (read by src/lib/services.ts from localStorage), so fallbacks take seconds. */
export const CLIENT_TUNING = {
  pollIntervalMs: 400,
  pollingAfterFailures: 2,
  backoff: { baseMs: 150, capMs: 800 },
  connectTimeoutMs: 3000,
};

export interface Harness {
  outDir: string;
  server: TestServer;
  browser: Browser;
  rest<T = unknown>(method: string, route: string, body?: unknown, token?: string): Promise<T>;
  newContext(options?: ContextOptions): Promise<BrowserContext>;
  /** A page signed in (token in localStorage) as `username` (admin by default), on `pathname`, live. */
  signedInPage(
    options?: ContextOptions & { username?: string; role?: 'admin' | 'viewer'; path?: string },
  ): Promise<Page>;
  close(): Promise<void>;
}

export interface ContextOptions {
  viewport?: { width: number; height: number };
  scale?: number;
  storage?: Record<string, string>;
  tuning?: object;
}

/** Builds the app, starts the server on loopback serving it, and launches Chromium. */
export async function startHarness(
  options: { env?: Record<string, string>; server?: StartOptions } = {},
): Promise<Harness> {
  const outDir = await buildWeb();
  const server = await startTestServer({
    ...options.server,
    env: { OPENEYE_BROADCAST_INTERVAL_MS: '1000', OPENEYE_WEB_ROOT: outDir, ...options.env },
  });
  const browser = await launchChromium(['--disable-quic']);
  const contexts: BrowserContext[] = [];

  const harness: Harness = {
    outDir,
    server,
    browser,
    async rest<T = unknown>(method: string, route: string, body?: unknown, token = harness.server.adminToken) {
      const res = await fetch(harness.server.url + route, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async newContext(o: ContextOptions = {}) {
      const ctx = await browser.newContext({
        viewport: o.viewport ?? DESKTOP,
        deviceScaleFactor: o.scale ?? 1,
        colorScheme: 'dark',
        reducedMotion: 'reduce',
      });
      contexts.push(ctx);
      const storage = { 'openeye.client': JSON.stringify(o.tuning ?? CLIENT_TUNING), ...o.storage };
      await ctx.addInitScript((entries: Record<string, string>) => {
        // Only on first load of the origin: later navigations keep what the app stored.
        try {
          if (sessionStorage.getItem('openeye.test-init')) return;
          sessionStorage.setItem('openeye.test-init', '1');
          for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
        } catch {
          // about:blank has no storage
        }
      }, storage);
      return ctx;
    },
    async signedInPage(o = {}) {
      const token = await harness.server.tokenFor(o.username ?? 'admin', o.role ?? 'admin');
      const ctx = await harness.newContext({ ...o, storage: { token, ...o.storage } });
      const page = await ctx.newPage();
      await page.goto(harness.server.url + (o.path ?? '/'));
      return page;
    },
    async close() {
      for (const ctx of contexts) await ctx.close().catch(() => {});
      await browser.close().catch(() => {});
      await harness.server.close();
      fs.rmSync(outDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export async function waitForStatus(p: Page, status: string, timeout = 10_000): Promise<void> {
  await p.locator(`[data-testid="connection-status"][data-status="${status}"]`).waitFor({ timeout });
}

export async function textOf(p: Page, testId: string): Promise<string> {
  return (await p.getByTestId(testId).textContent())?.trim() ?? '';
}

/** Whether two boxes overlap (touching edges do not count). */
export function intersects(
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
