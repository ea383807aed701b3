// WAV files of G.711 audio (format 7 µ-law, 6 A-law): what recordings are stored as.

export type G711Law = 'mulaw' | 'alaw';

export const SAMPLE_RATE = 8000;
export const WAV_HEADER_BYTES = 44;

/** The byte that decodes to silence. */
export const SILENCE: Record<G711Law, number> = { mulaw: 0xff, alaw: 0xd5 };

/** A 44-byte WAV header for `frames` frames of 8 kHz G.711 in `channels` channels. */
export function wavHeader(law: G711Law, channels: number, frames: number): Buffer {
  const data = frames * channels;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(law === 'mulaw' ? 7 : 6, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * channels, 28);
  header.writeUInt16LE(channels, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  return header;
}
