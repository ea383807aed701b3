import type { Call, Codec } from '@earshot/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../test/fixtures.ts';
import {
  eventually,
  freePort,
  recordingOf,
  sendTone,
  toneFrequency,
  voiced,
} from '../../test/harness.ts';
import { fixtureBody } from '../../test/sipClient.ts';
import { runSipp, type SippStep } from '../../test/sipp.ts';
import { SIPREC_ENV, SIPREC_ORG, sipTarget } from '../../test/siprecFixtures.ts';

const t = useTestServer(SIPREC_ENV);
beforeAll(async () => {
  await t.server.api('PUT', '/api/v1/org', SIPREC_ORG, { as: 'admin' });
});

/**
 * Each fixture, with the address its agent has in the metadata: the transfer step swaps it
 * for agent 7400 (Luis Rivera, Brooklyn billing) in a complete metadata update.
 */
const CASES: { file: string; transport: 'udp' | 'tcp'; agentAor: string | null; codec: Codec }[] = [
  { file: 'cisco-siprec-offer.txt', transport: 'udp', agentAor: 'sip:7300@', codec: 'PCMU' },
  { file: 'cisco-siprec-offer.txt', transport: 'tcp', agentAor: 'sip:7300@', codec: 'PCMU' },
  { file: 'acme-siprec-offer.txt', transport: 'tcp', agentAor: 'sip:1002@', codec: 'PCMU' },
  { file: 'sonus-siprec-offer.txt', transport: 'udp', agentAor: '"2249888012@', codec: 'PCMU' },
  { file: 'broadworks-offer.txt', transport: 'tcp', agentAor: null, codec: 'PCMA' },
  { file: 'connectel-offer.txt', transport: 'udp', agentAor: 'sip:0760516936@', codec: 'PCMU' },
  { file: 'connectel-offer2.txt', transport: 'tcp', agentAor: 'sip:0760516936@', codec: 'PCMU' },
  { file: 'connectel-offer3.txt', transport: 'udp', agentAor: 'sip:0760516936@', codec: 'PCMU' },
  { file: 'broadworks-offer-2.txt', transport: 'tcp', agentAor: 'sip:ASBCE@', codec: 'PCMA' },
  {
    file: 'procomm-siprec-offer.txt',
    transport: 'udp',
    agentAor: '"Extension-016190619@',
    codec: 'PCMA',
  },
];

/** A hold body for any offer: its own SDP with every stream inactive. */
const held = (body: string) => body.replace(/a=(sendonly|sendrecv)/g, 'a=inactive');

describe('SIPREC with sipp as the recording client', () => {
  for (const c of CASES) {
    it(`${c.file} over ${c.transport}: INVITE, both legs recorded, hold, resume, a transfer, BYE`, async () => {
      const offer = fixtureBody(c.file);
      const transfer = c.agentAor
        ? offer.body.replace(c.agentAor, c.agentAor.replace(/[^":]+@$/, '7400@'))
        : offer.body;
      const steps: SippStep[] = [
        { send: 'INVITE', initial: true, cseq: 1, ...offer },
        { pause: 2000 },
        { send: 'INVITE', cseq: 2, contentType: offer.contentType, body: held(offer.body) },
        { pause: 600 },
        { send: 'INVITE', cseq: 3, ...offer },
        { pause: 300 },
        { send: 'UPDATE', cseq: 4, contentType: offer.contentType, body: transfer },
        { pause: 600 },
        { send: 'BYE', cseq: 5 },
      ];
      const before = new Set(t.server.earshot.calls.list().map((x) => x.id));
      const seen: Call[] = [];
      const run = runSipp({
        steps,
        transport: c.transport,
        target: sipTarget(t.server, c.transport),
        localPort: await freePort(),
      });
      const call = await eventually(
        () => t.server.earshot.calls.list().find((x) => !before.has(x.id)),
        5000,
        'the call from sipp',
      );
      expect(call.codec).toBe(c.codec);
      if (c.agentAor) expect(call).toMatchObject({ agent: { id: 'a-olsen' }, team: 'mpls-care-1' });
      else expect(call.unmatched).toBe(true);
      // RTP to both answered ports while sipp holds the session.
      const pt = c.codec === 'PCMU' ? 0 : 8;
      await Promise.all([
        sendTone(t.sender, call.legs.agent.port, {
          codec: c.codec,
          payloadType: pt,
          frequency: 440,
          amplitude: 0.3,
          packets: 50,
          ssrc: 11,
        }),
        sendTone(t.sender, call.legs.customer.port, {
          codec: c.codec,
          payloadType: pt,
          frequency: 900,
          amplitude: 0.3,
          packets: 50,
          ssrc: 12,
        }),
      ]);
      const watch = setInterval(() => {
        const live = t.server.earshot.calls.live(call.id);
        if (live) seen.push(live.toJSON());
      }, 50);
      const result = await run.finally(() => clearInterval(watch));
      expect(result.code, result.output).toBe(0);
      expect(seen.some((x) => x.state === 'held')).toBe(true);
      expect(
        seen.some(
          (x, i) => x.state === 'talking' && seen.slice(0, i).some((y) => y.state === 'held'),
        ),
      ).toBe(true);
      if (c.agentAor)
        expect(seen.some((x) => x.agent.id === 'a-rivera' && x.team === 'bk-billing')).toBe(true);
      const ended = await t.server.waitForCall(call.id, (x) => x.state === 'ended', 'the end');
      expect(ended.endReason).toBe('hangup');
      const wav = await recordingOf(t.server, call.id);
      expect(toneFrequency(voiced(wav.left))).toBeCloseTo(440, -1);
      // The one mixed stream is the agent leg; the SBC was given no customer port.
      if (c.file !== 'broadworks-offer.txt')
        expect(toneFrequency(voiced(wav.right))).toBeCloseTo(900, -1);
    });
  }
});
