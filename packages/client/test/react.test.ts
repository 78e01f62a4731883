/**
 * The guide's "React Integration Example" (fixtures/guide-react-example.md: only its import line
 * changed) and the hooks of `@openeye/client/react`, bundled with Vite and rendered in a real
 * Chromium against the real server. The page is served from the server's own origin (an
 * intercepted route), so the default singleton finds `window.location.origin`, the browser's
 * WebSocket, and passes the server's Origin check, exactly as in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { build, defaultClientConditions, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/browser.js';
import { expectTrueFor } from '../../../test/support/wait.js';
import { startTestServer, type TestServer } from '../../server/src/testing.js';
import { OpenEyeApi } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');

/** The jsx block of the fixture, byte for byte. */
function guideExample(): string {
  const text = fs.readFileSync(path.join(fixtures, 'guide-react-example.md'), 'utf8');
  const match = /```jsx\n([\s\S]*?)```/.exec(text);
  if (!match?.[1]) throw new Error('no jsx block in guide-react-example.md');
  return match[1];
}

/** Bundles the guide's Dashboard (plus an export line) and the hooks panel into one browser script. */
async function bundle(): Promise<string> {
  const dashboard = path.join(fixtures, 'guide-dashboard.jsx');
  const entry = path.join(fixtures, 'browser-entry.jsx');
  const sources: Record<string, string> = {
    [dashboard]: `${guideExample()}\nexport default Dashboard;\n`,
    [entry]: [
      "import { createElement, Fragment } from 'react';",
      "import { createRoot } from 'react-dom/client';",
      "import Dashboard from './guide-dashboard.jsx';",
      "import { HooksPanel } from './hooks-panel.tsx';",
      "createRoot(document.getElementById('root')).render(createElement(Fragment, null, createElement(Dashboard), createElement(HooksPanel)));",
    ].join('\n'),
  };
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root: fixtures,
    resolve: { conditions: ['source', ...defaultClientConditions] },
    define: { 'process.env.NODE_ENV': '"development"' },
    plugins: [
      {
        name: 'in-memory-fixtures',
        enforce: 'pre',
        resolveId(id, importer) {
          const candidate = importer ? path.resolve(path.dirname(importer), id) : id;
          return sources[candidate] !== undefined ? candidate : null;
        },
        load(id) {
          return sources[id] ?? null;
        },
      },
    ],
    build: { write: false, minify: false, lib: { entry, formats: ['iife'], name: 'guide' } },
  })) as Rolldown.RolldownOutput[];
  const chunk = output[0]?.output.find((o) => o.type === 'chunk');
  if (chunk?.type !== 'chunk') throw new Error('no bundle produced');
  return chunk.code;
}

describe('React: the guide example and the hooks, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let script: string;

  beforeAll(async () => {
    [server, script] = await Promise.all([
      startTestServer({ env: { OPENEYE_BROADCAST_INTERVAL_MS: '200' } }),
      bundle(),
    ]);
    // The page comes from an intercepted route, which Chromium's Local Network Access checks treat as public.
    browser = await launchChromium(['--disable-features=LocalNetworkAccessChecks']);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the guide Dashboard unchanged but for its import, connected and live, and the hooks agree', async () => {
    const api = new OpenEyeApi({ baseUrl: server.url, getToken: () => server.adminToken });
    await api.createPerson({ name: 'Ada' });
    await api.createPerson({ name: 'Grace' });
    const token = await server.tokenFor('dashboard-viewer');

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route(`${server.url}/guide.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><div id="root"></div><script src="/guide.js"></script>',
      }),
    );
    await page.route(`${server.url}/guide.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: script }),
    );
    await page.addInitScript((t) => localStorage.setItem('token', t), token);
    await page.goto(`${server.url}/guide.html`);

    await page.getByText('Status: connected', { exact: true }).waitFor({ timeout: 10_000 });
    await page.getByText('Total People: 2', { exact: true }).waitFor();
    await page.getByText('Hook status: connected', { exact: true }).waitFor();
    await page.getByText('Hook reason: none', { exact: true }).waitFor();
    await page.getByText('Hook people: 2', { exact: true }).waitFor();

    await api.createPerson({ name: 'Linus' });
    await page.getByText('Total People: 3', { exact: true }).waitFor({ timeout: 10_000 });
    await page.getByText('Hook people: 3', { exact: true }).waitFor();

    await api.createAlert({ alert_type: 'warning', message: 'first' });
    await api.createAlert({ alert_type: 'info', message: 'second' });
    await page.getByText('Hook alerts: first, second', { exact: true }).waitFor();
    // Statistics keep re-rendering the panel (every 200 ms); the alert subscription stays one.
    await expectTrueFor(
      600,
      'each alert listed once',
      async () => (await page.textContent('#hooks'))?.endsWith('Hook alerts: first, second') ?? false,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
