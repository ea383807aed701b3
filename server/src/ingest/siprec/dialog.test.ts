import { createSocket } from 'node:dgram';
import type { AuditRecord, Call } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../test/fixtures.ts';
import { ask, startListening } from '../../test/consoleClient.ts';
import { eventually, legCounters, METRICS_AUTH, sendTone } from '../../test/harness.ts';
import { fixtureBody, SipTestClient } from '../../test/sipClient.ts';
import type { SipMessage } from './sip/message.ts';
import { siprecFixture } from '../../test/siprecFixtures.ts';
import { SIPREC_ENV, SIPREC_ORG, sipTarget } from '../../test/siprecFixtures.ts';

const t = useTestServer(SIPREC_ENV);
let sip: SipTestClient;
beforeAll(async () => {
  await t.server.api('PUT', '/api/v1/org', SIPREC_ORG, { as: 'admin' });
  sip = await SipTestClient.open('udp', sipTarget(t.server, 'udp'));
});
afterAll(() => sip?.close());

const liveBySipCallId = (callId: string) =>
  t.server.earshot.calls.list().find((c) => c.externalId === callId);
const call = (callId: string) => eventually(() => liveBySipCallId(callId), 3000, 'the SIPREC call');

/** The Cisco offer with its metadata replaced (a transfer's partial update). */
const TRANSFER_METADATA = `--uniqueBoundary\r
Content-Type: application/rs-metadata+xml\r
Content-Disposition: recording-session\r
\r
<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>partial</datamode>
<participant participant_id="new-agent"><nameID aor="sip:7400@10.0.0.1"><name>Luis</name></nameID></participant>
<participantsessionassoc participant_id="kQNhKFdEEeeJ+ND/VsPGWA==" session_id="kQNhKFdEEeeJ9tD/VsPGWA=="><disassociate-time>2017-06-23T12:20:00Z</disassociate-time></participantsessionassoc>
<participantstreamassoc participant_id="new-agent"><send>kQOH5VdEEeeJ/dD/VsPGWA==</send></participantstreamassoc>
</recording>\r
--uniqueBoundary--\r
`;

describe('SIPREC dialogs', () => {
  it('answers OPTIONS keep-alives with 200 and what it takes', async () => {
    const d = sip.dialog();
    const req = sip.request('OPTIONS', d);
    sip.send(req.text);
    const res = await sip.final(req);
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toContain('INVITE');
  });

  it('answers over UDP to the port the Via names, or to the source port when it asks for rport', async () => {
    const other = await SipTestClient.open('udp', sipTarget(t.server, 'udp'));
    try {
      const d = sip.dialog();
      const req = sip.request('OPTIONS', d);
      // Sent from `sip`'s socket, but the Via names `other`'s port and no rport.
      sip.send(
        req.text
          .replace(/;rport/, '')
          .replace(`127.0.0.1:${sip.localPort}`, `127.0.0.1:${other.localPort}`),
      );
      expect((await other.final(req)).status).toBe(200);
      const withRport = sip.request('OPTIONS', sip.dialog());
      sip.send(
        withRport.text.replace(`127.0.0.1:${sip.localPort}`, `127.0.0.1:${other.localPort}`),
      );
      expect((await sip.final(withRport)).status).toBe(200);
    } finally {
      other.close();
    }
  });

  it('refuses a plain (non-SIPREC) INVITE with 488 and a reason, creating nothing', async () => {
    const before = t.server.earshot.calls.list().length;
    const { response } = await sip.invite(
      { body: siprecFixture('non-siprec-payload.txt'), contentType: 'application/sdp' },
      { headers: [], contact: '<sip:gw@127.0.0.1>' },
    );
    expect(response.status).toBe(488);
    expect(response.headers.get('warning')).toMatch(/SIPREC/);
    expect(t.server.earshot.calls.list()).toHaveLength(before);
  });

  it('refuses an address that is not an allowed peer with 403 and an audit record', async () => {
    const stranger = await SipTestClient.open('udp', sipTarget(t.server, 'udp'), '127.0.0.2');
    try {
      const before = t.server.earshot.calls.list().length;
      const { response } = await stranger.invite('cisco-siprec-offer.txt');
      expect(response.status).toBe(403);
      expect(t.server.earshot.calls.list()).toHaveLength(before);
      // The refusal is recorded as it is answered (on PostgreSQL, a moment after).
      await eventually(async () => {
        const audit = await t.server.api<{ records: AuditRecord[] }>(
          'GET',
          '/api/v1/audit?action=siprec.refused',
          undefined,
          { as: 'admin' },
        );
        return audit.body.records.some((r) => r.target === '127.0.0.2') || undefined;
      });
      // An admin allows it in the console: the next INVITE is taken.
      const added = await t.server.api<{ id: string }>(
        'POST',
        '/api/v1/siprec/peers',
        { cidr: '127.0.0.2/32', label: 'second SBC' },
        { as: 'admin' },
      );
      expect(added.status).toBe(201);
      const again = await stranger.invite('cisco-siprec-offer.txt');
      expect(again.response.status).toBe(200);
      await stranger.inDialog('BYE', again.dialog);
      const removed = await t.server.api(
        'DELETE',
        `/api/v1/siprec/peers/${added.body.id}`,
        undefined,
        {
          as: 'admin',
        },
      );
      expect(removed.status).toBe(200);
      expect((await stranger.invite('cisco-siprec-offer.txt')).response.status).toBe(403);
    } finally {
      stranger.close();
    }
  });

  it('absorbs a retransmitted INVITE, retransmits its 200 until the ACK, then stops', async () => {
    const d = sip.dialog();
    const { body, contentType } = fixtureBody('cisco-siprec-offer.txt');
    const req = sip.request('INVITE', d, { body, contentType, headers: [['Require', 'siprec']] });
    sip.send(req.text);
    sip.send(req.text);
    const first = await sip.final(req);
    expect(first.status).toBe(200);
    // No ACK yet: the same 200 comes again (T1, then doubling).
    const again = await sip.final(req, 2500);
    expect(again.body.toString()).toBe(first.body.toString());
    expect(t.server.earshot.calls.list().filter((c) => c.externalId === d.callId)).toHaveLength(1);
    d.toTag = /tag=([^;\s]+)/.exec(first.headers.get('to') ?? '')?.[1];
    sip.ack(d);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const isOurs = (m: SipMessage) =>
      m.kind === 'response' && m.headers.get('call-id') === d.callId;
    while (sip.inbox.some(isOurs)) await sip.next(isOurs);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(sip.inbox.filter(isOurs)).toHaveLength(0);
    expect((await sip.inDialog('BYE', d)).status).toBe(200);
  });

  it('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, no call left', async () => {
    const d = sip.dialog();
    const { body, contentType } = fixtureBody('cisco-siprec-offer.txt');
    const invite = sip.request('INVITE', d, {
      body,
      contentType,
      headers: [['Require', 'siprec']],
    });
    sip.send(invite.text);
    const cancel = sip.request('CANCEL', d, { branch: invite.branch });
    sip.send(cancel.text);
    expect((await sip.final(cancel)).status).toBe(200);
    expect((await sip.final(invite)).status).toBe(487);
    await eventually(() => (liveBySipCallId(d.callId) ? undefined : true), 3000, 'no live call');
  });

  it('holds with a=inactive and resumes; a transfer in new metadata changes the agent on the board', async () => {
    const { response, dialog } = await sip.invite('cisco-siprec-offer.txt');
    expect(response.status).toBe(200);
    const c = await call(dialog.callId);
    expect(c.agent.id).toBe('a-olsen');
    const metrics = await (
      await fetch(`${t.server.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(metrics).toMatch(/^earshot_siprec_sessions [1-9]/m);
    // The Minneapolis lead hears the call and watches the board.
    const lead = await t.server.console('lead');
    const leadEvents: { ended: string[]; revoked: string[] } = { ended: [], revoked: [] };
    lead.on('board:update', (u) => leadEvents.ended.push(...u.ended));
    lead.on('listen:ended', (e) => e.reason === 'revoked' && leadEvents.revoked.push(e.callId));
    try {
      const board = await ask<{ calls: Call[] }>(lead, 'board:subscribe', {});
      expect(board.ok && board.data.calls.map((x) => x.id)).toContain(c.id);
      await startListening(lead, c.id);
      const hold = await sip.inDialog('INVITE', dialog, fixtureBody('inactive-sdp-offer.txt'));
      expect(hold.status).toBe(200);
      expect(hold.body.toString().match(/a=inactive/g)).toHaveLength(2);
      await t.server.waitForCall(c.id, (x) => x.state === 'held', 'the call on hold');
      const resume = await sip.inDialog('INVITE', dialog, fixtureBody('cisco-siprec-offer.txt'));
      expect(resume.status).toBe(200);
      expect(resume.body.toString().match(/a=recvonly/g)).toHaveLength(2);
      await t.server.waitForCall(c.id, (x) => x.state === 'talking', 'the call resumed');
      const update = await sip.inDialog('UPDATE', dialog, {
        body: TRANSFER_METADATA,
        contentType: 'multipart/mixed;boundary=uniqueBoundary',
      });
      expect(update.status).toBe(200);
      const moved = await t.server.waitForCall(
        c.id,
        (x) => x.agent.id === 'a-rivera',
        'the new agent',
      );
      expect(moved).toMatchObject({ team: 'bk-billing', center: 'ny-brooklyn', unmatched: false });
      expect(moved.participants.find((p) => p.aor.includes('7400'))?.leg).toBe('agent');
      // Out of the lead's reach now: off their board, and their listening stopped.
      await eventually(
        () => (leadEvents.ended.includes(c.id) ? true : undefined),
        2000,
        'off the board',
      );
      await eventually(
        () => (leadEvents.revoked.includes(c.id) ? true : undefined),
        2000,
        'revoked',
      );
    } finally {
      lead.close();
    }
    expect((await sip.inDialog('BYE', dialog)).status).toBe(200);
    const ended = await t.server.waitForCall(c.id, (x) => x.state === 'ended', 'the end');
    expect(ended).toMatchObject({ endReason: 'hangup', agent: { id: 'a-rivera' } });
  });

  it('hears media only from the addresses the signalling names, and follows a re-INVITE that moves it', async () => {
    const { dialog } = await sip.invite('cisco-siprec-offer.txt');
    const c = await call(dialog.callId);
    const elsewhere = createSocket('udp4');
    await new Promise<void>((resolve) => elsewhere.bind(0, '127.0.0.2', resolve));
    try {
      const tone = { codec: 'PCMU' as const, frequency: 440, amplitude: 0.3, packets: 10 };
      // 127.0.0.2 is neither the SDP's address nor the signalling peer: not heard.
      await sendTone(elsewhere, c.legs.agent.port, { ...tone, ssrc: 7 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const leg = () => legCounters(t.server, c.id, 'agent');
      expect(await leg()).toMatchObject({ packets: 0 });
      expect((await leg()).droppedBy['other-source']).toBe(10);
      // The SBC moves its media there (and holds the RFC 2543 way, c=0.0.0.0, then resumes).
      const cisco = fixtureBody('cisco-siprec-offer.txt');
      const hold = await sip.inDialog('INVITE', dialog, {
        ...cisco,
        body: cisco.body.replace(/c=IN IP4 172\.31\.93\.236/g, 'c=IN IP4 0.0.0.0'),
      });
      expect(hold.status).toBe(200);
      await t.server.waitForCall(c.id, (x) => x.state === 'held', 'the RFC 2543 hold');
      const moved = await sip.inDialog('INVITE', dialog, {
        ...cisco,
        body: cisco.body.replace(/172\.31\.93\.236/g, '127.0.0.2'),
      });
      expect(moved.status).toBe(200);
      await t.server.waitForCall(c.id, (x) => x.state === 'talking', 'resumed');
      await sendTone(elsewhere, c.legs.agent.port, { ...tone, ssrc: 7, firstSequence: 2000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await leg()).packets).toBe(10);
    } finally {
      elsewhere.close();
    }
    expect((await sip.inDialog('BYE', dialog)).status).toBe(200);
  });

  it('an unmatched call is shown to executives and admins with its parties, and an admin assigns it', async () => {
    const { dialog } = await sip.invite('broadworks-offer.txt');
    const c = await call(dialog.callId);
    expect(c.unmatched).toBe(true);
    for (const who of ['exec', 'admin'] as const) {
      const list = await t.server.api<{ calls: Call[] }>(
        'GET',
        '/api/v1/calls/unmatched',
        undefined,
        { as: who },
      );
      expect(list.status).toBe(200);
      expect(list.body.calls.map((x) => x.id)).toContain(c.id);
    }
    expect(
      (await t.server.api('GET', '/api/v1/calls/unmatched', undefined, { as: 'lead' })).status,
    ).toBe(403);
    const lead = await t.server.api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, {
      as: 'lead',
    });
    expect(lead.body.calls.map((x) => x.id)).not.toContain(c.id);
    const bad = await t.server.api(
      'POST',
      `/api/v1/calls/${c.id}/assign`,
      { agentId: 'nobody' },
      { as: 'admin' },
    );
    expect(bad.status).toBe(400);
    const notAdmin = await t.server.api(
      'POST',
      `/api/v1/calls/${c.id}/assign`,
      { agentId: 'a-olsen' },
      { as: 'exec' },
    );
    expect(notAdmin.status).toBe(403);
    const assigned = await t.server.api<Call>(
      'POST',
      `/api/v1/calls/${c.id}/assign`,
      { agentId: 'a-olsen' },
      { as: 'admin' },
    );
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({
      unmatched: false,
      agent: { id: 'a-olsen' },
      team: 'mpls-care-1',
    });
    const nowLead = await t.server.api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, {
      as: 'lead',
    });
    expect(nowLead.body.calls.map((x) => x.id)).toContain(c.id);
    // Earshot ends it (the ingest side hangs up): the SBC is sent a BYE.
    await t.server.api('DELETE', `/api/v1/calls/${c.id}`);
    const bye = await sip.next((m) => m.kind === 'request' && m.method === 'BYE');
    expect(bye.headers.get('call-id')).toBe(dialog.callId);
  });

  it('answers broken and unsupported requests with the right status and a reason', async () => {
    const d = sip.dialog();
    const cases: [string, number][] = [
      [sip.request('REGISTER', d).text, 405],
      [sip.request('FOO', d).text.replace('FOO sip', 'FOO sip'), 501],
      [
        sip.request('INVITE', d, {
          headers: [['Require', 'siprec, 100rel, frobnicate']],
          body: 'v=0',
        }).text,
        420,
      ],
      [sip.request('BYE', sip.dialog()).text, 481],
      [
        sip.request('INVITE', sip.dialog(), {
          body: fixtureBody('cisco-siprec-offer.txt').body.replace(/--uniqueBoundary/g, '--x'),
          contentType: 'multipart/mixed',
          headers: [['Require', 'siprec']],
        }).text,
        200,
      ],
      [
        sip.request('INVITE', sip.dialog(), {
          body: 'hello',
          contentType: 'multipart/mixed;boundary=nothere',
          headers: [['Require', 'siprec']],
        }).text,
        400,
      ],
      [
        sip
          .request('OPTIONS', sip.dialog())
          .text.replace(/Content-Length: 0/, 'Content-Length: 50'),
        400,
      ],
      [sip.request('OPTIONS', sip.dialog()).text.replace(/CSeq: 1 OPTIONS/, 'CSeq: 1 INVITE'), 400],
      [sip.request('OPTIONS', sip.dialog()).text.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'), 505],
    ];
    for (const [text, status] of cases) {
      sip.send(text);
      const cseq = /CSeq: ([^\r]+)/.exec(text)![1]!;
      const callId = /Call-ID: ([^\r]+)/.exec(text)![1]!;
      const res = await sip.final({ callId, cseq }).catch(() => {
        throw new Error(`no answer to ${text.split('\r\n')[0]}`);
      });
      expect(res.kind === 'response' && res.status, text.split('\r\n')[0]).toBe(status);
      if (res.kind === 'response' && res.status === 420)
        expect(res.headers.get('unsupported')).toBe('frobnicate');
      if (res.kind === 'response' && res.status === 200) {
        const dd = {
          callId,
          fromTag: /tag=([^\r;]+)/.exec(text)![1]!,
          cseq: 1,
          uri: 'sip:srs@127.0.0.1',
          toTag: /tag=([^;\s]+)/.exec(res.headers.get('to')!)?.[1],
        };
        sip.ack(dd);
        expect((await sip.inDialog('BYE', dd)).status).toBe(200);
      }
    }
  });
});
