// Three Earshot nodes on loopback, one PostgreSQL and one Redis, all real: calls spread,
// listening and tags cross nodes, KPIs agree, then node C is killed (SIGKILL) and Redis
// and PostgreSQL are restarted under load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:dgram';
import {
  LEGS,
  type BoardUpdate,
  type Call,
  type KpiSnapshot,
  type KpiUpdate,
  type Tag,
} from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, connectConsole, startListening, type ConsoleClient } from '../test/consoleClient.ts';
import {
  eventually,
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
} from '../test/harness.ts';
import { databaseFor, startPostgres, type PrivatePostgres } from '../test/postgres.ts';
import { startRedis, type PrivateRedis } from '../test/redis.ts';
import { answerWithPeer, frequencyOf } from '../test/webrtcPeer.ts';
import { answeredStreams, SipTestClient } from '../test/sipClient.ts';
import { connectAudioHook } from '../test/audiohookClient.ts';
import { randomUUID } from 'node:crypto';
import { SIPREC_ENV, sipTarget } from '../test/siprecFixtures.ts';

const EXPIRY_MS = 2000;
let pg: PrivatePostgres;
let redis: PrivateRedis;
let databaseUrl: string;
let a: TestServer;
let b: TestServer;
let c: ServerProcess;
let cDir: string;
let sender: Socket;
const consoles: ConsoleClient[] = [];
const tones: { stop(): void }[] = [];

const AUDIOHOOK_KEY = 'nodes-audiohook-api-key-0123456789';
const AUDIOHOOK_SECRET = Buffer.from('nodes-audiohook-client-secret-0123').toString('base64');

const nodeEnv = (id: string) => ({
  EARSHOT_AUDIOHOOK_API_KEY: AUDIOHOOK_KEY,
  EARSHOT_AUDIOHOOK_CLIENT_SECRET: AUDIOHOOK_SECRET,
  EARSHOT_STREAM_GRACE_MS: '5000',
  EARSHOT_DATABASE_URL: databaseUrl,
  EARSHOT_REDIS_URL: redis.url,
  EARSHOT_NODE_ID: id,
  EARSHOT_NODE_EXPIRY_MS: String(EXPIRY_MS),
});

/** Any node's REST API, as the ingest side (token) or a signed-in user (cookie). */
async function call<T>(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; cookie?: string; token?: boolean } = {},
): Promise<{ status: number; body: T; node: string | null }> {
  const headers: Record<string, string> = { origin: url };
  if (options.token !== false) headers.authorization = `Bearer ${TEST_TOKEN}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    node: response.headers.get('x-earshot-node'),
  };
}

const urls = () => ({ a: a.earshot.url, b: b.earshot.url, c: c.url });

/** The live nodes in the registry as node `at` (in this process) tells its admin. */
async function registryAt(at: TestServer): Promise<{ id: string; calls: number }[]> {
  const res = await call<{ nodes: { id: string; calls: number }[] }>(
    at.earshot.url,
    'GET',
    '/api/v1/nodes',
    { cookie: await at.cookie('admin'), token: false },
  );
  return res.body.nodes;
}

async function consoleAt(url: string, user = 'exec'): Promise<ConsoleClient> {
  const client = await connectConsole(url, await signInAt(url, user, TEST_PASSWORD));
  consoles.push(client);
  return client;
}

/** A board console: the calls of its snapshot, then every update it is sent. */
async function board(url: string) {
  const client = await consoleAt(url);
  const live = new Map<string, Call>();
  const ended = new Set<string>();
  client.on('board:update', (update: BoardUpdate) => {
    for (const c of update.upserts) live.set(c.id, c);
    for (const id of update.ended) {
      live.delete(id);
      ended.add(id);
    }
  });
  const snapshot = await ask<{ calls: Call[] }>(client, 'board:subscribe', {});
  if (!snapshot.ok) throw new Error(snapshot.error.message);
  for (const c of snapshot.data.calls) live.set(c.id, c);
  return { client, live, ended };
}

interface Placed {
  callId: string;
  node: string;
  legs: { agent: { port: number }; customer: { port: number } };
}

const calls: Placed[] = [];

async function newCall(at: string, externalId: string): Promise<Placed> {
  const res = await call<Placed>(at, 'POST', '/api/v1/calls', {
    body: { ...TEST_CALL, externalId },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const placed = { ...res.body, node: res.node ?? 'a' };
  calls.push(placed);
  // Both legs stream a tone for as long as the test needs (bounded).
  for (const leg of LEGS)
    tones.push(
      streamTone(sender, placed.legs[leg].port, {
        codec: 'PCMU',
        frequency: leg === 'agent' ? 440 : 1000,
        amplitude: 0.5,
        ssrc: leg === 'agent' ? 0x1111 : 0x2222,
        maxSeconds: 90,
      }),
    );
  return placed;
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  databaseUrl = await databaseFor(mkdtempSync(join(tmpdir(), 'earshot-cluster-')), pg.url);
  a = await startTestServer({ ...nodeEnv('a'), ...SIPREC_ENV });
  b = await startTestServer(nodeEnv('b'));
  cDir = mkdtempSync(join(tmpdir(), 'earshot-node-c-'));
  c = await spawnServer({
    ...nodeEnv('c'),
    EARSHOT_DATA_DIR: cDir,
    EARSHOT_INGEST_TOKEN: TEST_TOKEN,
    EARSHOT_METRICS_TOKEN: TEST_METRICS_TOKEN,
    EARSHOT_MEDIASOUP_WORKERS: '1',
    EARSHOT_MEDIA_THREADS: '1',
  });
  sender = await udpSocket();
  // Every node sees the three (one heartbeat).
  await eventually(
    async () => ((await registryAt(a)).length === 3 ? true : undefined),
    10_000,
    'three nodes in the registry',
  );
}, 120_000);

afterAll(async () => {
  for (const tone of tones) tone.stop();
  for (const client of consoles) client.close();
  sender?.close();
  if (c && c.child.exitCode === null) c.child.kill('SIGKILL');
  await Promise.allSettled([a?.close(), b?.close()]);
  await Promise.allSettled([redis?.stop(), pg?.stop()]);
  if (cDir) rmSync(cDir, { recursive: true, force: true });
}, 60_000);

describe('three nodes on PostgreSQL and Redis', () => {
  it('spreads new calls over the least loaded nodes, each answer naming its own media ports', async () => {
    for (let i = 0; i < 6; i++) {
      await newCall(a.earshot.url, `spread-${i}`);
      // The next placement sees this one (the counts travel at the board's cadence).
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const byNode = new Map<string, number>();
    for (const p of calls) byNode.set(p.node, (byNode.get(p.node) ?? 0) + 1);
    expect([...byNode.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const n of byNode.values()) expect(n).toBe(2);
    // The ports are the owner's: its media receives the legs (packets are counted there).
    for (const p of calls) {
      const owner = p.node === 'a' ? a.earshot.url : p.node === 'b' ? b.earshot.url : c.url;
      await eventually(
        async () => {
          const res = await call<Call>(owner, 'GET', `/api/v1/calls/${p.callId}`, {
            cookie: await signInAt(owner, 'exec', TEST_PASSWORD),
            token: false,
          });
          return res.body.legs.agent.packets > 0 && res.body.legs.customer.packets > 0
            ? true
            : undefined;
        },
        5000,
        `media of call ${p.callId} at its node`,
      );
    }
  }, 60_000);

  it('opens a SIPREC call received by node A on a less loaded node, whose leg ports the SDP answer names', async () => {
    // Node A holds one more call than the others (announced to it alone).
    const extra = await a.api<Placed>(
      'POST',
      '/api/v1/calls',
      { ...TEST_CALL, externalId: 'a-only' },
      { headers: { 'x-earshot-forwarded-by': 'test' } },
    );
    expect(extra.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sip = await SipTestClient.open('udp', sipTarget(a, 'udp'));
    try {
      const { response, dialog } = await sip.invite('cisco-siprec-offer.txt');
      expect(response.status).toBe(200);
      const ports = answeredStreams(response.body.toString()).map((s) => s.port);
      const owner = await eventually(
        () =>
          b.earshot.calls.list().find((x) => x.externalId === dialog.callId)
            ? 'b'
            : a.earshot.calls.list().find((x) => x.externalId === dialog.callId)
              ? 'a'
              : a.earshot.calls.floor().find((x) => x.externalId === dialog.callId)
                ? 'c'
                : undefined,
        3000,
        'the SIPREC call on some node',
      );
      expect(owner).not.toBe('a');
      // Node A learns of it at the owner's next tick.
      const tapped = await eventually(
        () => a.earshot.calls.floor().find((x) => x.externalId === dialog.callId),
        2000,
        'the SIPREC call on the floor of node A',
      );
      expect(ports.sort()).toEqual([tapped.legs.agent.port, tapped.legs.customer.port].sort());
      // The BYE reaches node A; the call ends on the node that taps it.
      expect((await sip.inDialog('BYE', dialog)).status).toBe(200);
      await eventually(
        () => (a.earshot.calls.floor().some((x) => x.id === tapped.id) ? undefined : true),
        3000,
        'the SIPREC call ended everywhere',
      );
      const stored = await call<Call>(a.earshot.url, 'GET', `/api/v1/calls/${tapped.id}`, {
        cookie: await a.cookie('exec'),
        token: false,
      });
      expect(stored.body.endReason).toBe('hangup');
    } finally {
      sip.close();
      await a.api('DELETE', `/api/v1/calls/${extra.body.callId}`);
    }
  });

  it('shows the whole floor on a board of any node', async () => {
    for (const url of Object.values(urls())) {
      const view = await board(url);
      await eventually(
        () => (calls.every((p) => view.live.has(p.callId)) ? true : undefined),
        3000,
        `every call on the board of ${url}`,
      );
      // Levels of the other nodes' calls arrive too.
      await eventually(
        () =>
          calls.every((p) => (view.live.get(p.callId)?.legs.agent.level ?? 0) > 0)
            ? true
            : undefined,
        3000,
        'levels of every call',
      );
    }
  });

  it('ends a call through any node and serves its recording from every node (fetched from the node that tapped it)', async () => {
    const onB = calls.find((p) => p.node === 'b')!;
    // Ended through node A: passed to node B, which taps it.
    const ended = await call<Call>(a.earshot.url, 'DELETE', `/api/v1/calls/${onB.callId}`);
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.node).toBe('b');
    expect(ended.body.endReason).toBe('hangup');
    calls.splice(calls.indexOf(onB), 1);
    const res = await fetch(`${c.url}/api/v1/calls/${onB.callId}/recording`, {
      headers: { cookie: await signInAt(c.url, 'qa', TEST_PASSWORD) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('x-earshot-node')).toBe('b');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    // Both channels hold the tones the legs streamed (a second at least, 16,000 bytes/s).
    expect(wav.length).toBeGreaterThan(16_000);
  });

  it('taps a Genesys stream received by node A on the least loaded node, and resumes it there when the stream comes back through node C', async () => {
    const wsUrl = (http: string) => `${http.replace('http', 'ws')}/api/v1/ingest/audiohook`;
    const connectAt = (http: string) =>
      connectAudioHook({ url: wsUrl(http), apiKey: AUDIOHOOK_KEY, clientSecret: AUDIOHOOK_SECRET });
    // 100 ms of both channels (interleaved PCMU), five packets a channel.
    const frame = Uint8Array.from({ length: 1600 }, (_, i) => (i % 2 ? 0x25 : 0xa5));
    // Node A holds more calls than another node (once the registry shows the last one ended).
    const least = await eventually(
      async () => {
        const nodes = await registryAt(a);
        const byLoad = [...nodes].sort((x, y) => x.calls - y.calls);
        const mine = nodes.find((n) => n.id === 'a')!;
        return byLoad[0]!.calls < mine.calls ? byLoad[0]! : undefined;
      },
      3000,
      'a node less loaded than node A',
    );
    const owner = least.id === 'b' ? b.earshot.url : c.url;
    const conversationId = randomUUID();
    const participant = { id: randomUUID(), ani: 'tel:+16125550123' };
    const first = await connectAt(a.earshot.url);
    expect((await first.open({ conversationId, participant })).type).toBe('opened');
    const ownerCall = async () => {
      const res = await call<{ calls: Call[] }>(owner, 'GET', '/api/v1/calls', {
        cookie: await signInAt(owner, 'exec', TEST_PASSWORD),
        token: false,
      });
      return res.body.calls.find((x) => x.externalId === conversationId);
    };
    const tapped = await eventually(ownerCall, 3000, `the stream's call on node ${least.id}`);
    for (let i = 0; i < 4; i++) first.audio(frame, 800);
    await eventually(
      async () => ((await ownerCall())?.legs.customer.packets === 20 ? true : undefined),
      3000,
      'the audio fed to the owning node',
    );
    // The stream drops and comes back through node C: the same call, fed on.
    first.ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await connectAt(c.url);
    expect((await second.open({ conversationId, participant })).type).toBe('opened');
    for (let i = 0; i < 4; i++) second.audio(frame, 800);
    await eventually(
      async () => ((await ownerCall())?.legs.customer.packets === 40 ? true : undefined),
      3000,
      'the resumed stream feeding the same call',
    );
    expect((await ownerCall())?.id).toBe(tapped.id);
    // Past the grace period of the stream that dropped, the call goes on.
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect((await ownerCall())?.id).toBe(tapped.id);
    await second.close();
    const ended = await eventually(
      async () => {
        const res = await call<Call>(a.earshot.url, 'GET', `/api/v1/calls/${tapped.id}`, {
          cookie: await a.cookie('exec'),
          token: false,
        });
        return res.body.endReason ? res.body : undefined;
      },
      3000,
      'the streamed call ended',
    );
    expect(ended.endReason).toBe('hangup');
  }, 30_000);

  it('lets a console on node A hear both legs of a call tapped on node C', async () => {
    const onC = calls.find((p) => p.node === 'c')!;
    const client = await consoleAt(a.earshot.url);
    const offer = await startListening(client, onC.callId);
    const peer = await answerWithPeer(offer.transport, offer.consumers);
    try {
      expect(
        await ask(client, 'listen:connect', {
          callId: onC.callId,
          dtlsParameters: peer.dtlsParameters,
        }),
      ).toEqual({ ok: true, data: null });
      expect(await ask(client, 'listen:resume', { callId: onC.callId })).toEqual({
        ok: true,
        data: null,
      });
      await eventually(
        () => (LEGS.every((leg) => peer.received[leg].length >= 20) ? true : undefined),
        5000,
        'audio of both legs through the pipe',
      );
      expect(frequencyOf(peer.received.agent.slice(-15))).toBeCloseTo(440, -1);
      expect(frequencyOf(peer.received.customer.slice(-15))).toBeCloseTo(1000, -1);
      // The owner counts the listener on its board (and every node shows it).
      const view = await board(b.earshot.url);
      await eventually(
        () => (view.live.get(onC.callId)?.listeners === 1 ? true : undefined),
        3000,
        'the listener counted on the board of node B',
      );
    } finally {
      await peer.close();
    }
  }, 30_000);

  it('shows a tag made on node B at once to listeners of the call on nodes A and C', async () => {
    const target = calls.find((p) => p.node === 'a')!;
    const onA = await consoleAt(a.earshot.url);
    const onC = await consoleAt(c.url);
    const seen = (client: ConsoleClient) =>
      new Promise<Tag>((resolve) => client.once('tag:created', resolve));
    await startListening(onA, target.callId);
    await startListening(onC, target.callId);
    const heardA = seen(onA);
    const heardC = seen(onC);
    const maker = await consoleAt(b.earshot.url, 'lead');
    const made = await ask<Tag>(maker, 'tag:create', {
      callId: target.callId,
      tag: { offsetMs: 500, label: 'coaching', leg: 'customer' },
    });
    expect(made.ok, JSON.stringify(made)).toBe(true);
    const started = Date.now();
    const [tagA, tagC] = await Promise.all([heardA, heardC]);
    // At once: the adapter's broadcast, no polling (a loaded shared machine allowed for).
    expect(Date.now() - started).toBeLessThan(3000);
    expect(tagA.id).toBe(made.ok && made.data.id);
    expect(tagC.id).toBe(tagA.id);
  });

  it('counts an event posted to two nodes once, and every node agrees on the KPIs', async () => {
    const now = Date.now();
    const at = (s: number) => new Date(now - s * 1000).toISOString();
    const batch = [
      { id: 'mn-1', type: 'call.offered', at: at(90), callId: 'acd-mn-1', team: 'mpls-care-1' },
      { id: 'mn-2', type: 'call.answered', at: at(80), callId: 'acd-mn-1', agentId: 'a-olsen' },
      { id: 'mn-3', type: 'call.offered', at: at(70), callId: 'acd-mn-2', team: 'mpls-care-1' },
    ];
    const [first, second] = await Promise.all([
      call<{ accepted: number; duplicates: number }>(a.earshot.url, 'POST', '/api/v1/events', {
        body: { events: batch },
      }),
      call<{ accepted: number; duplicates: number }>(b.earshot.url, 'POST', '/api/v1/events', {
        body: { events: batch },
      }),
    ]);
    expect(first.body.accepted + second.body.accepted).toBe(3);
    expect(first.body.duplicates + second.body.duplicates).toBe(3);
    const figures = async (url: string) => {
      const res = await call<KpiSnapshot>(url, 'GET', '/api/v1/kpis/team:mpls-care-1?window=30m', {
        cookie: await signInAt(url, 'exec', TEST_PASSWORD),
        token: false,
      });
      return res.body.metrics;
    };
    await eventually(
      async () => {
        const all = await Promise.all(Object.values(urls()).map(figures));
        return all.every((m) => m.offered === 2 && m.answered === 1) ? all : undefined;
      },
      3000,
      'offered 2 and answered 1 on every node',
    );
    // What the events and the calls on the floor say is the same everywhere (what grows
    // with the clock, such as the longest wait and talk time, is read a moment apart).
    const fixed = (m: KpiSnapshot['metrics']) => ({
      offered: m.offered,
      answered: m.answered,
      queueDepth: m.queueDepth,
      serviceLevel: m.serviceLevel,
      holdRate: m.holdRate,
      repeatRate: m.repeatRate,
      talkRatio: m.talkRatio,
    });
    const [ka, kb, kc] = (await Promise.all(Object.values(urls()).map(figures))).map(fixed);
    expect(kb).toEqual(ka);
    expect(kc).toEqual(ka);
    // A figure another system reports to node B reaches a panel on node C at once.
    const panel = await consoleAt(c.url);
    const subscribed = await ask(panel, 'kpi:subscribe', {
      scope: 'team:mpls-care-1',
      window: '30m',
    });
    expect(subscribed.ok).toBe(true);
    const shown = new Promise<KpiUpdate>((resolve) =>
      panel.on('kpi:update', (u) => u.reported && resolve(u)),
    );
    const reported = await call(b.earshot.url, 'POST', '/api/v1/kpis/reported', {
      body: { scope: 'team:mpls-care-1', metric: 'serviceLevel', window: '30m', value: 0.8 },
    });
    expect(reported.status).toBe(201);
    expect((await shown).reported?.serviceLevel?.reported).toBe(0.8);
  });

  it('when node C is killed: its calls leave every board as node-lost, new calls avoid it, the rest works', async () => {
    const lostCalls = calls.filter((p) => p.node === 'c').map((p) => p.callId);
    const viewA = await board(a.earshot.url);
    const listener = await consoleAt(a.earshot.url);
    const ended = new Promise<{ callId: string; reason: string }>((resolve) =>
      listener.once('listen:ended', resolve),
    );
    await startListening(listener, lostCalls[0]!);
    const killedAt = Date.now();
    c.child.kill('SIGKILL');
    await eventually(
      () => (lostCalls.every((id) => viewA.ended.has(id)) ? true : undefined),
      EXPIRY_MS + 3000,
      "node C's calls leaving node A's board",
    );
    expect(Date.now() - killedAt).toBeLessThan(EXPIRY_MS + 2500);
    expect(await ended).toEqual({ callId: lostCalls[0], reason: 'media-lost' });
    const stored = await eventually(
      async () => {
        const res = await call<Call>(a.earshot.url, 'GET', `/api/v1/calls/${lostCalls[1]}`, {
          cookie: await a.cookie('exec'),
          token: false,
        });
        return res.body.endReason === 'node-lost' ? res.body : undefined;
      },
      5000,
      'the call stored as node-lost',
    );
    expect(stored.endedAt).not.toBeNull();
    // The registry forgets C; new calls go to A and B only.
    const nodes = await eventually(
      async () => {
        const left = await registryAt(b);
        return left.length === 2 ? left.map((n) => n.id) : undefined;
      },
      5000,
      'two nodes left',
    );
    expect(nodes).toEqual(['a', 'b']);
    const after = await newCall(b.earshot.url, 'after-kill');
    expect(['a', 'b']).toContain(after.node);
    // A console of C's users reconnects to another node and sees the floor there.
    const again = await board(b.earshot.url);
    expect(lostCalls.some((id) => again.live.has(id))).toBe(false);
    expect(again.live.has(after.callId)).toBe(true);
  }, 30_000);

  it('goes on after Redis restarts: nodes resubscribe and later updates reach every node', async () => {
    const viewA = await board(a.earshot.url);
    const offered = async (url: string) =>
      (
        await call<KpiSnapshot>(url, 'GET', '/api/v1/kpis/team:bk-billing?window=30m', {
          cookie: await signInAt(url, 'exec', TEST_PASSWORD),
          token: false,
        })
      ).body.metrics.offered;
    const before = await offered(a.earshot.url);
    await redis.restart(async () => {
      // Stored by node B while it cannot tell the others.
      const res = await call<{ accepted: number }>(b.earshot.url, 'POST', '/api/v1/events', {
        body: {
          events: [
            {
              id: 'outage-1',
              type: 'call.offered',
              at: new Date().toISOString(),
              callId: 'acd-outage-1',
              team: 'bk-billing',
            },
          ],
        },
      });
      expect(res.body.accepted).toBe(1);
      // Long enough for node B to give up publishing it (ioredis retries twice).
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    // The nodes find each other again (their registry was lost with Redis' memory).
    await eventually(
      async () => ((await registryAt(a)).length === 2 ? true : undefined),
      10_000,
      'both nodes registered again',
    );
    const placed = await newCall(b.earshot.url, 'after-redis');
    const onB = placed.node === 'b' ? placed : await newCall(b.earshot.url, 'after-redis-2');
    await eventually(
      () => (viewA.live.has(onB.callId) ? true : undefined),
      5000,
      "a call of node B on node A's board after the restart",
    );
    const listenerA = await consoleAt(a.earshot.url);
    await startListening(listenerA, onB.callId);
    const heard = new Promise<Tag>((resolve) => listenerA.once('tag:created', resolve));
    const tag = await call<Tag>(b.earshot.url, 'POST', `/api/v1/calls/${onB.callId}/tags`, {
      body: { offsetMs: 200, label: 'coaching', leg: 'agent' },
      cookie: await b.cookie('lead'),
      token: false,
    });
    expect(tag.status, JSON.stringify(tag.body)).toBe(201);
    expect((await heard).id).toBe(tag.body.id);
    // What node B stored during the outage counts on node A too, once.
    await eventually(
      async () => ((await offered(a.earshot.url)) === before + 1 ? true : undefined),
      5000,
      'the event stored during the outage on node A',
    );
  }, 30_000);

  it('answers 503 at once while PostgreSQL is down, and recovers by itself', async () => {
    const ended = calls.find((p) => p.node === 'c')!.callId;
    const cookie = await a.cookie('exec');
    await pg.pause();
    try {
      const started = Date.now();
      const down = await call<{ error: { code: string; message: string } }>(
        a.earshot.url,
        'GET',
        `/api/v1/calls/${ended}`,
        { cookie, token: false },
      );
      expect(down.status).toBe(503);
      expect(down.body.error.message).toMatch(/database/i);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      await pg.resume();
    }
    await eventually(
      async () => {
        const res = await call<Call>(a.earshot.url, 'GET', `/api/v1/calls/${ended}`, {
          cookie,
          token: false,
        });
        return res.status === 200 ? true : undefined;
      },
      15_000,
      'the database answering again',
    );
  }, 60_000);
});
