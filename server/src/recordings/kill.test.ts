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

/** A server process on `dir` with the test org, the executive's session and one call. */
async function serverWithCall(dir: string) {
  const server = await spawnServer({ ...env, EARSHOT_DATA_DIR: dir });
  processes.push(server);
  const admin = await signInAt(server.url, 'admin', DEMO_PASSWORD);
  const org = await fetch(`${server.url}/api/v1/org`, {
    method: 'PUT',
    headers: { ...headers, cookie: admin, origin: server.url },
    body: JSON.stringify(TEST_ORG),
  });
  if (!org.ok) throw new Error(`PUT /org answered ${org.status}: ${await org.text()}`);
  const exec = { cookie: await signInAt(server.url, 'exec', DEMO_PASSWORD) };
  const created = await fetch(`${server.url}/api/v1/calls`, {
    method: 'POST',
    headers,
    body: JSON.stringify(TEST_CALL),
  });
  if (created.status !== 201)
    throw new Error(`POST /calls answered ${created.status}: ${await created.text()}`);
  const { callId, legs } = (await created.json()) as {
    callId: string;
    legs: Record<'agent' | 'customer', { port: number }>;
  };
  return { server, exec, callId, legs };
}

/** A tone on each leg of a call (440 Hz the agent's, 700 Hz the customer's) for `seconds`. */
function toneOnBothLegs(
  sender: Awaited<ReturnType<typeof udpSocket>>,
  legs: Record<'agent' | 'customer', { port: number }>,
  seconds: number,
) {
  const tone = { codec: 'PCMU' as const, amplitude: 0.3, maxSeconds: seconds };
  return [
    streamTone(sender, legs.agent.port, { ...tone, frequency: 440, ssrc: 1 }),
    streamTone(sender, legs.customer.port, { ...tone, frequency: 700, ssrc: 2 }),
  ];
}

describe('a server killed mid-call', () => {
  it('keeps the recording up to the kill, playable after restart, and the tags made before it', async () => {
    // The session outlives the process: it is the same cookie after the restart.
    const { server: first, exec, callId, legs } = await serverWithCall(dataDir);
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

describe('a server killed during a sign-in burst', () => {
  it('loses at most the last half second of the recording: hashing never holds up its writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-kill-burst-'));
    try {
      const { server, exec, callId, legs } = await serverWithCall(dir);
      const sender = await udpSocket();
      const streams = toneOnBothLegs(sender, legs, 10);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const { startedAt } = (await (
        await fetch(`${server.url}/api/v1/calls/${callId}`, { headers: exec })
      ).json()) as Call;
      // 400 sign-ins at once over 40 usernames, real and made up: as many hashes as the
      // limits let through, all while the call records.
      const burst = Array.from({ length: 400 }, (_, i) =>
        fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: server.url },
          body: JSON.stringify({
            username: i % 40 === 0 ? 'lead' : `user${i % 40}`,
            password: 'wrong-password-1',
          }),
        }).catch(() => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 700));
      const killedAtMs = Date.now() - Date.parse(startedAt);
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      await Promise.all(burst);
      for (const s of streams) s.stop();
      sender.close();

      const again = await spawnServer({ ...env, EARSHOT_DATA_DIR: dir });
      processes.push(again);
      const response = await fetch(`${again.url}/api/v1/calls/${callId}/recording`, {
        headers: exec,
      });
      expect(response.status).toBe(200);
      const wav = decodeWav(Buffer.from(await response.arrayBuffer()));
      const recordedMs = (wav.left.length / 8000) * 1000;
      // Flushed twice a second: at most the last half second (and a little scheduling).
      expect(recordedMs).toBeGreaterThan(killedAtMs - 650);
      again.child.kill('SIGTERM');
      await new Promise((resolve) => again.child.once('exit', resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a server paused mid-call', () => {
  it('records every frame that waited in its sockets, each where it was spoken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-pause-'));
    try {
      const { server, exec, callId, legs } = await serverWithCall(dir);
      const sender = await udpSocket();
      // Five seconds a leg, 250 frames, whatever the server does meanwhile.
      const streams = toneOnBothLegs(sender, legs, 5);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Stopped for two seconds (a VM's host busy, a debugger, a stop signal): every thread,
      // the media threads too, while a hundred frames a leg queue in the kernel.
      server.child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      server.child.kill('SIGCONT');
      await Promise.all(streams.map((s) => s.done));
      sender.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ended = await fetch(`${server.url}/api/v1/calls/${callId}`, {
        method: 'DELETE',
        headers,
      });
      expect(ended.ok).toBe(true);
      const response = await fetch(`${server.url}/api/v1/calls/${callId}/recording`, {
        headers: exec,
      });
      expect(response.status).toBe(200);
      const wav = decodeWav(Buffer.from(await response.arrayBuffer()));
      // A 20 ms frame is heard when most of its samples carry the tone.
      const heard = (samples: Int16Array) => {
        let frames = 0;
        for (let at = 0; at + 160 <= samples.length; at += 160) {
          const loud = samples.subarray(at, at + 160).filter((s) => Math.abs(s) > 3000).length;
          if (loud > 80) frames++;
        }
        return frames;
      };
      // Placed by when they reached the host, the frames that waited neither pile onto one
      // another nor leave a hole: all 250 a leg, in five seconds of call (give or take the
      // frames cut by the start and the end).
      expect(heard(wav.left)).toBeGreaterThanOrEqual(247);
      expect(heard(wav.right)).toBeGreaterThanOrEqual(247);
      // And the call is as long as what was said, not stretched by the pause.
      expect(wav.left.length / 8000).toBeLessThan(5.5);
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
