/**
 * The browser of the integration tests: Debian's Chromium driven by playwright-core. One path
 * (OPENEYE_CHROMIUM, default /usr/bin/chromium; test/global-setup.ts fails the run when it is
 * missing) and one set of launch flags for every browser test.
 */
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.OPENEYE_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, sandbox off (containers), and nothing that talks to Google in the background. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...extraArgs] });
}
