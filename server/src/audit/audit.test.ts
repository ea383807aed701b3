import { describe, expect, it } from 'vitest';
import { connectConsole, startListening } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { sendTone } from '../test/harness.ts';
import type { AuditRecord } from './AuditLog.ts';

const t = useTestServer();

describe('the audit trail in use', () => {
  it('records listening (with how long), tags and replays, and the chain verifies', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.3,
      packets: 10,
    });
    const consoleId = crypto.randomUUID();
    const client = await connectConsole(t.server.earshot.url, 'Dana', consoleId);
    await startListening(client, callId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fetch(`${t.server.earshot.url}/api/v1/calls/${callId}/tags`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-earshot-author-id': consoleId,
        'x-earshot-author-name': 'Dana',
      },
      body: JSON.stringify({ offsetMs: 100, label: 'praise', leg: 'agent' }),
    });
    client.close();
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    await fetch(
      `${t.server.earshot.url}/api/v1/calls/${callId}/recording?from=0&to=100&download=1`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const { records } = (await t.server.api<{ records: AuditRecord[] }>('GET', '/api/v1/audit'))
      .body;
    const mine = records
      .filter((r) => r.target === callId || r.details.callId === callId)
      .reverse();
    expect(mine.map((r) => [r.action, r.actor.name])).toEqual([
      ['listen.start', 'Dana'],
      ['tag.create', 'Dana'],
      ['listen.stop', 'Dana'],
      ['recording.download', 'anonymous'],
    ]);
    expect(mine[0]!.actor.id).toBe(consoleId);
    expect(mine[2]!.details.listenedMs).toBeGreaterThanOrEqual(200);
    expect((await t.server.api('GET', '/api/v1/audit/verify')).body).toEqual({
      ok: true,
      records: records.length,
    });
  });
});
