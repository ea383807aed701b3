// ITU-T G.711 µ-law and A-law: byte <-> 16-bit linear PCM.

function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = segment === 0 ? t + 8 : segment === 1 ? t + 0x108 : (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

/** Decode tables: index by the encoded byte to get a 16-bit linear sample. */
export const ULAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) =>
  ulawToLinear(i),
);
export const ALAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) =>
  alawToLinear(i),
);

const ULAW_SEGMENT_ENDS = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

const segmentOf = (value: number, ends: number[]): number => {
  const i = ends.findIndex((end) => value <= end);
  return i === -1 ? 8 : i;
};

const clamp16 = (sample: number): number => Math.max(-32768, Math.min(32767, Math.round(sample)));

/** Encodes one 16-bit linear sample as µ-law. */
export function linearToUlaw(sample: number): number {
  let pcm = clamp16(sample) >> 2;
  let mask = 0xff;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  }
  pcm = Math.min(pcm, 8159) + 0x21;
  const seg = segmentOf(pcm, ULAW_SEGMENT_ENDS);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Encodes one 16-bit linear sample as A-law. */
export function linearToAlaw(sample: number): number {
  let pcm = clamp16(sample) >> 3;
  let mask = 0xd5;
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segmentOf(pcm, ALAW_SEGMENT_ENDS);
  if (seg >= 8) return 0x7f ^ mask;
  const low = seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | low) ^ mask;
}
