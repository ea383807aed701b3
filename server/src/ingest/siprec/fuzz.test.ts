import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../test/fixtures.ts';
import { fixtureBody, SipTestClient } from '../../test/sipClient.ts';
import { seeded as random, type Seeded } from '../../test/random.ts';
import { SIPREC_ENV, SIPREC_ORG, sipTarget } from '../../test/siprecFixtures.ts';

const t = useTestServer(SIPREC_ENV);
beforeAll(async () => {
  await t.server.api('PUT', '/api/v1/org', SIPREC_ORG, { as: 'admin' });
});

const CISCO = fixtureBody('cisco-siprec-offer.txt');
const BOMB = `--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 0\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><recording>&lol3;</recording>\r\n--b--\r\n`;
const DEEP = `--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 9 RTP/AVP 0\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<recording>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</recording>\r\n--b--\r\n`;

/** One message that is wrong in at least one way no recording session survives. */
function hostileMessage(r: Seeded, port: number, transport: 'udp' | 'tcp'): Buffer {
  const callId = `fuzz-${r.int(1e9)}@x`;
  const branch = `z9hG4bK${r.int(1e9)}`;
  const base = (method: string, extra: string[], body = '', contentLength?: string) =>
    [
      `${method} sip:srs@127.0.0.1 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`,
      'Max-Forwards: 70',
      `From: <sip:src@x>;tag=${r.int(1e9)}`,
      'To: <sip:srs@127.0.0.1>',
      `Call-ID: ${callId}`,
      `CSeq: ${r.int(1000) + 1} ${method}`,
      'Contact: <sip:src@127.0.0.1>;+sip.src',
      ...extra,
      `Content-Length: ${contentLength ?? Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  const kinds: (() => string | Buffer)[] = [
    () => Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256))),
    () =>
      base(
        'INVITE',
        ['Require: siprec', `Content-Type: ${CISCO.contentType}`],
        CISCO.body,
        String(CISCO.body.length + 1 + r.int(5000)),
      ),
    () =>
      base(
        'INVITE',
        ['Require: siprec', `Content-Type: ${CISCO.contentType}`],
        CISCO.body,
        r.pick(['-1', 'abc', '99999999', '1e3', '']),
      ),
    () =>
      base(
        'INVITE',
        ['Require: siprec', 'Content-Type: multipart/mixed'],
        'no boundary, no parts at all',
      ),
    () => base('INVITE', ['Require: siprec', 'Content-Type: multipart/mixed;boundary=b'], BOMB),
    () => base('INVITE', ['Require: siprec', 'Content-Type: multipart/mixed;boundary=b'], DEEP),
    () =>
      base('INVITE', ['Require: siprec', `Content-Type: ${CISCO.contentType}`], CISCO.body).replace(
        /CSeq: \d+ INVITE/,
        r.pick(['CSeq: 1 BYE', 'CSeq: x INVITE', 'CSeq: 99999999999 INVITE', 'CSeq:']),
      ),
    () =>
      base('INVITE', ['Require: siprec', `Content-Type: ${CISCO.contentType}`], CISCO.body).replace(
        r.pick([/Via: [^\r]*\r\n/, /Call-ID: [^\r]*\r\n/, /;tag=\d+/, /From: [^\r]*\r\n/]),
        '',
      ),
    () => `${r.pick(['INVITE', 'GARBAGE', '', 'SIP/2.0'])} ${'x'.repeat(r.int(3000))}\r\n\r\n`,
    () => base('INVITE', ['Require: siprec', `X-Big: ${'A'.repeat(20_000)}`]),
    () =>
      base(
        'OPTIONS',
        Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`),
      ),
    () =>
      base(
        'INVITE',
        ['Require: siprec', 'Content-Type: application/sdp'],
        `v=0\r\n${'m=audio x\r\n'.repeat(r.int(40))}`,
      ),
    () =>
      base(r.pick(['BYE', 'UPDATE', 'INFO']), []).replace(
        'To: <sip:srs@127.0.0.1>',
        'To: <sip:srs@127.0.0.1>;tag=nope',
      ),
    () => base(r.pick(['REGISTER', 'SUBSCRIBE', 'MESSAGE', 'FROB', 'PUBLISH']), []),
    () => {
      const whole = base(
        'INVITE',
        ['Require: siprec', `Content-Type: ${CISCO.contentType}`],
        CISCO.body,
      );
      return whole.slice(0, r.int(whole.indexOf('\r\n\r\n')));
    },
    () => base('INVITE', ['Require: siprec']).replace('SIP/2.0\r\n', 'SIP/1.0\r\n'),
    () =>
      base('INVITE', ['Content-Type: application/sdp'], 'v=0\r\nm=audio 9 RTP/AVP 0\r\n').replace(
        'Contact: <sip:src@127.0.0.1>;+sip.src',
        'Contact: <sip:x@y>',
      ),
    () =>
      base(
        'INVITE',
        ['Require: siprec, frobnicate', `Content-Type: ${CISCO.contentType}`],
        CISCO.body,
      ),
    () =>
      base(
        'INVITE',
        ['Require: siprec', 'Content-Type: multipart/mixed;boundary=b'],
        '--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=video 9 RTP/AVP 96\r\n--b--',
      ),
    () => '\r\n'.repeat(r.int(50) + 1),
  ];
  // NOTE: over TCP a Content-Length past the body frames the next message into it (as
  // RFC 3261 18.3 says it must), so that defect is a UDP one.
  let kind = r.int(kinds.length);
  if (transport === 'tcp' && kind === 1) kind = 2;
  const out = kinds[kind]!();
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
}

describe('SIP fuzzing', () => {
  let udp: SipTestClient;
  afterAll(() => udp?.close());

  it('thousands of random and malformed messages over UDP and TCP: no crash, no call, still answering, memory bounded', async () => {
    udp = await SipTestClient.open('udp', sipTarget(t.server, 'udp'));
    const r = random(20261201);
    const rssBefore = process.memoryUsage().rss;
    // UDP: 3,000 datagrams, paced in bursts so the kernel buffer is not what is tested.
    for (let i = 0; i < 3000; i++) {
      const message = hostileMessage(r, udp.localPort, 'udp');
      if (message.length > 0 && message.length < 65_000) udp.send(message);
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // TCP: 1,000 messages over 20 connections, then framing attacks.
    const { port } = sipTarget(t.server, 'tcp');
    for (let c = 0; c < 20; c++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      for (let i = 0; i < 50; i++) socket.write(hostileMessage(r, socket.localPort ?? 0, 'tcp'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
    }
    const attacks = [
      Buffer.from('INVITE sip:srs@x SIP/2.0\r\nContent-Length: 60000\r\n\r\nshort'),
      Buffer.alloc(70_000, 0x41),
      Buffer.from(`OPTIONS sip:srs@x SIP/2.0\r\n${'X-Long: y\r\n'.repeat(3000)}`),
    ];
    for (const attack of attacks) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(attack);
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(t.server.earshot.calls.list().map((c) => c.externalId)).toEqual([]);
    const stored = await t.server.earshot.db.all('SELECT id FROM calls');
    expect(stored).toEqual([]);
    expect(t.server.earshot.siprec!.sessions).toBe(0);
    // Still answering, on both transports.
    for (const transport of ['udp', 'tcp'] as const) {
      const client = await SipTestClient.open(transport, sipTarget(t.server, transport));
      const d = client.dialog();
      const req = client.request('OPTIONS', d);
      client.send(req.text);
      expect((await client.final(req)).status).toBe(200);
      client.close();
    }
    // And a real session still works end to end.
    const good = await udp.invite('cisco-siprec-offer.txt');
    expect(good.response.status).toBe(200);
    expect((await udp.inDialog('BYE', good.dialog)).status).toBe(200);
    const grownMb = (process.memoryUsage().rss - rssBefore) / 1e6;
    expect(grownMb).toBeLessThan(150);
  });
});
