import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { audiohookHeaders } from '../../test/audiohookClient.ts';
import { chooseMedia, parseClientMessage, ProtocolError } from './messages.ts';
import { verifyUpgradeSignature } from './signature.ts';
import { parseDictionary, serializeMember, StructuredFieldError } from './structuredFields.ts';

const SECRET = Buffer.from('protocol-test-secret-0123456789').toString('base64');
const ids = {
  organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
  sessionId: 'e160e428-53e2-487c-977d-96989bf5c99d',
  correlationId: 'f4e1e1b2-0000-4000-8000-000000000000',
};
const URL_ = 'wss://audiohook.example.com/api/v1/ingest/audiohook';

/** The headers as Node hands them to the upgrade: names in lower case. */
const lower = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const upgrade = (headers: Record<string, string>) => ({
  headers: lower(headers),
  requestTarget: '/api/v1/ingest/audiohook',
  authority: 'audiohook.example.com',
});

describe('AudioHook protocol, apart from its transport', () => {
  it('structured fields: a Signature-Input dictionary parses and serialises back to the same bytes', () => {
    const value =
      'sig1=("@request-target" "@authority" "x-api-key");keyid="abc";nonce="n-1";alg="hmac-sha256";created=1700000000;expires=1700000030';
    const parsed = parseDictionary(value);
    expect(`sig1=${serializeMember(parsed.get('sig1')!)}`).toBe(value);
    expect(parseDictionary('sig1=:AQID:').get('sig1')).toEqual({
      value: new Uint8Array([1, 2, 3]),
      params: [],
    });
    for (const bad of [
      'sig1=(',
      'sig1="unterminated',
      'sig1=?2',
      'Sig1=1',
      'sig1=1,',
      'sig1=("a"x)',
    ])
      expect(() => parseDictionary(bad), bad).toThrow(StructuredFieldError);
  });

  it('a Genesys-signed upgrade verifies; any change to a covered header, the key or the clock fails', () => {
    const now = Date.now();
    const headers = audiohookHeaders({
      url: URL_,
      apiKey: 'key-0123456789abcdef',
      clientSecret: SECRET,
      ...ids,
    });
    const secretOf = (k: string) =>
      k === 'key-0123456789abcdef' ? Buffer.from(SECRET, 'base64') : undefined;
    const ok = verifyUpgradeSignature(upgrade(headers), secretOf, now);
    expect(ok).toMatchObject({ ok: true, keyId: 'key-0123456789abcdef' });
    expect(
      verifyUpgradeSignature(
        upgrade({ ...headers, 'Audiohook-Correlation-Id': 'other' }),
        secretOf,
        now,
      ),
    ).toMatchObject({ ok: false, status: 401, reason: 'the signature does not match' });
    expect(
      verifyUpgradeSignature({ ...upgrade(headers), requestTarget: '/elsewhere' }, secretOf, now),
    ).toMatchObject({ ok: false, status: 401 });
    expect(
      verifyUpgradeSignature(upgrade(headers), () => Buffer.from('another key'), now),
    ).toMatchObject({ ok: false, reason: 'the signature does not match' });
    expect(verifyUpgradeSignature(upgrade(headers), () => undefined, now)).toMatchObject({
      ok: false,
      reason: 'unknown API key',
    });
    expect(verifyUpgradeSignature(upgrade(headers), secretOf, now + 60_000)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(verifyUpgradeSignature(upgrade(headers), secretOf, now - 60_000)).toMatchObject({
      ok: false,
      status: 403,
      reason: 'the signature was created in the future',
    });
    const { Signature: _s, ...unsigned } = headers;
    expect(verifyUpgradeSignature(upgrade(unsigned), secretOf, now)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('a signature must cover every AudioHook header and name the API key as its keyid', () => {
    const created = Math.floor(Date.now() / 1000);
    const key = Buffer.from(SECRET, 'base64');
    const params = `("@request-target" "x-api-key");keyid="k-0123456789";nonce="0123456789abcdefghij";alg="hmac-sha256";created=${created}`;
    const base = `"@request-target": /api/v1/ingest/audiohook\n"x-api-key": k-0123456789\n"@signature-params": ${params}`;
    const headers = {
      'x-api-key': 'k-0123456789',
      'signature-input': `sig1=${params}`,
      signature: `sig1=:${createHmac('sha256', key).update(base).digest('base64')}:`,
    };
    expect(verifyUpgradeSignature(upgrade(headers), () => key, Date.now())).toMatchObject({
      ok: false,
      reason: 'the signature does not cover @authority',
    });
    expect(
      verifyUpgradeSignature(
        upgrade({ ...headers, 'x-api-key': 'other-key-0123' }),
        () => key,
        Date.now(),
      ),
    ).toMatchObject({ ok: false, reason: 'the signature keyid is not the X-API-KEY' });
  });

  it('messages: v2 client messages parse, anything else is a protocol error that says why', () => {
    const open = parseClientMessage(
      JSON.stringify({
        version: '2',
        id: ids.sessionId,
        type: 'ping',
        seq: 2,
        serverseq: 1,
        position: 'PT1.25S',
        parameters: {},
      }),
    );
    expect(open).toMatchObject({ type: 'ping', position: 1.25 });
    const bad = (m: unknown) => () =>
      parseClientMessage(typeof m === 'string' ? m : JSON.stringify(m));
    expect(bad('{')).toThrow(/not JSON/);
    expect(bad({ version: '1', type: 'ping' })).toThrow(ProtocolError);
    expect(
      bad({
        version: '2',
        id: ids.sessionId,
        type: 'resumed',
        seq: 1,
        serverseq: 0,
        position: 'PT0S',
        parameters: { start: 'PT1S' },
      }),
    ).toThrow(/invalid "resumed" message: parameters.discarded/);
    expect(
      bad({
        version: '2',
        id: ids.sessionId,
        type: 'ping',
        seq: 1,
        serverseq: 0,
        position: '1s',
        parameters: {},
      }),
    ).toThrow(/position/);
    expect(bad('x'.repeat(70_000))).toThrow(/64 KiB/);
  });

  it('media: stereo before mono, PCMU before L16, 8 kHz audio with known channels only', () => {
    const m = (format: string, channels: string[], rate = 8000) => ({
      type: 'audio',
      format,
      channels,
      rate,
    });
    expect(
      chooseMedia([
        m('PCMU', ['external']),
        m('L16', ['external', 'internal']),
        m('PCMU', ['external', 'internal']),
      ])?.offer,
    ).toEqual(m('PCMU', ['external', 'internal']));
    expect(
      chooseMedia([m('PCMU', ['external']), m('L16', ['internal', 'external'])])?.channels,
    ).toEqual(['internal', 'external']);
    expect(chooseMedia([m('PCMU', ['internal'])])).toMatchObject({
      format: 'PCMU',
      channels: ['internal'],
    });
    expect(
      chooseMedia([
        m('PCMU', ['external', 'internal'], 16000),
        m('opus', ['external']),
        m('PCMU', ['external', 'external']),
        m('PCMU', ['x']),
      ]),
    ).toBeNull();
  });
});
