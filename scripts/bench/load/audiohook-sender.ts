// A load generator of its own (run pinned to the load core): Genesys Cloud for the
// AudioHook benchmark. Opens N signed AudioHook sessions, streams 100 ms stereo PCMU
// frames (a tone on each channel) on each every 100 ms for a set time, pings every 5 s
// as Genesys does, closes each cleanly, and prints what it sent as JSON on its last line.
//
//   node audiohook-sender.ts --url ws://… --key K --secret S --sessions 200 --seconds 8
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { linearToUlaw } from '@earshot/shared';
import { connectAudioHook, type AudioHookClient } from '@earshot/server/testing/audiohook';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    secret: { type: 'string' },
    sessions: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
  },
});
const sessions = Number(values.sessions);
const seconds = Number(values.seconds);
if (!values.url || !values.key || !values.secret || !(sessions > 0) || !(seconds > 0))
  throw new Error('usage: audiohook-sender --url U --key K --secret S --sessions N --seconds S');

const FRAME_SAMPLES = 800;
const FRAMES = Array.from({ length: 4 }, (_, f) => {
  const frame = new Uint8Array(FRAME_SAMPLES * 2);
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const t = (f * FRAME_SAMPLES + i) / 8000;
    frame[i * 2] = linearToUlaw(8000 * Math.sin(2 * Math.PI * 500 * t));
    frame[i * 2 + 1] = linearToUlaw(8000 * Math.sin(2 * Math.PI * 300 * t));
  }
  return frame;
});

const clients: AudioHookClient[] = [];
const conversations: string[] = [];
// NOTE: opened a few at a time, as a contact center's calls arrive, not all in one burst.
for (let i = 0; i < sessions; i += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, sessions - i) }, async () => {
      const client = await connectAudioHook({
        url: values.url!,
        apiKey: values.key!,
        clientSecret: values.secret!,
      });
      const conversationId = randomUUID();
      const opened = await client.open({
        conversationId,
        customConfig: { agentId: 'bench-agent' },
      });
      if (opened.type !== 'opened')
        throw new Error(`session refused: ${JSON.stringify(opened.parameters)}`);
      clients.push(client);
      conversations.push(conversationId);
    }),
  );
}

const frames = Math.round(seconds * 10);
const start = Date.now();
let sent = 0;
let late = 0;
for (let n = 0; n < frames; n++) {
  const wait = start + n * 100 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  else if (wait < -100) late++;
  for (const client of clients) {
    client.audio(FRAMES[n % 4]!, FRAME_SAMPLES);
    if (n % 50 === 49) client.send('ping');
    sent++;
  }
}
const elapsed = (Date.now() - start) / 1000;
await Promise.all(clients.map((c) => c.close()));
console.log(
  JSON.stringify({
    sessions: clients.length,
    frames: sent,
    samplesPerLeg: sent * FRAME_SAMPLES,
    elapsed,
    late,
    conversations,
  }),
);
