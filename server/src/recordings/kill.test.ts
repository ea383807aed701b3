import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Call, Tag } from '@earshot/shared';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeWav,
  DEMO_PASSWORD,
  signInAt,
  spawnServer,
  streamTone,
  TEST_CALL,
  TEST_ORG,
  TEST_TOKEN,
  udpSocket,
  type ServerProcess,
} from '../test/harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'earshot-kill-'));
const processes: ServerProcess[] = [];
afterAll(() => {
  for (const p of processes) p.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const env = {
  EARSHOT_DATA_DIR: dataDir,
  EARSHOT_INGEST_TOKEN: TEST_TOKEN,
  EARSHOT_MEDIASOUP_WORKERS: '1',
  EARSHOT_DEMO_USERS: 'on',
};
const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };

describe('a server killed mid-call', () => {
  it('keeps the recording up to the kill, playable after restart, and the tags made before it', async () => {
    const first = await spawnServer(env);
    processes.push(first);
    const admin = await signInAt(first.url, 'admin', DEMO_PASSWORD);
    await fetch(`${first.url}/api/v1/org`, {
      method: 'PUT',
      headers: { ...headers, cookie: admin, origin: first.url },
      body: JSON.stringify(TEST_ORG),
    });
    // The session outlives the process: it is the same cookie after the restart.
    const exec = { cookie: await signInAt(first.url, 'exec', DEMO_PASSWORD) };
    const created = await fetch(`${first.url}/api/v1/calls`, {
      method: 'POST',
      headers,
      body: JSON.stringify(TEST_CALL),
    });
    const { callId, legs } = (await created.json()) as {
      callId: string;
      legs: Record<'agent' | 'customer', { port: number }>;
    };
    const sender = await udpSocket();
    const agent = streamTone(sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.3,
      ssrc: 1,
      maxSeconds: 10,
    });
    const customer = streamTone(sender, legs.customer.port, {
      codec: 'PCMU',
      frequency: 700,
      amplitude: 0.3,
      ssrc: 2,
      maxSeconds: 10,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const tag = await fetch(`${first.url}/api/v1/calls/${callId}/tags`, {
      method: 'POST',
      headers: { ...headers, ...exec, origin: first.url },
      body: JSON.stringify({ offsetMs: 1000, label: 'compliance', leg: 'both' }),
    });
    expect(tag.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { startedAt } = (await (
      await fetch(`${first.url}/api/v1/calls/${callId}`, { headers: exec })
    ).json()) as Call;
    const killedAtMs = Date.now() - Date.parse(startedAt);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    agent.stop();
    customer.stop();
    sender.close();

    const second = await spawnServer(env);
    processes.push(second);
    const call = (await (
      await fetch(`${second.url}/api/v1/calls/${callId}`, { headers: exec })
    ).json()) as Call;
    expect(call).toMatchObject({ state: 'ended', endReason: 'server-restart' });
    // It ended when its media stopped (stored every 2 s), not when the server came back.
    const endedMs = Date.parse(call.endedAt!) - Date.parse(startedAt);
    expect(endedMs).toBeLessThanOrEqual(killedAtMs + 100);
    expect(endedMs).toBeGreaterThan(killedAtMs - 2600);
    const response = await fetch(`${second.url}/api/v1/calls/${callId}/recording`, {
      headers: exec,
    });
    expect(response.status).toBe(200);
    const wav = decodeWav(Buffer.from(await response.arrayBuffer()));
    const recordedMs = (wav.left.length / 8000) * 1000;
    // At most the last second is lost.
    expect(recordedMs).toBeGreaterThan(killedAtMs - 1000);
    expect(recordedMs).toBeLessThan(killedAtMs + 100);
    const loud = (samples: Int16Array) =>
      samples.filter((s) => Math.abs(s) > 3000).length / samples.length;
    expect(loud(wav.left.subarray(800, wav.left.length - 800))).toBeGreaterThan(0.5);
    expect(loud(wav.right.subarray(800, wav.right.length - 800))).toBeGreaterThan(0.5);
    const tags = (await (
      await fetch(`${second.url}/api/v1/calls/${callId}/tags`, { headers: exec })
    ).json()) as {
      tags: Tag[];
    };
    expect(tags.tags.map((t) => [t.label, t.offsetMs])).toEqual([['compliance', 1000]]);
    second.child.kill('SIGTERM');
  });
});
