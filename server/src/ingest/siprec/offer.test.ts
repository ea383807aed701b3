import { describe, expect, it } from 'vitest';
import { fixtureBoundary, siprecFixture } from '../../test/siprecFixtures.ts';
import { mergeMetadata, parseMetadata } from './metadata.ts';
import { mapLegs, numberOf, OfferError, parseRecordingBody } from './offer.ts';
import { buildAnswer, chooseCodec } from './sdp.ts';

const offerOf = (name: string, contentType?: string) => {
  const body = siprecFixture(name);
  return parseRecordingBody(
    contentType ?? `multipart/mixed;boundary=${fixtureBoundary(body)}`,
    body,
  );
};

/** Agents by user part, as an organisation with `addresses` would match them. */
const agents = (table: Record<string, string>) => (aor: string) =>
  table[aor.replace(/^sips?:/, '').split('@')[0]!];

describe('SIPREC offers from real SBCs', () => {
  it('Cisco CUBE: two labelled streams, participantstreamassoc decides whose is whose', () => {
    const offer = offerOf('cisco-siprec-offer.txt');
    expect(offer.streams.map((s) => [s.label, s.port, s.direction])).toEqual([
      ['1', 10292, 'sendonly'],
      ['2', 10294, 'sendonly'],
    ]);
    expect(offer.streams[0]!.telephoneEvent).toEqual({ payloadType: 101, fmtp: '0-16' });
    expect(offer.streams[0]!.address).toBe('172.31.93.236');
    // 7300 sends label 2; 7301 sends label 1.
    const byAgent = mapLegs(offer.streams, offer.metadata, agents({ '7300': 'a-olsen' }));
    expect(byAgent.agent?.agentId).toBe('a-olsen');
    expect(byAgent.legs.agent?.label).toBe('2');
    expect(byAgent.legs.customer?.label).toBe('1');
    expect(byAgent.participants).toEqual([
      { aor: 'sip:7301@35.162.237.204', name: null, leg: 'customer' },
      { aor: 'sip:7300@35.162.237.204', name: '7300', leg: 'agent' },
    ]);
    const other = mapLegs(offer.streams, offer.metadata, agents({ '7301': 'a-rivera' }));
    expect(other.legs.agent?.label).toBe('1');
    expect(other.legs.customer?.label).toBe('2');
  });

  it('Acme Packet pre-RFC layout: send inside participant, callingParty marks the customer', () => {
    const offer = offerOf('acme-siprec-offer.txt');
    expect(offer.metadata?.participants.map((p) => [p.aor, p.sends, p.calling])).toEqual([
      ['sip:9000@192.168.50.102', ['Q4O8SGLQSilXHUGQX2zd8Q=='], true],
      ['sip:1002@192.168.50.10', ['l1NyQy8ORSlouUj2G3UE/A=='], false],
    ]);
    const matched = mapLegs(offer.streams, offer.metadata, agents({ '1002': 'a-olsen' }));
    expect(matched.legs.agent?.label).toBe('16777228');
    expect(matched.legs.customer?.label).toBe('16777227');
    // Unmatched: the calling party (9000) is the customer all the same.
    const unmatched = mapLegs(offer.streams, offer.metadata, () => undefined);
    expect(unmatched.agent).toBeNull();
    expect(unmatched.legs.customer?.label).toBe('16777227');
    expect(unmatched.legs.agent?.label).toBe('16777228');
  });

  it('Ribbon/Sonus: tns: prefixes, callData From names the caller', () => {
    const offer = offerOf('sonus-siprec-offer.txt');
    const people = offer.metadata!.participants;
    expect(people.map((p) => [p.aor, p.calling])).toEqual([
      ['2249888500@172.16.198.55', true],
      ['2249888012@172.16.195.72', false],
    ]);
    const m = mapLegs(offer.streams, offer.metadata, agents({ '2249888012': 'a-olsen' }));
    // 2249888012 sends stream ...YzQ, labelled 1.
    expect(m.legs.agent?.label).toBe('1');
    expect(m.legs.customer?.label).toBe('2');
    expect(numberOf(m.customer?.aor)).toBe('2249888500');
  });

  it('BroadWorks: metadata first, a mangled Content-Type, one mixed stream on the agent leg', () => {
    const offer = offerOf('broadworks-offer.txt');
    expect(offer.hasMetadataPart).toBe(true);
    expect(offer.metadata).toBeNull();
    expect(offer.streams).toHaveLength(1);
    expect(chooseCodec(offer.streams)).toBe('PCMA');
    const m = mapLegs(offer.streams, offer.metadata, () => undefined);
    expect(m.legs.agent?.label).toBe('1');
    expect(m.legs.customer).toBeUndefined();
  });

  it('Connectel: several codecs per stream, one common codec chosen; no c= line', () => {
    const offer = offerOf('connectel-offer.txt');
    expect(offer.streams.map((s) => s.codecs.map((c) => c.codec))).toEqual([
      ['PCMU', 'PCMA'],
      ['PCMA', 'PCMU'],
    ]);
    expect(chooseCodec(offer.streams)).toBe('PCMU');
    expect(offer.streams.every((s) => s.address === null)).toBe(true);
    // No stream association at all: participants in stream order.
    const m = mapLegs(offer.streams, offer.metadata, agents({ '0760516936': 'a-olsen' }));
    expect(m.legs.agent?.label).toBe('2');
    expect(m.legs.customer?.label).toBe('1');
    for (const name of ['connectel-offer2.txt', 'connectel-offer3.txt']) {
      const o = offerOf(name);
      expect(o.streams.filter((s) => s.usable)).toHaveLength(2);
      expect(chooseCodec(o.streams)).toBeDefined();
    }
  });

  it('Avaya SBCE via BroadWorks: labels 10 and 20, PCMA with telephone-event', () => {
    const offer = offerOf('broadworks-offer-2.txt');
    expect(chooseCodec(offer.streams)).toBe('PCMA');
    const m = mapLegs(offer.streams, offer.metadata, agents({ ASBCE: 'a-olsen' }));
    expect(m.legs.agent?.label).toBe('20');
    expect(m.legs.customer?.label).toBe('10');
  });

  it('SEMS: rs-metadata without +xml, a_leg/b_leg labels, a=direction:both beside sendonly', () => {
    const offer = offerOf('procomm-siprec-offer.txt');
    expect(offer.metadata?.participants).toHaveLength(2);
    expect(offer.streams.map((s) => s.direction)).toEqual(['sendonly', 'sendonly']);
    const m = mapLegs(offer.streams, offer.metadata, (aor) =>
      aor.startsWith('Extension-016190619') ? 'a-olsen' : undefined,
    );
    expect(m.legs.agent?.label).toBe('b_leg');
    expect(m.legs.customer?.label).toBe('a_leg');
  });

  it('a re-INVITE putting both streams on hold is inactive, and is answered inactive', () => {
    const offer = offerOf('inactive-sdp-offer.txt');
    expect(offer.streams.map((s) => s.direction)).toEqual(['inactive', 'inactive']);
    const answer = buildAnswer({
      ip: '127.0.0.1',
      sessionId: '1',
      version: 2,
      streams: offer.streams.map((s, i) => ({ offer: s, port: 40000 + i, codec: 'PCMU' })),
    });
    expect(answer.match(/a=inactive/g)).toHaveLength(2);
    expect(answer).not.toMatch(/a=recvonly/);
  });

  it('the answer keeps the m-lines in order, one codec each, port 0 for a declined one', () => {
    const offer = offerOf('cisco-siprec-offer.txt');
    const answer = buildAnswer({
      ip: '10.1.2.3',
      sessionId: '77',
      version: 1,
      streams: [
        { offer: offer.streams[0]!, port: 0 },
        { offer: offer.streams[1]!, port: 45002, codec: 'PCMU' },
      ],
    });
    expect(answer.split('\r\n').filter((l) => l.startsWith('m='))).toEqual([
      'm=audio 0 RTP/AVP 0 101',
      'm=audio 45002 RTP/AVP 0 101',
    ]);
    expect(answer).toContain('a=label:1');
    expect(answer).toContain('a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16');
    expect(answer).toContain('c=IN IP4 10.1.2.3');
    expect(answer.match(/a=recvonly/g)).toHaveLength(1);
  });

  it('a plain SDP body is read (the SIP layer refuses it as not a recording session)', () => {
    const offer = parseRecordingBody('application/sdp', siprecFixture('non-siprec-payload.txt'));
    expect(offer.hasMetadataPart).toBe(false);
    expect(offer.streams).toHaveLength(1);
  });

  it('refuses a multipart body without a boundary, broken SDP and XML bombs', () => {
    const refused = (type: string, body: string) => {
      try {
        parseRecordingBody(type, body);
      } catch (error) {
        return error instanceof OfferError ? error.status : -1;
      }
      return 0;
    };
    expect(refused('multipart/mixed', 'no boundary here')).toBe(400);
    expect(refused('application/sdp', 'hello')).toBe(400);
    expect(refused('text/plain', 'v=0')).toBe(415);
    const bomb = `--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><recording>&b;</recording>\r\n--b--`;
    expect(refused('multipart/mixed;boundary=b', bomb)).toBe(400);
    const broken = bomb.replace(
      /<\?xml[\s\S]*<\/recording>/,
      '<recording><participant></recording>',
    );
    expect(refused('multipart/mixed;boundary=b', broken)).toBe(400);
  });

  it('a partial metadata update of a transfer replaces the agent and their stream', () => {
    const first = offerOf('cisco-siprec-offer.txt').metadata!;
    const update = parseMetadata(`<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>partial</datamode>
<participant participant_id="new-agent"><nameID aor="sip:7400@35.162.237.204"/></participant>
<participantsessionassoc participant_id="kQNhKFdEEeeJ+ND/VsPGWA==" session_id="kQNhKFdEEeeJ9tD/VsPGWA=="><disassociate-time>2017-06-23T12:20:00Z</disassociate-time></participantsessionassoc>
<participantstreamassoc participant_id="new-agent"><send>kQOH5VdEEeeJ/dD/VsPGWA==</send></participantstreamassoc>
</recording>`);
    const merged = mergeMetadata(first, update);
    expect(merged.participants.map((p) => p.aor)).toEqual([
      'sip:7301@35.162.237.204',
      'sip:7400@35.162.237.204',
    ]);
    const streams = offerOf('cisco-siprec-offer.txt').streams;
    const m = mapLegs(streams, merged, agents({ '7400': 'a-rivera' }));
    expect(m.agent?.agentId).toBe('a-rivera');
    expect(m.legs.agent?.label).toBe('2');
  });
});
