// The end-to-end fixture: a real Earshot serving the built console, an RTP sender playing
// the SBC, and Debian's Chromium; started before a file's tests and closed after.
import type { Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  startTestServer,
  udpSocket,
  type TestServer,
  type TestUser,
} from '@earshot/server/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { consoleContext, launchBrowser } from './browser.ts';

export interface ConsoleFixture {
  server: TestServer;
  sender: Socket;
  browser: Browser;
}

const clientDist = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** A console page signed in as a test user (in a context of its own). */
export async function signedInPage(
  f: ConsoleFixture,
  user: TestUser,
  theme: 'dark' | 'light' = 'dark',
  viewport?: { width: number; height: number },
): Promise<Page> {
  const url = f.server.earshot.url;
  const context = await consoleContext(f.browser, {
    url,
    cookie: await f.server.cookie(user),
    theme,
    ...(viewport ? { viewport } : {}),
  });
  return context.newPage();
}

export function useConsoleServer(env: Record<string, string> = {}): ConsoleFixture {
  const fixture = {} as ConsoleFixture;
  beforeAll(async () => {
    if (!existsSync(`${clientDist}/index.html`))
      throw new Error(`no console bundle in ${clientDist}: npm test builds it first`);
    fixture.server = await startTestServer(env, { clientDist });
    fixture.sender = await udpSocket();
    fixture.browser = await launchBrowser();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    fixture.sender?.close();
    await fixture.server?.close();
  });
  return fixture;
}
