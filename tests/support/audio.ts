// Calls' audio as an SBC would send it: both legs of each call, paced RTP, bounded in time.
import type { Socket } from 'node:dgram';
import { buildRtp, linearToUlaw } from '@earshot/shared';

type Legs = Record<'agent' | 'customer', { port: number }>;

/**
 * Sends both legs of every call (agent 300 Hz, customer 500 Hz), paced at 20 ms, for up to
 * `seconds`; `frame` makes each 20 ms payload. stop() ends it sooner.
 */
export function paced(
  sender: Socket,
  calls: { legs: Legs }[],
  seconds: number,
  frame: (hz: number, n: number) => Uint8Array,
) {
  let stopped = false;
  const start = Date.now();
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
            buildRtp({ payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc }, frame(hz, n)),
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

const sine = (amplitude: number, hz: number, n: number) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(amplitude * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000)),
  );

/** Both legs of every call hum, steadily, for up to `seconds`. */
export const hum = (sender: Socket, calls: { legs: Legs }[], seconds: number) =>
  paced(sender, calls, seconds, (hz, n) => sine(7000, hz, n));

/** Both legs of every call talk in syllables (200 ms on, 100 ms off) for up to `seconds`. */
export const talk = (sender: Socket, calls: { legs: Legs }[], seconds: number) =>
  paced(sender, calls, seconds, (hz, n) => sine(n % 15 < 10 ? 9000 : 0, hz, n));
