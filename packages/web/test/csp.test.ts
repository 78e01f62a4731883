/**
 * The dashboard in Chromium under the server's Content-Security-Policy (issue 16): it loads, signs
 * in, connects and applies the stored theme before first paint without a single CSP violation; the
 * API docs (/docs) render too. The app is built with Vite into a temporary directory and served by
 * a real server from there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/browser.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../server/src/testing.js';
import { buildWeb } from './build.js';

let t: TestServer;
let webRoot: string;

beforeAll(async () => {
  webRoot = await buildWeb();
  t = await startTestServer({ env: { OPENEYE_WEB_ROOT: webRoot } });
});
afterAll(async () => {
  await t?.close();
});

describe('the dashboard in Chromium under the policy', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium(['--disable-quic']);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that records every CSP violation (the DOM event and the console line). */
  async function watchedPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const list: string[] = [];
      (window as unknown as { __cspViolations: string[] }).__cspViolations = list;
      document.addEventListener('securitypolicyviolation', (e) =>
        list.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) consoleLines.push(m.text());
    });
    return {
      page,
      violations: async () => [
        ...consoleLines,
        ...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)),
      ],
    };
  }

  it('the built index.html has no inline script (the policy allows none)', () => {
    const html = fs.readFileSync(path.join(webRoot, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc=/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('loads, signs in and connects with no CSP violation', async () => {
    const { page, violations } = await watchedPage();
    const res = await page.goto(`${t.url}/`);
    expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: 15_000 });
    // The theme script (before first paint) ran: it is a file now, not inline.
    await page.evaluate(() => localStorage.setItem('openeye.theme', 'light'));
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: 15_000 });
    expect(await violations()).toEqual([]);
    await page.context().close();
  });

  it('the API docs (/docs) render with no CSP violation', async () => {
    const { page, violations } = await watchedPage();
    await page.goto(`${t.url}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('OpenEye Realtime API');
    expect(await violations()).toEqual([]);
    await page.context().close();
  });
});
