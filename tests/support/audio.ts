// Calls' audio as an SBC would send it: both legs of each call, paced RTP, bounded in time.
import type { Socket } from 'node:dgram';
import { buildRtp, linearToUlaw } from '@earshot/shared';

type Legs = Record<'agent' | 'customer', { port: number }>;

/** Both legs of every call hum (agent 300 Hz, customer 500 Hz) for up to `seconds`. */
export function hum(sender: Socket, calls: { legs: Legs }[], seconds: number) {
  let stopped = false;
  const start = Date.now();
  const tone = (hz: number, n: number) =>
    Uint8Array.from({ length: 160 }, (_, i) =>
      linearToUlaw(7000 * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000)),
    );
  const done = (async () => {
    for (let n = 0; n < seconds * 50 && !stopped; n++) {
      const wait = start + n * 20 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (const { legs } of calls)
        for (const [leg, ssrc, hz] of [
          ['agent', 1, 300],
          ['customer', 2, 500],
        ] as const)
          sender.send(
            buildRtp({ payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc }, tone(hz, n)),
            legs[leg].port,
            '127.0.0.1',
          );
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
