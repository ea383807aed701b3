// Debian's Chromium, driven by playwright-core, with the flags this workplace needs.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.EARSHOT_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** A browser context whose console already knows its listener name (no dialog). */
export async function consoleContext(
  browser: Browser,
  name: string,
  theme: 'dark' | 'light' = 'dark',
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 860 } });
  await context.addInitScript(
    ([n, t]) =>
      localStorage.setItem(
        'earshot.console',
        JSON.stringify({ state: { name: n, theme: t }, version: 0 }),
      ),
    [name, theme] as const,
  );
  // Count microphone requests: a listening console must never make one. (A string, so
  // that no test-time transform can touch what runs in the page.)
  await context.addInitScript(`
    window.__microphoneRequests = 0;
    if (navigator.mediaDevices) {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (constraints) => {
        window.__microphoneRequests += 1;
        return original(constraints);
      };
    }
  `);
  return context;
}

/** How many times the page asked for a microphone (or camera). */
export const microphoneRequests = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __microphoneRequests: number }).__microphoneRequests);
