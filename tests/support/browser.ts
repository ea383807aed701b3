// Debian's Chromium, driven by playwright-core, with the flags this workplace needs.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.EARSHOT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A Chromium whose processes all run on one core (a benchmark's load core), and, when
 * `idle`, under SCHED_IDLE: they run only when nothing else on that core wants to.
 */
function pinnedChromium(cpu: number, idle: boolean): string {
  const wrapper = join(mkdtempSync(join(tmpdir(), 'earshot-chromium-')), 'chromium');
  // NOTE: not nice: Chromium sets its threads' nice values itself (-8 to 5, and as root
  // it may raise them), but leaves their scheduling policy, which every process and
  // thread it starts inherits.
  const policy = idle ? 'chrt --idle 0 ' : '';
  writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${cpu} ${policy}'${CHROMIUM}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/**
 * Launches Chromium; `cpu` pins it and every process it starts to that core, and `idle`
 * (with `cpu`) makes all of them yield that core to anything else that runs there.
 */
export async function launchBrowser(
  options: { cpu?: number; idle?: boolean } = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath:
      options.cpu === undefined ? CHROMIUM : pinnedChromium(options.cpu, options.idle ?? false),
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

/**
 * A browser context for the console, signed in when given a session cookie (`name=value`,
 * from the harness's sign-in) and otherwise at the login page.
 */
export async function consoleContext(
  browser: Browser,
  options: {
    url: string;
    cookie?: string;
    theme?: 'dark' | 'light';
    /** A desk screen unless told (a phone: 390 x 844, touch). */
    viewport?: { width: number; height: number };
  },
): Promise<BrowserContext> {
  const phone = (options.viewport?.width ?? 1440) < 700;
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1440, height: 860 },
    ...(phone ? { hasTouch: true, isMobile: true, deviceScaleFactor: 3 } : {}),
  });
  if (options.cookie) {
    const [name, value] = options.cookie.split('=') as [string, string];
    await context.addCookies([
      { name, value, url: options.url, httpOnly: true, sameSite: 'Strict' },
    ]);
  }
  await context.addInitScript(
    (t) =>
      localStorage.setItem('earshot.console', JSON.stringify({ state: { theme: t }, version: 0 })),
    options.theme ?? 'dark',
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
