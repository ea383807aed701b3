import { Org, type Call, type KpiSnapshot } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../log/logger.ts';
import { eventually, startTestServer, TEST_TOKEN, type TestServer } from '../test/harness.ts';
import { Conversation } from './Conversation.ts';
import { demoOrg } from './demoOrg.ts';
import { Random } from './random.ts';
import { Floor, Scheduler } from './Floor.ts';
import { Simulator, type SimEvent } from './Simulator.ts';
import { renderVoices } from './voices.ts';

const rms = (frame: Int16Array) => Math.sqrt(frame.reduce((s, x) => s + x * x, 0) / frame.length);
const LOUD = 300; // about -40 dBFS

describe('demo organisation', () => {
  it('has 17 centers, teams of 30-40 agents, specialty teams open 7 am-9 pm, and depends only on the seed', () => {
    const org = Org.parse(demoOrg(new Random(7)));
    expect(org.centers).toHaveLength(17);
    expect(
      org.centers
        .filter((c) => c.regionId === 'upper-midwest')
        .every((c) => c.id.startsWith('mn-')),
    ).toBe(true);
    for (const team of org.teams) {
      const size = org.agents.filter((a) => a.teamId === team.id).length;
      expect(size).toBeGreaterThanOrEqual(30);
      expect(size).toBeLessThanOrEqual(40);
      expect(team.hours).toEqual(
        team.specialty ? { kind: 'daily', open: '07:00', close: '21:00' } : { kind: 'always' },
      );
    }
    expect(demoOrg(new Random(7))).toEqual(org);
    expect(demoOrg(new Random(8))).not.toEqual(org);
  });
});

describe('simulated conversation', () => {
  const voices = renderVoices(new Random(1));
  const talk = 40;
  const hold: [number, number] = [15, 10];
  const frames = (seed: number) => {
    const conversation = new Conversation(voices, new Random(seed), talk, [hold]);
    const n = Math.ceil(conversation.length / 160);
    return {
      agent: Array.from({ length: n }, (_, i) => conversation.frame('agent', i)),
      customer: Array.from({ length: n }, (_, i) => conversation.frame('customer', i)),
    };
  };

  it('takes turns: the agent greets first, mostly one side talks at a time, both sides talk', () => {
    const { agent, customer } = frames(3);
    const loudA = agent.map((f) => rms(f) > LOUD);
    const loudC = customer.map((f) => rms(f) > LOUD);
    const firstA = loudA.indexOf(true);
    const firstC = loudC.indexOf(true);
    expect(firstA).toBeGreaterThanOrEqual(0);
    expect(firstA).toBeLessThan(firstC);
    const outsideHold = (i: number) => i < hold[0] * 50 || i >= (hold[0] + hold[1]) * 50;
    const talkFrames = loudA.map((_, i) => i).filter(outsideHold);
    const share = (pred: (i: number) => boolean) =>
      talkFrames.filter(pred).length / talkFrames.length;
    expect(share((i) => loudA[i]!)).toBeGreaterThan(0.15);
    expect(share((i) => loudC[i]!)).toBeGreaterThan(0.15);
    expect(share((i) => loudA[i]! && loudC[i]!)).toBeLessThan(0.2);
    expect(share((i) => !loudA[i]! && !loudC[i]!)).toBeGreaterThan(0.05); // pauses
  });

  it('plays hold music on the agent leg while the customer leg stays quiet', () => {
    const { agent, customer } = frames(3);
    const during = (legFrames: Int16Array[]) =>
      legFrames.slice(hold[0] * 50 + 5, (hold[0] + hold[1]) * 50 - 5);
    expect(
      during(agent).filter((f) => rms(f) > LOUD).length / during(agent).length,
    ).toBeGreaterThan(0.9);
    expect(during(customer).filter((f) => rms(f) > LOUD).length).toBe(0);
  });

  it('is the same for the same seed', () => {
    const a = frames(5);
    const b = frames(5);
    expect(a.agent.map(rms)).toEqual(b.agent.map(rms));
    expect(frames(6).agent.map(rms)).not.toEqual(a.agent.map(rms));
  });
});

describe('a day on the floor', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('on a fast clock, gives the figures a contact-center person recognises', async () => {
    // The four Minnesota centers, 8:00 to 11:00 Central on a Tuesday, in a moment.
    const whole = demoOrg(new Random(5));
    const centers = whole.centers.filter((c) => c.regionId === 'upper-midwest');
    const teams = whole.teams.filter((t) => centers.some((c) => c.id === t.centerId));
    const org = {
      ...whole,
      centers,
      regions: whole.regions.filter((r) => r.id === 'upper-midwest'),
      teams,
      agents: whole.agents.filter((a) => teams.some((t) => t.id === a.teamId)),
    };
    await server.earshot.org.replace(org);
    const start = Date.parse('2026-11-24T08:00:00-06:00');
    const end = Date.parse('2026-11-24T11:00:00-06:00');
    const scheduler = new Scheduler(start);
    const events: SimEvent[] = [];
    let n = 0;
    const floor = new Floor({
      org,
      random: new Random(5),
      scheduler,
      emit: (event) =>
        events.push({ ...event, id: `day-${n++}`, at: new Date(scheduler.now()).toISOString() }),
      nextCallId: () => `day-call-${n++}`,
    });
    floor.start();
    scheduler.runUntil(end);
    for (let i = 0; i < events.length; i += 5000)
      await server.earshot.kpi.ingest(events.slice(i, i + 5000));
    const region = (await server.earshot.kpi.metrics('region:upper-midwest', '1h', end)).metrics;
    expect(region.serviceLevel).toBeGreaterThanOrEqual(0.7);
    expect(region.serviceLevel).toBeLessThanOrEqual(0.9);
    expect(region.abandonRate).toBeGreaterThan(0.01);
    expect(region.abandonRate).toBeLessThan(0.08);
    expect(region.occupancy).toBeGreaterThanOrEqual(0.7);
    expect(region.occupancy).toBeLessThanOrEqual(0.92);
    expect(region.asaMs).toBeGreaterThan(5_000);
    expect(region.asaMs).toBeLessThan(60_000);
    expect(region.csat).toBeGreaterThan(3.5);
    expect(region.csat).toBeLessThan(4.5);
  });
});

describe('simulator against a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('declares the organisation, streams both legs of the calls it taps and reports the staff meeting', async () => {
    const simulator = await Simulator.start({
      baseUrl: server.earshot.url,
      ingestToken: TEST_TOKEN,
      declareOrg: (org) => server.earshot.org.replace(org),
      seed: 11,
      concurrentCalls: 3,
      // Ten minutes of the floor before the start: calls are under way to tap at once.
      warmUpMs: 10 * 60_000,
      logger: createRootLogger('silent'),
    });
    try {
      const org = (await server.api<Org>('GET', '/api/v1/org')).body;
      expect(org.centers).toHaveLength(17);
      const calls = await eventually(
        async () => {
          const live = (await server.api<{ calls: Call[] }>('GET', '/api/v1/calls')).body.calls;
          return live.length >= 1 &&
            live.every((c) => c.legs.agent.packets > 25 && c.legs.customer.packets > 25)
            ? live
            : undefined;
        },
        8000,
        'simulated calls with RTP on both legs',
      );
      for (const call of calls) {
        expect(call.codec).toBe('PCMU');
        // A tap may join a call the ACD already put on hold or transferred.
        expect(['talking', 'held', 'transferred']).toContain(call.state);
        expect(call.legs.agent.dropped + call.legs.customer.dropped).toBe(0);
        const events = simulator
          .recentEvents()
          .filter((e) => 'callId' in e && e.callId === call.externalId);
        // The tap may have joined a call already under way: its events came before.
        expect(events.every((e) => e.type !== 'call.ended')).toBe(true);
      }
      // The staff meeting's figures for today come in beside the measured ones, and the
      // centers that dress theirs up are flagged, the others not.
      const reported = await eventually(
        async () => {
          const all = await Promise.all(
            org.centers.map(
              async (c) =>
                (await server.api<KpiSnapshot>('GET', `/api/v1/kpis/center:${c.id}?window=today`))
                  .body.reported,
            ),
          );
          // AHT is the figure a dressed-up report moves by 18 %; it drifts little between the
          // report and this look (a share of a few dozen calls may, on a loaded machine).
          const flagged = all.some((r) => r.ahtMs?.flagged);
          const honest = all.some((r) => r.ahtMs && !r.ahtMs.flagged);
          return flagged && honest ? all : undefined;
        },
        80_000,
        'reported figures, some of them flagged',
      );
      expect(reported.filter((r) => Object.keys(r).length > 0).length).toBeGreaterThan(1);
    } finally {
      await simulator.stop();
    }
  }, 120_000);
});
