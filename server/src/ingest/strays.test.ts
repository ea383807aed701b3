import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:dgram';
import { buildRtp, type Call } from '@earshot/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  legCounters,
  sendTone,
  startTestServer,
  streamTone,
  TEST_CALL,
  udpSocket,
  type TestServer,
} from '../test/harness.ts';

const servers: TestServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of servers.splice(0)) await s.close();
});
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// NOTE: every case runs with both readers of the leg ports: the native batch reader and
// node:dgram (where the native one is not built); both must keep calls apart alike.
let reader = 'udpmux';
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ EARSHOT_RTP_READER: reader, ...env });
  servers.push(s);
  return s;
}
async function socket(address = '127.0.0.1'): Promise<Socket> {
  const s = await udpSocket();
  if (address !== '127.0.0.1') {
    s.close();
    const { createSocket } = await import('node:dgram');
    const bound = createSocket('udp4');
    await new Promise<void>((resolve) => bound.bind(0, address, resolve));
    sockets.push(bound);
    return bound;
  }
  sockets.push(s);
  return s;
}
const counters = legCounters;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `count` paced packets of one stream (SSRC, sequence from `seq`) to a port. */
async function burst(
  from: Socket,
  port: number,
  options: { ssrc: number; seq: number; count: number },
): Promise<void> {
  const payload = new Uint8Array(160).fill(0x7f);
  for (let n = 0; n < options.count; n++) {
    const packet = buildRtp(
      {
        payloadType: 0,
        sequenceNumber: options.seq + n,
        timestamp: (options.seq + n) * 160,
        ssrc: options.ssrc,
      },
      payload,
    );
    from.send(packet, port, '127.0.0.1');
    await pause(20);
  }
}

describe.each(['udpmux', 'dgram'])('no call takes in another call’s audio (%s)', (kind) => {
  beforeAll(() => {
    reader = kind;
  });
  it('RTP still arriving for an ended call is held in quarantine: new calls never get its ports, counters or sound', async () => {
    // NOTE: these small ranges lie above the kernel's ephemeral ports (32768-60999), so no
    // other socket on the machine (another test's, a client's) takes one of them.
    const s = await server({ EARSHOT_RTP_MIN_PORT: '61000', EARSHOT_RTP_MAX_PORT: '61011' });
    const sbc = await socket();
    const old = await s.createCall('PCMU');
    const stale = streamTone(sbc, old.legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.5,
      maxSeconds: 10,
    });
    const staleCustomer = streamTone(sbc, old.legs.customer.port, {
      codec: 'PCMU',
      frequency: 700,
      amplitude: 0.5,
      maxSeconds: 10,
    });
    await pause(300);
    await s.api('DELETE', `/api/v1/calls/${old.callId}`);
    await pause(200);
    // 12 ports, 2 in quarantine: five new calls take the other 10; a sixth finds none free.
    const fresh = [];
    for (let i = 0; i < 5; i++) fresh.push(await s.createCall('PCMU'));
    const ports = fresh.flatMap((c) => [c.legs.agent.port, c.legs.customer.port]);
    expect(ports).not.toContain(old.legs.agent.port);
    expect(ports).not.toContain(old.legs.customer.port);
    const sixth = await s.api('POST', '/api/v1/calls', TEST_CALL);
    expect(sixth.status).toBe(503);
    await pause(500);
    for (const c of fresh) {
      const call = (await s.api<Call>('GET', `/api/v1/calls/${c.callId}`)).body;
      expect(call.legs.agent).toMatchObject({ packets: 0, dropped: 0, level: 0 });
      expect(call.legs.customer).toMatchObject({ packets: 0, dropped: 0, level: 0 });
    }
    const strays = s.earshot.calls.stats().strays;
    expect(strays).toBeGreaterThan(30);
    stale.stop();
    staleCustomer.stop();
    await Promise.all([stale.done, staleCustomer.done]);
    for (const c of fresh) await s.api('DELETE', `/api/v1/calls/${c.callId}`);
  });

  it('after a restart, ports the previous run handed out stay in quarantine while their SBC still sends', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'earshot-restart-'));
    dirs.push(dataDir);
    const env = {
      EARSHOT_DATA_DIR: dataDir,
      EARSHOT_RTP_MIN_PORT: '61100',
      EARSHOT_RTP_MAX_PORT: '61105',
    };
    const sbc = await socket();
    const first = await startTestServer(env);
    const old = await first.createCall('PCMU');
    const streams = [
      streamTone(sbc, old.legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.5,
        maxSeconds: 10,
      }),
      streamTone(sbc, old.legs.customer.port, {
        codec: 'PCMU',
        frequency: 700,
        amplitude: 0.5,
        maxSeconds: 10,
      }),
    ];
    await pause(300);
    await first.close();
    // The SBC did not hear of it and keeps sending; the new process starts on the same data.
    const second = await server(env);
    expect(second.earshot.calls.stats().quarantinedPorts).toBe(2);
    const a = await second.createCall('PCMU');
    const b = await second.createCall('PCMU');
    const ports = [a, b].flatMap((c) => [c.legs.agent.port, c.legs.customer.port]);
    expect(ports.sort()).toEqual(
      [61100, 61101, 61102, 61103, 61104, 61105].filter(
        (p) => p !== old.legs.agent.port && p !== old.legs.customer.port,
      ),
    );
    await pause(500);
    for (const c of [a, b]) {
      for (const leg of ['agent', 'customer'] as const)
        expect((await counters(second, c.callId, leg)).packets).toBe(0);
    }
    expect(second.earshot.calls.stats().strays).toBeGreaterThan(20);
    for (const st of streams) st.stop();
    await Promise.all(streams.map((st) => st.done));
  });

  it('leg ports cannot be predicted: spraying the ports next to the last call does not reach the next one', async () => {
    const s = await server();
    const attacker = await socket('127.0.0.2');
    const sbc = await socket();
    const one = await s.createCall('PCMU');
    const guesses: number[] = [];
    for (let d = 1; d <= 8; d++) guesses.push(one.legs.customer.port + d, one.legs.agent.port + d);
    const payload = new Uint8Array(160);
    for (let i = 0; i < 40; i++)
      for (const port of guesses)
        attacker.send(
          buildRtp({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0xbad }, payload),
          port,
          '127.0.0.1',
        );
    const next = await s.createCall('PCMU');
    const spray = setInterval(() => {
      for (const port of guesses)
        attacker.send(
          buildRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 0xbad }, payload),
          port,
          '127.0.0.1',
        );
    }, 20);
    try {
      await sendTone(sbc, next.legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.3,
        packets: 50,
      });
    } finally {
      clearInterval(spray);
    }
    await pause(100);
    expect((await counters(s, next.callId, 'agent')).packets).toBe(50);
    // Twenty calls' ports: not a sequence.
    const many: number[] = [];
    for (let i = 0; i < 20; i++) many.push((await s.createCall('PCMU')).legs.agent.port);
    const steps = many.slice(1).map((p, i) => p - many[i]!);
    expect(steps.filter((d) => Math.abs(d) <= 2).length).toBeLessThan(5);
    for (const c of s.earshot.calls.list()) await s.api('DELETE', `/api/v1/calls/${c.id}`);
  });

  it('a named source is never displaced, even after it pauses', async () => {
    const s = await server();
    const sbc = await socket();
    const attacker = await socket('127.0.0.2');
    const { address, port } = sbc.address();
    const call = await s.createCall('PCMU', { legs: { agent: { source: { ip: address, port } } } });
    const target = call.legs.agent.port;
    // The attacker is first and keeps going; the real SBC starts later and pauses 2.5 s.
    const spray = burst(attacker, target, { ssrc: 0xbad, seq: 1, count: 250 });
    await pause(200);
    await burst(sbc, target, { ssrc: 0x5bc, seq: 100, count: 25 });
    await pause(2500);
    await burst(sbc, target, { ssrc: 0x5bc, seq: 125, count: 25 });
    await spray;
    await pause(100);
    const c = await counters(s, call.callId, 'agent');
    expect(c.packets).toBe(50);
    expect(c.droppedBy['other-source']).toBe(250);
    await s.api('DELETE', `/api/v1/calls/${call.callId}`);
  });

  it('an unnamed leg re-latches after silence, but its first stream takes it back when it resumes', async () => {
    const s = await server();
    const sbc = await socket();
    const stray = await socket('127.0.0.2');
    const call = await s.createCall('PCMU');
    const target = call.legs.agent.port;
    await burst(sbc, target, { ssrc: 0x5bc, seq: 100, count: 25 });
    // 2.5 s of silence: a stray source latches and keeps sending...
    await pause(2500);
    const spray = burst(stray, target, { ssrc: 0xbad, seq: 1, count: 150 });
    await pause(600);
    // ...and the real stream resumes (same source, same SSRC): it takes the leg back.
    await burst(sbc, target, { ssrc: 0x5bc, seq: 125, count: 50 });
    await spray;
    await pause(100);
    const c = await counters(s, call.callId, 'agent');
    const strayAccepted = c.packets - 75;
    expect(strayAccepted).toBeGreaterThan(10); // the stray was heard while the leg was silent
    expect(strayAccepted).toBeLessThan(40); // ...and only then
    expect(c.droppedBy['other-source']).toBe(150 - strayAccepted);
    await s.api('DELETE', `/api/v1/calls/${call.callId}`);
  });

  it('POST /calls refuses a malformed leg source and changes nothing', async () => {
    const s = await server();
    const before = await s.snapshot();
    for (const source of [
      { ip: 'not-an-ip' },
      { ip: '127.0.0.1', port: 0 },
      { ip: '127.0.0.1', extra: 1 },
    ]) {
      const res = await s.api('POST', '/api/v1/calls', {
        ...TEST_CALL,
        legs: { agent: { source } },
      });
      expect(res.status).toBe(400);
    }
    expect(await s.snapshot()).toBe(before);
  });
});
