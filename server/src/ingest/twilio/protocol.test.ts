import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { parseTwilioMessage, TwilioProtocolError } from './messages.ts';
import { validTwilioSignature } from './signature.ts';

const TOKEN = '12345678901234567890123456789012';

describe('Twilio Media Streams, apart from the transport', () => {
  it("agrees with Twilio's validator on stream URLs, with and without the default port", () => {
    const token = Buffer.from(TOKEN);
    for (const url of [
      'wss://earshot.example.com/api/v1/ingest/twilio',
      'wss://earshot.example.com:443/api/v1/ingest/twilio',
      'wss://earshot.example.com:8443/api/v1/ingest/twilio?site=mpls',
    ]) {
      const signature = twilio.getExpectedTwilioSignature(TOKEN, url, {});
      expect(validTwilioSignature(token, signature, url), url).toBe(true);
      expect(twilio.validateRequest(TOKEN, signature, url, {})).toBe(true);
    }
    const plain = twilio.getExpectedTwilioSignature(
      TOKEN,
      'wss://earshot.example.com/api/v1/ingest/twilio',
      {},
    );
    expect(
      validTwilioSignature(token, plain, 'wss://earshot.example.com:443/api/v1/ingest/twilio'),
    ).toBe(true);
    expect(
      validTwilioSignature(token, plain, 'wss://earshot.example.com/api/v1/ingest/twilio?x=1'),
    ).toBe(false);
    expect(
      validTwilioSignature(
        Buffer.from('0'.repeat(32)),
        plain,
        'wss://earshot.example.com/api/v1/ingest/twilio',
      ),
    ).toBe(false);
    expect(validTwilioSignature(token, 'not base64 at all', 'wss://earshot.example.com/')).toBe(
      false,
    );
  });

  it('messages parse as Twilio sends them; anything else says what is wrong', () => {
    const media = parseTwilioMessage(
      JSON.stringify({
        event: 'media',
        sequenceNumber: '3',
        streamSid: 'MZ1',
        media: { track: 'inbound', chunk: '1', timestamp: '5', payload: 'f39/' },
      }),
    );
    expect(media).toMatchObject({ event: 'media', sequenceNumber: 3, media: { timestamp: 5 } });
    expect(() => parseTwilioMessage('{"event":"media","sequenceNumber":"x"}')).toThrow(
      /invalid "media" message/,
    );
    expect(() => parseTwilioMessage('{"event":"hello"}')).toThrow(TwilioProtocolError);
    expect(() => parseTwilioMessage('[')).toThrow(/not JSON/);
  });
});
