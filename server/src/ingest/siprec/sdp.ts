// The SDP side of a recording session (RFC 7866 section 8, RFC 3264): the streams an offer
// carries, and the answer Earshot gives: the same m-lines in the same order, each receive-
// only on one of Earshot's ports with one chosen codec, or port 0 when declined. Pure.
import { isIP } from 'node:net';
import { parse as parseSdp } from 'sdp-transform';
import type { Codec } from '@earshot/shared';

export interface OfferedCodec {
  payloadType: number;
  codec: Codec;
}

export interface OfferedStream {
  /** Position of the m-line in the offer. */
  index: number;
  media: string;
  port: number;
  protocol: string;
  /** The payload types in the order offered (as the m-line lists them). */
  formats: string;
  label: string | null;
  direction: 'sendonly' | 'sendrecv' | 'recvonly' | 'inactive';
  /** The codecs Earshot takes, in the offer's order of preference. */
  codecs: OfferedCodec[];
  telephoneEvent: { payloadType: number; fmtp: string | null } | null;
  /** Where the stream's sender is (the m-line's or the session's c= address), if usable. */
  address: string | null;
  /** `c=IN IP4 0.0.0.0`: the RFC 2543 way of putting a stream on hold. */
  zeroAddress: boolean;
  /** Whether Earshot can take this stream at all (audio, plain RTP, a codec it knows). */
  usable: boolean;
}

export class SdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

const STATIC: Record<number, Codec> = { 0: 'PCMU', 8: 'PCMA' };
const MAX_STREAMS = 16;

function codecOf(name: string, rate: number, pt: number): Codec | undefined {
  const n = name.toLowerCase();
  if (n === 'pcmu' && rate === 8000) return 'PCMU';
  if (n === 'pcma' && rate === 8000) return 'PCMA';
  if (n === 'opus' && rate === 48000 && pt >= 96) return 'opus';
  return undefined;
}

/** A unicast address a sender can have (not 0.0.0.0, not a placeholder like X.X.X.X). */
function usableAddress(ip: string | undefined): string | null {
  if (!ip || isIP(ip) === 0) return null;
  if (ip === '0.0.0.0' || ip === '::') return null;
  return ip;
}

/** The streams of an SDP offer. */
export function parseOffer(text: string): OfferedStream[] {
  if (!/^\s*v=0/.test(text)) throw new SdpError('the SDP does not start with v=0');
  const sdp = parseSdp(text.replace(/\r?\n/g, '\r\n'));
  const media = sdp.media ?? [];
  if (media.length === 0) throw new SdpError('the SDP has no m-line');
  if (media.length > MAX_STREAMS) throw new SdpError('the SDP has too many m-lines');
  return media.map((m, index) => {
    const formats = String(m.payloads ?? '').trim();
    const pts = formats
      .split(/\s+/)
      .filter((p) => /^\d{1,3}$/.test(p))
      .map(Number);
    const rtpmaps = new Map((m.rtp ?? []).map((r) => [r.payload, r]));
    const codecs: OfferedCodec[] = [];
    let telephoneEvent: OfferedStream['telephoneEvent'] = null;
    for (const pt of pts) {
      const map = rtpmaps.get(pt);
      const codec = map ? codecOf(map.codec, map.rate ?? 0, pt) : STATIC[pt];
      if (codec) codecs.push({ payloadType: pt, codec });
      if (
        map &&
        map.codec.toLowerCase() === 'telephone-event' &&
        map.rate === 8000 &&
        !telephoneEvent
      ) {
        const fmtp = (m.fmtp ?? []).find((f) => f.payload === pt)?.config ?? null;
        telephoneEvent = { payloadType: pt, fmtp };
      }
    }
    const direction = (m.direction ?? 'sendrecv') as OfferedStream['direction'];
    const protocol = String(m.protocol ?? '');
    const port = Number(m.port ?? 0);
    return {
      index,
      media: String(m.type ?? ''),
      port,
      protocol,
      formats,
      label: m.label === undefined ? null : String(m.label),
      direction,
      codecs,
      telephoneEvent,
      address: usableAddress(m.connection?.ip ?? sdp.connection?.ip),
      zeroAddress: (m.connection?.ip ?? sdp.connection?.ip) === '0.0.0.0',
      usable: m.type === 'audio' && port > 0 && /^RTP\/AVP$/i.test(protocol) && codecs.length > 0,
    };
  });
}

/**
 * One codec for every stream taken: the first, in the first stream's order of preference,
 * that all of them offer (the call's two legs share a codec and a recording format).
 */
export function chooseCodec(streams: OfferedStream[]): Codec | undefined {
  const [first, ...rest] = streams;
  if (!first) return undefined;
  return first.codecs.find((c) => rest.every((s) => s.codecs.some((o) => o.codec === c.codec)))
    ?.codec;
}

export interface AnswerStream {
  /** The m-line answered; `port` 0 declines it. */
  offer: OfferedStream;
  port: number;
  codec?: Codec;
}

const RTPMAP: Record<Codec, string> = {
  PCMU: 'PCMU/8000',
  PCMA: 'PCMA/8000',
  opus: 'opus/48000/2',
};

/** The answer SDP: the offer's m-lines in order, receive-only where taken, port 0 if not. */
export function buildAnswer(options: {
  ip: string;
  sessionId: string;
  version: number;
  streams: AnswerStream[];
}): string {
  const family = options.ip.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=Earshot ${options.sessionId} ${options.version} IN ${family} ${options.ip}`,
    's=Earshot session recording',
    `c=IN ${family} ${options.ip}`,
    't=0 0',
  ];
  for (const { offer, port, codec } of options.streams) {
    const chosen = codec && offer.codecs.find((c) => c.codec === codec);
    if (port === 0 || !chosen) {
      lines.push(
        `m=${offer.media || 'audio'} 0 ${offer.protocol || 'RTP/AVP'} ${offer.formats || '0'}`,
      );
      if (offer.label !== null) lines.push(`a=label:${offer.label}`);
      continue;
    }
    const te = offer.telephoneEvent;
    lines.push(`m=audio ${port} RTP/AVP ${chosen.payloadType}${te ? ` ${te.payloadType}` : ''}`);
    lines.push(`a=rtpmap:${chosen.payloadType} ${RTPMAP[chosen.codec]}`);
    if (te) {
      lines.push(`a=rtpmap:${te.payloadType} telephone-event/8000`);
      if (te.fmtp) lines.push(`a=fmtp:${te.payloadType} ${te.fmtp}`);
    }
    if (offer.label !== null) lines.push(`a=label:${offer.label}`);
    lines.push(
      offer.direction === 'inactive' || offer.direction === 'recvonly'
        ? 'a=inactive'
        : 'a=recvonly',
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
