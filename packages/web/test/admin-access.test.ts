/**
 * The Admin page's access panels in Chromium against the real server: an admin creates an API key
 * (its secret shown once, and it works), limits a viewer to one camera, and that viewer's dashboard
 * then shows only that camera.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createUser, signIn, startWebHarness, type WebHarness } from './history-support.js';

let h: WebHarness;
let admin: Page;
const cams: Record<string, number> = {};
let viewer: { id: number; password: string };

beforeAll(async () => {
  h = await startWebHarness();
  for (const name of ['Front door', 'Back yard', 'Server room']) {
    cams[name] = (await h.rest<{ id: number }>('POST', '/api/cameras', { name })).id;
  }
  viewer = await createUser(h, 'valerie', 'viewer');
  await createUser(h, 'pipeline', 'producer');
  const ctx = await h.newContext();
  admin = await ctx.newPage();
  admin.setDefaultTimeout(10_000);
  await admin.goto(h.server.url);
  await signIn(admin, 'admin', ADMIN_PASSWORD);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('admin access', () => {
  it('creates an API key whose secret is shown once, and the key works', async () => {
    await admin.getByRole('link', { name: 'Admin' }).click();
    const keys = admin.getByTestId('api-keys');
    await keys.getByRole('button', { name: 'New key' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('What uses it').fill('Gate pipeline');
    await dialog.getByLabel('Acts for').selectOption({ label: 'pipeline (producer)' });
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const secret = await dialog.getByTestId('new-api-key').inputValue();
    expect(secret).toMatch(/^oek_/);
    // The key acts for the producer: it may post a camera event.
    const res = await fetch(`${h.server.url}/api/cameras/${cams['Front door']}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'motion_detected' }),
    });
    expect(res.status).toBe(201);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await keys.getByText('Gate pipeline').waitFor();
    // Shown once: nowhere on the page now, nor after a reload, nor in the list the API answers.
    expect(await admin.content()).not.toContain(secret);
    await admin.reload();
    await admin.getByTestId('api-keys').getByText('Gate pipeline').waitFor();
    expect(await admin.content()).not.toContain(secret);
    expect(JSON.stringify(await h.rest('GET', '/api/keys'))).not.toContain(secret);
  });

  it('limits a viewer to one camera; their dashboard then shows only that camera', async () => {
    const panel = admin.getByTestId('users-access');
    await panel.getByRole('button', { name: 'Choose the cameras valerie may see' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Only these cameras:').check();
    await dialog.getByLabel('Back yard').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const saved = await h.rest<{ camera_ids: number[] | null }>('GET', `/api/users/${viewer.id}`);
    expect(saved.camera_ids).toEqual([cams['Back yard']]);

    const ctx = await h.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(h.server.url);
    await signIn(page, 'valerie', viewer.password);
    await page.getByRole('link', { name: 'Cameras' }).click();
    const cameraRows = page.getByTestId('cameras-table').locator('tbody tr');
    await cameraRows.first().waitFor();
    expect(await cameraRows.count()).toBe(1);
    expect(await cameraRows.first().textContent()).toContain('Back yard');
    await page.getByRole('link', { name: 'Live' }).click();
    await page.getByTestId('camera-tile').first().waitFor();
    expect(await page.getByTestId('camera-tile').count()).toBe(1);
    expect(await page.getByTestId('camera-tile').getAttribute('data-camera-id')).toBe(String(cams['Back yard']));
    // The History page offers only that camera, and an event of another camera is not theirs to open.
    await page.getByRole('link', { name: 'History' }).click();
    // The page loads on demand: wait for its list before reading the filter's options.
    await page.locator('section.history-list[aria-busy="false"]').waitFor();
    const options = await page.getByLabel('Camera').locator('option').allTextContents();
    expect(options).toEqual(['All cameras', 'Back yard']);
    await page.locator('section.history-list[aria-busy="false"]').waitFor();
    const rows = await page.getByTestId('history-row').allTextContents();
    expect(rows.join('\n')).not.toContain('Front door');
  });
});
