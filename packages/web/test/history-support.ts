/**
 * Shared set-up of the dashboard's browser tests (history, cameras, admin access): the app built
 * with Vite into a temporary directory, the real server on loopback serving it, Debian's Chromium,
 * and small helpers (REST calls as a user, contexts with fast client tuning, sign-in). Everything
 * made here is removed by `close()`, so a run leaves `git status` clean.
 */
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../../test/support/browser.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../server/src/testing.js';
import { buildWeb } from './build.js';

export const DESKTOP = { width: 1280, height: 800 };

export const CLIENT_TUNING = {
  pollIntervalMs: 400,
  pollingAfterFailures: 2,
  backoff: { baseMs: 150, capMs: 800 },
  connectTimeoutMs: 3000,
};

export { ADMIN_PASSWORD };

export interface WebHarness {
  server: TestServer;
  browser: Browser;
  /** A REST call (admin's token unless another is given); throws on a non-2xx answer. */
  rest<T = unknown>(method: string, route: string, body?: unknown, token?: string): Promise<T>;
  /** A fresh browser context with the client tuned for tests and `storage` put in localStorage. */
  newContext(options?: {
    viewport?: { width: number; height: number };
    storage?: Record<string, string>;
  }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startWebHarness(env: Record<string, string> = {}): Promise<WebHarness> {
  const outDir = await buildWeb();
  const server = await startTestServer({
    env: { OPENEYE_BROADCAST_INTERVAL_MS: '1000', OPENEYE_WEB_ROOT: outDir, ...env },
  });
  const browser = await launchChromium(['--disable-quic']);
  const contexts: BrowserContext[] = [];

  const rest = async <T = unknown>(method: string, route: string, body?: unknown, token = server.adminToken) => {
    const res = await fetch(server.url + route, {
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
  };

  const newContext: WebHarness['newContext'] = async (options = {}) => {
    const ctx = await browser.newContext({
      viewport: options.viewport ?? DESKTOP,
      colorScheme: 'dark',
      reducedMotion: 'reduce',
    });
    contexts.push(ctx);
    const storage = { 'openeye.client': JSON.stringify(CLIENT_TUNING), ...options.storage };
    await ctx.addInitScript((entries: Record<string, string>) => {
      try {
        if (sessionStorage.getItem('openeye.test-init')) return;
        sessionStorage.setItem('openeye.test-init', '1');
        for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
      } catch {
        // about:blank has no storage
      }
    }, storage);
    return ctx;
  };

  return {
    server,
    browser,
    rest,
    newContext,
    async close() {
      for (const ctx of contexts) await ctx.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.close();
      fs.rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login form and waits for the live connection. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: 10_000 });
}

/** A user with a password, created by the admin (the password is `<username>-password-1`). */
export async function createUser(
  h: WebHarness,
  username: string,
  role: 'admin' | 'viewer' | 'producer',
  cameraIds?: number[],
): Promise<{ id: number; password: string }> {
  const password = `${username}-password-1`;
  const user = await h.rest<{ id: number }>('POST', '/api/users', {
    username,
    password,
    role,
    ...(cameraIds ? { camera_ids: cameraIds } : {}),
  });
  return { id: user.id, password };
}
