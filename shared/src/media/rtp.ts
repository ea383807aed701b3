// RTP (RFC 3550) fixed header: parse what a receiver needs, build what a sender sends.

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload within the packet. */
  payloadOffset: number;
  /** Payload length, padding excluded. */
  payloadLength: number;
}

/** Why a datagram is not an acceptable RTP packet. */
export type RtpRejection = 'too-short' | 'not-rtp-version-2' | 'rtcp' | 'bad-length';

/** Parses an RTP header, or says why the datagram is not RTP. */
export function parseRtp(packet: Uint8Array): RtpHeader | RtpRejection {
  if (packet.length < 12) return 'too-short';
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return 'not-rtp-version-2';
  const b1 = packet[1]!;
  // RTCP packet types 192-223 collide with marker+PT 64-95 (RFC 5761).
  if (b1 >= 192 && b1 <= 223) return 'rtcp';
  const csrcCount = b0 & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (b0 & 0x10) {
    if (packet.length < offset + 4) return 'bad-length';
    const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    offset += 4 + 4 * words;
  }
  let end = packet.length;
  if (b0 & 0x20) {
    const padding = packet[packet.length - 1]!;
    if (padding === 0) return 'bad-length';
    end -= padding;
  }
  if (end < offset) return 'bad-length';
  // NOTE: bytes read as they are (no DataView made): this runs for every packet of every leg.
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: (packet[2]! << 8) | packet[3]!,
    timestamp: ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0,
    ssrc: ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0,
    payloadOffset: offset,
    payloadLength: end - offset,
  };
}

/** Builds an RTP packet with a 12-byte header and the given payload. */
export function buildRtp(
  header: Pick<RtpHeader, 'payloadType' | 'sequenceNumber' | 'timestamp' | 'ssrc'> & {
    marker?: boolean;
  },
  payload: Uint8Array,
): Uint8Array {
  const packet = new Uint8Array(12 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x80;
  packet[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  view.setUint16(2, header.sequenceNumber & 0xffff);
  view.setUint32(4, header.timestamp >>> 0);
  view.setUint32(8, header.ssrc >>> 0);
  packet.set(payload, 12);
  return packet;
}
