import { describe, expect, it } from 'vitest';
import { ALAW_TO_LINEAR, linearToAlaw, linearToUlaw, ULAW_TO_LINEAR } from './g711.ts';
import { rmsToLevel } from './level.ts';
import { buildRtp, parseRtp } from './rtp.ts';

describe('G.711', () => {
  it('µ-law round-trips every sample within its quantisation step', () => {
    for (let s = -32000; s <= 32000; s += 97) {
      const back = ULAW_TO_LINEAR[linearToUlaw(s)]!;
      expect(Math.abs(back - s)).toBeLessThanOrEqual(Math.max(8, Math.abs(s) / 16));
    }
  });

  it('A-law round-trips every sample within its quantisation step', () => {
    for (let s = -32000; s <= 32000; s += 97) {
      const back = ALAW_TO_LINEAR[linearToAlaw(s)]!;
      expect(Math.abs(back - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) / 16));
    }
  });

  it('decodes the reference silence and peak bytes', () => {
    expect(ULAW_TO_LINEAR[0xff]).toBe(0);
    expect(ULAW_TO_LINEAR[0x00]).toBe(-32124);
    expect(ULAW_TO_LINEAR[0x80]).toBe(32124);
    expect(ALAW_TO_LINEAR[0xd5]).toBe(8);
    expect(ALAW_TO_LINEAR[0xaa]).toBe(32256);
  });
});

describe('RTP', () => {
  it('parses what it builds', () => {
    const payload = new Uint8Array([1, 2, 3, 4]);
    const packet = buildRtp(
      {
        payloadType: 8,
        sequenceNumber: 65535,
        timestamp: 0xfffffff0,
        ssrc: 0xdeadbeef,
        marker: true,
      },
      payload,
    );
    const header = parseRtp(packet);
    expect(header).toEqual({
      payloadType: 8,
      marker: true,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      payloadOffset: 12,
      payloadLength: 4,
    });
  });

  it('rejects garbage, RTCP and truncated extensions', () => {
    expect(parseRtp(new Uint8Array([1, 2, 3]))).toBe('too-short');
    expect(parseRtp(new Uint8Array(20).fill(0x41))).toBe('not-rtp-version-2');
    const rtcp = new Uint8Array(28);
    rtcp[0] = 0x80;
    rtcp[1] = 200;
    expect(parseRtp(rtcp)).toBe('rtcp');
    const ext = new Uint8Array(14);
    ext[0] = 0x90;
    expect(parseRtp(ext)).toBe('bad-length');
  });

  it('skips CSRCs, header extensions and padding', () => {
    const packet = new Uint8Array(12 + 4 + 8 + 3 + 2);
    packet[0] = 0x80 | 0x20 | 0x10 | 1; // padding, extension, one CSRC
    packet[1] = 0;
    packet[16 + 3] = 1; // extension length: one 32-bit word
    packet[packet.length - 1] = 2; // two bytes of padding
    const header = parseRtp(packet);
    expect(header).toMatchObject({ payloadOffset: 24, payloadLength: 3 });
  });
});

describe('level meter', () => {
  it('maps full scale to 1, -30 dBFS to 0.5 and silence to 0', () => {
    expect(rmsToLevel(1)).toBe(1);
    expect(rmsToLevel(10 ** (-30 / 20))).toBeCloseTo(0.5, 6);
    expect(rmsToLevel(0)).toBe(0);
    expect(rmsToLevel(1e-5)).toBe(0);
  });
});
