import { LEGS, type Call, type Presence } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, sendTone, type TestUser } from '../test/harness.ts';
import {
  ask,
  capabilities,
  connectConsole,
  startListening,
  type ConsoleClient,
} from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { answerWithPeer, frequencyOf } from '../test/webrtcPeer.ts';

const t = useTestServer({ EARSHOT_MEDIASOUP_WORKERS: '2' });
type Client = ConsoleClient;
const clients: Client[] = [];

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  for (const call of t.server.earshot.calls.list())
    await t.server.api('DELETE', `/api/v1/calls/${call.id}`);
});

const connect = async (user: TestUser = 'exec'): Promise<Client> => {
  const client = await t.server.console(user);
  clients.push(client);
  return client;
};

/** How many consumers all live call routers hold. */
async function consumersEverywhere(): Promise<{
  transports: number;
  consumers: number;
  routers: number;
}> {
  let transports = 0;
  let consumers = 0;
  let routers = 0;
  for (const worker of t.server.earshot.pool.workers()) {
    const dump = await worker.dump();
    routers += dump.routerIds.length;
  }
  for (const call of t.server.earshot.calls.list()) {
    const router = t.server.earshot.calls.live(call.id)?.tap?.router;
    if (!router) continue;
    const dump = await router.dump();
    transports += dump.transportIds.length;
    consumers += dump.mapProducerIdConsumerIds.reduce((n, entry) => n + entry.values.length, 0);
  }
  return { transports, consumers, routers };
}

describe('listening to a live call', () => {
  it('a listener hears both legs, each on its own consumer, within 1 s of joining', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const stream = Promise.all([
      sendTone(t.sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.4,
        packets: 100,
        ssrc: 1,
      }),
      sendTone(t.sender, legs.customer.port, {
        codec: 'PCMU',
        frequency: 1000,
        amplitude: 0.4,
        packets: 100,
        ssrc: 2,
      }),
    ]);
    const client = await connect('exec');
    const joinedAt = Date.now();
    const offer = await startListening(client, callId);
    expect(offer.consumers.map((c) => c.leg).sort()).toEqual(['agent', 'customer']);
    const peer = await answerWithPeer(offer.transport, offer.consumers);
    try {
      expect(
        await ask(client, 'listen:connect', { callId, dtlsParameters: peer.dtlsParameters }),
      ).toEqual({ ok: true, data: null });
      expect(await ask(client, 'listen:resume', { callId })).toEqual({ ok: true, data: null });
      await eventually(
        () => (LEGS.every((leg) => peer.received[leg].length >= 20) ? true : undefined),
        3000,
        'audio on both legs',
      );
      for (const leg of LEGS) expect(peer.firstPacketAt[leg]! - joinedAt).toBeLessThan(1000);
      expect(frequencyOf(peer.received.agent.slice(-15))).toBeCloseTo(440, -1);
      expect(frequencyOf(peer.received.customer.slice(-15))).toBeCloseTo(1000, -1);
    } finally {
      await peer.close();
    }
    await stream;
  });

  it('shows each listener the others, counts them on the board, and frees consumers at once on stop', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const first = await connect('exec');
    const second = await connect('lead');
    const seenByFirst: Presence[][] = [];
    first.on('listeners:update', (u) => u.callId === callId && seenByFirst.push(u.listeners));
    await startListening(first, callId);
    await startListening(second, callId);
    await eventually(
      () => (seenByFirst.at(-1)?.length === 2 ? true : undefined),
      2000,
      'two listeners',
    );
    expect(
      seenByFirst
        .at(-1)!
        .map((p) => p.name)
        .sort(),
    ).toEqual(['Dana Exec', 'Lee Lead']);
    expect((await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body.listeners).toBe(2);
    expect(await consumersEverywhere()).toMatchObject({ transports: 2 + 2, consumers: 4 });

    expect(await ask(second, 'listen:stop', { callId })).toEqual({ ok: true, data: null });
    expect(await consumersEverywhere()).toMatchObject({ transports: 2 + 1, consumers: 2 });
    await eventually(
      () => (seenByFirst.at(-1)?.length === 1 ? true : undefined),
      2000,
      'one listener left',
    );
    expect((await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body.listeners).toBe(1);

    first.close();
    await eventually(
      async () => ((await consumersEverywhere()).consumers === 0 ? true : undefined),
      2000,
      'disconnect to free',
    );
    expect(t.server.earshot.listen.listening).toBe(0);
  });

  it('tells a listener when the call ends', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const client = await connect('exec');
    await startListening(client, callId);
    const ended = new Promise<{ callId: string; reason: string }>((resolve) =>
      client.once('listen:ended', resolve),
    );
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    expect(await ended).toEqual({ callId, reason: 'call-ended' });
    expect(t.server.earshot.listen.listening).toBe(0);
  });

  it('asks listeners to re-attach when the call moves to another worker, and the re-attached listener hears it', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.4,
      packets: 5,
      ssrc: 1,
    });
    const client = await connect('exec');
    await startListening(client, callId);
    const restart = new Promise<{ callId: string }>((resolve) =>
      client.once('listen:restart', resolve),
    );
    process.kill(t.server.earshot.calls.live(callId)!.tap!.workerPid, 'SIGKILL');
    expect(await restart).toEqual({ callId });
    const offer = await startListening(client, callId);
    const peer = await answerWithPeer(offer.transport, offer.consumers);
    try {
      await ask(client, 'listen:connect', { callId, dtlsParameters: peer.dtlsParameters });
      await ask(client, 'listen:resume', { callId });
      await sendTone(t.sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.4,
        packets: 40,
        ssrc: 1,
        firstSequence: 2000,
      });
      await eventually(
        () => (peer.received.agent.length >= 20 ? true : undefined),
        3000,
        'audio after re-attach',
      );
      expect((await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body.listeners).toBe(1);
    } finally {
      await peer.close();
    }
  });

  it('refuses what a console may not do, with a clear error and no change', async () => {
    const { callId } = await t.server.createCall('PCMU');
    await expect(
      connectConsole(t.server.earshot.url, 'earshot_session=forged-or-expired-token-0000'),
    ).rejects.toThrow('unauthorized');
    await expect(connectConsole(t.server.earshot.url, '')).rejects.toThrow('unauthorized');
    const client = await connect('exec');
    const caps = await capabilities(client);
    expect(
      await ask(client, 'listen:start', { callId: 'nope', rtpCapabilities: caps }),
    ).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await ask(client, 'listen:start', { callId })).toMatchObject({
      ok: false,
      error: { code: 'validation_failed' },
    });
    expect(await ask(client, 'listen:start', 'garbage')).toMatchObject({
      ok: false,
      error: { code: 'validation_failed' },
    });
    expect(
      await ask(client, 'listen:start', {
        callId: '00000000-0000-4000-8000-000000000000',
        rtpCapabilities: caps,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(
      await ask(client, 'listen:start', {
        callId,
        rtpCapabilities: { codecs: [{ kind: 'audio', mimeType: 'audio/G729', clockRate: 8000 }] },
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await ask(client, 'listen:resume', { callId })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const others = await Promise.all([1, 2, 3, 4].map(() => t.server.createCall('PCMU')));
    for (const other of others.slice(0, 4)) await startListening(client, other.callId);
    expect(await ask(client, 'listen:start', { callId, rtpCapabilities: caps })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(t.server.earshot.listen.listening).toBe(4);
  });
});

describe('no leaks', () => {
  it('50 listen/stop cycles and 100 calls started and ended leave no transports or consumers behind', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const client = await connect('exec');
    for (let i = 0; i < 50; i++) {
      await startListening(client, callId);
      expect(await ask(client, 'listen:stop', { callId })).toEqual({ ok: true, data: null });
    }
    expect(await consumersEverywhere()).toEqual({ routers: 1, transports: 2, consumers: 0 });
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);

    for (let i = 0; i < 100; i++) {
      const call = await t.server.createCall('PCMA');
      if (i % 10 === 0) await startListening(client, call.callId);
      await t.server.api('DELETE', `/api/v1/calls/${call.callId}`);
    }
    for (const worker of t.server.earshot.pool.workers()) {
      const dump = await worker.dump();
      expect(dump.routerIds).toHaveLength(0);
    }
    expect(t.server.earshot.listen.sessions).toBe(0);
    expect(t.server.earshot.listen.listening).toBe(0);
  });
});
