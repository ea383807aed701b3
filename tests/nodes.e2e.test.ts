// Two nodes behind a load balancer, in Chromium: a console that the balancer sent to node B
// hears a call tapped on node A (piped between the nodes); node B is killed (SIGKILL), the
// console's connection comes back through the balancer to node A, and it hears the call
// again by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:dgram';
import {
  signInAt,
  spawnServer,
  startTestServer,
  streamTone,
  TEST_CALL,
  TEST_METRICS_TOKEN,
  TEST_PASSWORD,
  TEST_TOKEN,
  udpSocket,
  type ServerProcess,
  type TestServer,
} from '@earshot/server/testing';
import { databaseFor, startPostgres, type PrivatePostgres } from '@earshot/server/testing/postgres';
import { startRedis, type PrivateRedis } from '@earshot/server/testing/redis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleContext, launchBrowser } from './support/browser.ts';

const clientDist = fileURLToPath(new URL('../client/dist', import.meta.url));
const poll = { timeout: 10_000, interval: 50 };

let pg: PrivatePostgres;
let redis: PrivateRedis;
let a: TestServer;
let b: ServerProcess;
let bDir: string;
let balancer: Server;
let lbUrl: string;
let browser: Browser;
let sender: Socket;
const held = new Set<TcpSocket>();

/**
 * The load balancer: each TCP connection goes to the first backend that accepts it (node B
 * while it lives, then node A), as a TCP balancer with health checks would.
 */
function startBalancer(backends: () => number[]): Promise<number> {
  balancer = createServer((client) => {
    held.add(client);
    client.once('close', () => held.delete(client));
    const tryNext = (list: number[]) => {
      const port = list[0];
      if (port === undefined) return client.destroy();
      const upstream = connect(port, '127.0.0.1');
      upstream.once('error', () => tryNext(list.slice(1)));
      upstream.once('connect', () => {
        held.add(upstream);
        upstream.once('close', () => held.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.once('error', () => upstream.destroy());
        upstream.once('error', () => client.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
      });
    };
    tryNext(backends());
  });
  return new Promise((resolve) =>
    balancer.listen(0, '127.0.0.1', () => resolve((balancer.address() as { port: number }).port)),
  );
}

const level = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name, exact: true }).getAttribute('aria-valuenow'));

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = await databaseFor(mkdtempSync(join(tmpdir(), 'earshot-e2e-db-')), pg.url);
  const env = (id: string) => ({
    EARSHOT_DATABASE_URL: databaseUrl,
    EARSHOT_REDIS_URL: redis.url,
    EARSHOT_NODE_ID: id,
    EARSHOT_NODE_EXPIRY_MS: '2000',
  });
  a = await startTestServer(env('a'), { clientDist });
  bDir = mkdtempSync(join(tmpdir(), 'earshot-e2e-node-b-'));
  b = await spawnServer({
    ...env('b'),
    EARSHOT_DATA_DIR: bDir,
    EARSHOT_INGEST_TOKEN: TEST_TOKEN,
    EARSHOT_METRICS_TOKEN: TEST_METRICS_TOKEN,
    EARSHOT_MEDIASOUP_WORKERS: '1',
    EARSHOT_MEDIA_THREADS: '1',
  });
  const aPort = Number(new URL(a.earshot.url).port);
  const bPort = Number(new URL(b.url).port);
  lbUrl = `http://127.0.0.1:${await startBalancer(() => [bPort, aPort])}`;
  browser = await launchBrowser();
  sender = await udpSocket();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  sender?.close();
  for (const socket of held) socket.destroy();
  balancer?.close();
  if (b && b.child.exitCode === null) b.child.kill('SIGKILL');
  await a?.close();
  await Promise.allSettled([redis?.stop(), pg?.stop()]);
  if (bDir) rmSync(bDir, { recursive: true, force: true });
}, 60_000);

describe('a console behind a load balancer when its node dies', () => {
  it('hears a call of node A through node B, and again through node A once B is killed', async () => {
    // The call is tapped on node A (announced to it alone).
    const created = await a.api<{
      callId: string;
      legs: { agent: { port: number }; customer: { port: number } };
    }>(
      'POST',
      '/api/v1/calls',
      { ...TEST_CALL, externalId: 'failover' },
      { headers: { 'x-earshot-forwarded-by': 'test' } },
    );
    expect(created.status).toBe(201);
    const { callId, legs } = created.body;
    const tones = [
      streamTone(sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.9,
        ssrc: 0x1111,
        maxSeconds: 60,
      }),
      streamTone(sender, legs.customer.port, {
        codec: 'PCMU',
        frequency: 1000,
        amplitude: 0.5,
        ssrc: 0x2222,
        maxSeconds: 60,
      }),
    ];
    try {
      const context = await consoleContext(browser, {
        url: lbUrl,
        cookie: await signInAt(lbUrl, 'exec', TEST_PASSWORD),
      });
      const page = await context.newPage();
      await page.goto(lbUrl);
      const row = page.locator(`.row[data-call-id="${callId}"]`);
      await expect.poll(() => row.locator('.col-agent').textContent(), poll).toBe('Kari Olsen');
      await row.getByRole('button', { name: 'Listen', exact: true }).click();
      const strip = page.locator(`article.strip[data-call-id="${callId}"]`);
      await expect.poll(() => strip.getAttribute('data-status'), poll).toBe('live');
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.7);
      await expect.poll(() => level(page, 'Customer received level'), poll).toBeGreaterThan(0.3);
      // Node B dies; the balancer now sends the console to node A.
      b.child.kill('SIGKILL');
      await expect
        .poll(() => strip.getAttribute('data-status'), poll)
        .toMatch(/reconnecting|connecting/);
      await expect.poll(() => strip.getAttribute('data-status'), poll).toBe('live');
      await page.waitForTimeout(500);
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.7);
      await expect.poll(() => level(page, 'Customer received level'), poll).toBeGreaterThan(0.3);
      // Node A serves it now: the listener is counted there, and the board still has the call.
      await expect.poll(() => a.earshot.listen.listenersOf(callId).length, poll).toBe(1);
      await expect.poll(() => row.count(), poll).toBe(1);
      await context.close();
    } finally {
      for (const t of tones) t.stop();
    }
  }, 60_000);
});
