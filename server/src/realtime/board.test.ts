import type { Ack, BoardUpdate, Call } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  sendTone,
  startTestServer,
  udpSocket,
  type TestServer,
} from '../test/harness.ts';
import type { ConsoleClient } from '../test/consoleClient.ts';

let server: TestServer;
let client: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer();
  client = await server.console('exec');
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

describe('live board over Socket.IO', () => {
  it('sends a snapshot on subscribe, then batched starts, levels and ends', async () => {
    const updates: BoardUpdate[] = [];
    client.on('board:update', (u) => updates.push(u));
    const ack = await new Promise<Ack<{ calls: Call[] }>>((resolve) =>
      client.emit('board:subscribe', {}, resolve),
    );
    expect(ack).toEqual({ ok: true, data: { calls: [] } });
    expect(server.earshot.realtime.boardViewers).toBe(1);

    const { callId, legs } = await server.createCall('PCMU');
    const sender = await udpSocket();
    await sendTone(sender, legs.customer.port, {
      codec: 'PCMU',
      frequency: 500,
      amplitude: 0.5,
      packets: 40,
    });
    sender.close();
    await eventually(
      () => (updates.some((u) => (u.levels[callId]?.[1] ?? 0) > 0.7) ? true : undefined),
      3000,
      'a customer level',
    );
    // The start and the first packet may fall in one tick: the latest state wins.
    const seen = updates.flatMap((u) => u.upserts.filter((c) => c.id === callId));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.state).toBe('talking');

    await server.api('DELETE', `/api/v1/calls/${callId}`);
    await eventually(
      () => (updates.some((u) => u.ended.includes(callId)) ? true : undefined),
      2000,
      'the end',
    );
    // Batched at the 250 ms tick: a few messages a second whatever the number of changes.
    expect(updates.length).toBeLessThan(20);
  });
});
