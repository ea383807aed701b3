import type { Codec } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../test/fixtures.ts';
import { eventually, recordingOf, sendTone, toneFrequency, voiced } from '../../test/harness.ts';
import { answeredStreams, fixtureBody, SipTestClient } from '../../test/sipClient.ts';
import { SIPREC_ENV, SIPREC_ORG, sipTarget } from '../../test/siprecFixtures.ts';

const t = useTestServer(SIPREC_ENV);
let udp: SipTestClient;
let tcp: SipTestClient;
beforeAll(async () => {
  const put = await t.server.api('PUT', '/api/v1/org', SIPREC_ORG, { as: 'admin' });
  expect(put.status).toBe(200);
  udp = await SipTestClient.open('udp', sipTarget(t.server, 'udp'));
  tcp = await SipTestClient.open('tcp', sipTarget(t.server, 'tcp'));
});
afterAll(() => {
  udp?.close();
  tcp?.close();
});

const liveCall = (externalId: string) =>
  eventually(
    () => t.server.earshot.calls.list().find((c) => c.externalId === externalId),
    3000,
    'the SIPREC call on the board',
  );

/** Each fixture: who the agent is, which label is theirs, and the codec the answer picks. */
const FIXTURES: {
  file: string;
  agent: string | null;
  agentLabel: string;
  customerLabel: string | null;
  codec: Codec;
}[] = [
  {
    file: 'cisco-siprec-offer.txt',
    agent: 'a-olsen',
    agentLabel: '2',
    customerLabel: '1',
    codec: 'PCMU',
  },
  {
    file: 'acme-siprec-offer.txt',
    agent: 'a-olsen',
    agentLabel: '16777228',
    customerLabel: '16777227',
    codec: 'PCMU',
  },
  {
    file: 'sonus-siprec-offer.txt',
    agent: 'a-olsen',
    agentLabel: '1',
    customerLabel: '2',
    codec: 'PCMU',
  },
  {
    file: 'broadworks-offer.txt',
    agent: null,
    agentLabel: '1',
    customerLabel: null,
    codec: 'PCMA',
  },
  {
    file: 'connectel-offer.txt',
    agent: 'a-olsen',
    agentLabel: '2',
    customerLabel: '1',
    codec: 'PCMU',
  },
  {
    file: 'connectel-offer2.txt',
    agent: 'a-olsen',
    agentLabel: '2',
    customerLabel: '1',
    codec: 'PCMU',
  },
  {
    file: 'connectel-offer3.txt',
    agent: 'a-olsen',
    agentLabel: '2',
    customerLabel: '1',
    codec: 'PCMU',
  },
  {
    file: 'broadworks-offer-2.txt',
    agent: 'a-olsen',
    agentLabel: '20',
    customerLabel: '10',
    codec: 'PCMA',
  },
  {
    file: 'procomm-siprec-offer.txt',
    agent: 'a-olsen',
    agentLabel: 'b_leg',
    customerLabel: 'a_leg',
    codec: 'PCMA',
  },
];

describe('SIPREC recording sessions from real SBC offers', () => {
  for (const f of FIXTURES) {
    for (const transport of ['udp', 'tcp'] as const) {
      it(`${f.file} over ${transport}: answered in order, on the board with the right agent, each leg on its channel`, async () => {
        const client = transport === 'udp' ? udp : tcp;
        const { response, dialog } = await client.invite(f.file);
        expect(response.status).toBe(200);
        expect(response.headers.get('contact')).toMatch(/\+sip\.srs/);
        expect(response.headers.get('content-type')).toBe('application/sdp');
        const answer = response.body.toString();
        const offered = fixtureBody(f.file).body.match(/^m=.*$/gm)!;
        const answered = answeredStreams(answer);
        expect(answered).toHaveLength(offered.length);
        const call = await liveCall(dialog.callId);
        expect(call.codec).toBe(f.codec);
        const byLabel = new Map(answered.map((s) => [s.label, s]));
        expect(byLabel.get(f.agentLabel)).toMatchObject({
          port: call.legs.agent.port,
          direction: 'recvonly',
        });
        if (f.customerLabel)
          expect(byLabel.get(f.customerLabel)).toMatchObject({
            port: call.legs.customer.port,
            direction: 'recvonly',
          });
        expect(answer).toMatch(new RegExp(`a=rtpmap:\\d+ ${f.codec}/8000`));
        if (f.agent) {
          expect(call).toMatchObject({
            unmatched: false,
            agent: { id: f.agent },
            team: 'mpls-care-1',
          });
        } else {
          expect(call).toMatchObject({ unmatched: true, team: '', agent: { id: '' } });
        }
        // Both legs, real RTP, to the answered ports: each lands on its channel.
        const pt = f.codec === 'PCMU' ? 0 : 8;
        await Promise.all([
          sendTone(t.sender, call.legs.agent.port, {
            codec: f.codec,
            payloadType: pt,
            frequency: 440,
            amplitude: 0.3,
            packets: 60,
            ssrc: 1,
          }),
          f.customerLabel
            ? sendTone(t.sender, call.legs.customer.port, {
                codec: f.codec,
                payloadType: pt,
                frequency: 900,
                amplitude: 0.3,
                packets: 60,
                ssrc: 2,
              })
            : Promise.resolve(),
        ]);
        const bye = await client.inDialog('BYE', dialog);
        expect(bye.status).toBe(200);
        const ended = await t.server.waitForCall(
          call.id,
          (c) => c.state === 'ended',
          'the call to end',
        );
        expect(ended.endReason).toBe('hangup');
        expect(ended.legs.agent.packets).toBe(60);
        const wav = await recordingOf(t.server, call.id);
        expect(toneFrequency(voiced(wav.left))).toBeCloseTo(440, -1);
        if (f.customerLabel) expect(toneFrequency(voiced(wav.right))).toBeCloseTo(900, -1);
      });
    }
  }
});
