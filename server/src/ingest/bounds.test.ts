import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { ask, connectConsole } from '../test/consoleClient.ts';
import {
  METRICS_AUTH,
  sendTone,
  startTestServer,
  TEST_CALL,
  udpSocket,
  type TestServer,
} from '../test/harness.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer(env);
  servers.push(s);
  return s;
}
const openFds = () => readdirSync('/proc/self/fd').length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ingest is bounded', () => {
  it('each ingest token has its own rate of new calls: past it 429 with Retry-After', async () => {
    const s = await server({ EARSHOT_INGEST_CALLS_PER_SECOND: '2' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await s.api('POST', '/api/v1/calls', TEST_CALL);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    // A burst of twice the rate, then refusals.
    expect(statuses.slice(0, 4)).toEqual([201, 201, 201, 201]);
    expect(statuses.slice(4).every((x) => x === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another integration's token is not held back by the first one's burst.
    const made = await s.api<{ token: string }>(
      'POST',
      '/api/v1/tokens',
      { name: 'second SBC' },
      { as: 'admin' },
    );
    const other = await s.api('POST', '/api/v1/calls', TEST_CALL, { token: made.body.token });
    expect(other.status).toBe(201);
    const metrics = await (
      await fetch(`${s.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(metrics).toMatch(/^earshot_calls_refused_total\{reason="rate"\} 4$/m);
  });

  it('holds at most EARSHOT_MAX_CALLS live calls: past it 503, and room again when one ends', async () => {
    const s = await server({ EARSHOT_MAX_CALLS: '3' });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await s.createCall('PCMU')).callId);
    const fourth = await s.api<{ error: { message: string } }>('POST', '/api/v1/calls', TEST_CALL);
    expect(fourth.status).toBe(503);
    expect(fourth.body.error.message).toMatch(/limit of 3 live calls/);
    await s.api('DELETE', `/api/v1/calls/${ids[0]}`);
    expect((await s.api('POST', '/api/v1/calls', TEST_CALL)).status).toBe(201);
    const metrics = await (
      await fetch(`${s.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(metrics).toMatch(/^earshot_calls_refused_total\{reason="limit"\} 1$/m);
  });

  it('a call that never received a packet leaves no recording on disk', async () => {
    const s = await server({});
    const { callId } = await s.createCall('PCMU');
    await pause(600);
    await s.api('DELETE', `/api/v1/calls/${callId}`);
    await s.earshot.calls.flush();
    await pause(200);
    expect(existsSync(join(s.dataDir, 'recordings', callId))).toBe(false);
    const res = await s.api('GET', `/api/v1/calls/${callId}/recording`, undefined, { as: 'qa' });
    expect(res.status).toBe(404);
  });

  it('mediasoup’s plain transports take their ports from its configured range, never the ingest range', async () => {
    const s = await server({ EARSHOT_RTC_MIN_PORT: '41000', EARSHOT_RTC_MAX_PORT: '41999' });
    for (let i = 0; i < 10; i++) {
      const { callId, legs } = await s.createCall('PCMU');
      for (const leg of ['agent', 'customer'] as const) {
        const port = s.earshot.calls.live(callId)!.tap!.legs.get(leg)!.transport.tuple.localPort;
        expect(port).toBeGreaterThanOrEqual(41000);
        expect(port).toBeLessThanOrEqual(41999);
        expect(port).not.toBe(legs[leg].port);
      }
    }
  });

  it('files and sockets go back to where they were once calls end and their ports leave quarantine', async () => {
    const s = await server({ EARSHOT_RTP_QUARANTINE_MS: '1000' });
    const sender = await udpSocket();
    try {
      await s.earshot.calls.flush();
      const before = openFds();
      for (let i = 0; i < 20; i++) {
        const { callId, legs } = await s.createCall('PCMU');
        await sendTone(sender, legs.agent.port, {
          codec: 'PCMU',
          frequency: 440,
          amplitude: 0.3,
          packets: 5,
        });
        await s.api('DELETE', `/api/v1/calls/${callId}`);
      }
      await s.earshot.calls.flush();
      await pause(3000);
      expect(openFds()).toBeLessThanOrEqual(before + 2);
      expect(s.earshot.calls.stats().quarantinedPorts).toBe(0);
    } finally {
      sender.close();
    }
  });

  it('a flood of calls announced and ended leaves the heap where it was', async () => {
    const s = await server({
      EARSHOT_INGEST_CALLS_PER_SECOND: '10000',
      EARSHOT_RTP_QUARANTINE_MS: '0',
    });
    const sender = await udpSocket();
    const flood = async (calls: number) => {
      // Ten announcers at once, each call streaming a few packets before it is ended.
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next++ < calls) {
            const { callId, legs } = await s.createCall('PCMU');
            await sendTone(sender, legs.agent.port, {
              codec: 'PCMU',
              frequency: 440,
              amplitude: 0.3,
              packets: 2,
            });
            const ended = await s.api('DELETE', `/api/v1/calls/${callId}`);
            expect(ended.status).toBe(200);
          }
        }),
      );
      await s.earshot.calls.flush();
    };
    // A console watches the board and the organisation's KPIs throughout.
    const watcher = await connectConsole(s.earshot.url, await s.signIn('exec'));
    expect((await ask(watcher, 'board:subscribe', {})).ok).toBe(true);
    expect((await ask(watcher, 'kpi:subscribe', { scope: 'org', window: '1h' })).ok).toBe(true);
    try {
      // Warm up what is made once (compiled code, statements, pools), then measure.
      await flood(200);
      const before = await settledHeap();
      await flood(1500);
      const grown = (await settledHeap()) - before;
      // An ended call is kept only as its KPI figures for two days (measured: 650-670 bytes a
      // call, everything counted); when whole call objects were kept, 1.4 KB.
      expect(grown / 1500).toBeLessThan(900);
      expect(s.earshot.calls.list()).toEqual([]);
    } finally {
      watcher.close();
      sender.close();
    }
    // NOTE: 1,700 calls and two heap snapshots: 17-20 s on these machines one hour, 31-34 s
    // the next (the code of before this change too); what it checks is memory, not speed.
  }, 120_000);
});

/**
 * The bytes of live data on the heap once whatever was pending has settled: the objects a
 * heap snapshot finds reachable (compiled code left out, it comes and goes with the
 * optimiser), which unlike heapUsed does not count garbage not yet collected.
 */
async function settledHeap(): Promise<number> {
  await pause(500);
  const file = join(tmpdir(), `earshot-heap-${process.pid}-${Date.now()}.heapsnapshot`);
  writeHeapSnapshot(file);
  try {
    const { snapshot, nodes } = JSON.parse(readFileSync(file, 'utf8')) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
      nodes: number[];
    };
    const fields = snapshot.meta.node_fields;
    const type = fields.indexOf('type');
    const size = fields.indexOf('self_size');
    const code = snapshot.meta.node_types[0].indexOf('code');
    let bytes = 0;
    for (let i = 0; i < nodes.length; i += fields.length)
      if (nodes[i + type] !== code) bytes += nodes[i + size]!;
    return bytes;
  } finally {
    rmSync(file, { force: true });
  }
}
