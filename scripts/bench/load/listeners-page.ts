// Runs in Chromium (bundled by the listeners bench): many listening consoles in one page,
// each with its own Socket.IO connection and its own WebRTC receive transport (ICE, DTLS,
// SRTP) consuming both legs of a call, as the console's listen engine does.
import { Device, type types as msc } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
interface Offer {
  transport: {
    id: string;
    iceParameters: msc.IceParameters;
    iceCandidates: msc.IceCandidate[];
    dtlsParameters: msc.DtlsParameters;
  };
  consumers: { id: string; producerId: string; leg: string; rtpParameters: msc.RtpParameters }[];
}

const ask = <T>(socket: Socket, event: string, payload: unknown): Promise<T> =>
  new Promise((resolve, reject) =>
    socket.emit(event, payload, (res: Ack<T>) =>
      res.ok
        ? resolve(res.data)
        : reject(new Error(`${event}: ${res.error.code} ${res.error.message}`)),
    ),
  );

const FIRST_AUDIO_TIMEOUT_MS = 10_000;
let device: Device | undefined;
const consumers: msc.Consumer[] = [];

/** Where a join's time went, in ms from listen:start. */
export interface JoinTimes {
  /** The server's answer to listen:start (its transport and paused consumers). */
  offered: number;
  /** listen:connect answered (the browser's DTLS parameters are on the server). */
  connected: number;
  /** Both consumers exist in the browser (one offer/answer). */
  consumed: number;
  /** The first RTP packet of either leg (ICE, DTLS and SRTP done). */
  heard: number;
}

/** One console joined to a call, as the console's listen engine joins. */
interface Joined {
  times: JoinTimes;
  socket: Socket;
  transport: msc.Transport;
  consumers: msc.Consumer[];
}

async function connect(callId: string): Promise<Joined> {
  const socket = io({ transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    return await listenOn(socket, callId);
  } catch (error) {
    // A join that failed leaves nothing listening (its transport goes with the socket).
    socket.disconnect();
    throw error;
  }
}

async function listenOn(socket: Socket, callId: string): Promise<Joined> {
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  if (!device) {
    const { routerRtpCapabilities } = await ask<{ routerRtpCapabilities: msc.RtpCapabilities }>(
      socket,
      'media:capabilities',
      {},
    );
    const loaded = new Device();
    await loaded.load({ routerRtpCapabilities });
    device ??= loaded;
  }
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const offer = await ask<Offer>(socket, 'listen:start', {
    callId,
    rtpCapabilities: device.recvRtpCapabilities,
  });
  const offered = since();
  let connected = NaN;
  const transport = device.createRecvTransport(offer.transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    ask(socket, 'listen:connect', { callId, dtlsParameters }).then(() => {
      connected = since();
      callback();
    }, errback);
  });
  const taken = await Promise.all(
    offer.consumers.map((c) =>
      transport.consume({
        id: c.id,
        producerId: c.producerId,
        kind: 'audio',
        rtpParameters: c.rtpParameters,
      }),
    ),
  );
  const consumed = since();
  // A remote track unmutes when its first RTP packet arrives.
  const heard = Promise.race(
    taken.map(
      (consumer) =>
        new Promise<void>((resolve) => {
          if (!consumer.track.muted) resolve();
          else consumer.track.addEventListener('unmute', () => resolve(), { once: true });
        }),
    ),
  );
  await ask(socket, 'listen:resume', { callId });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no audio within 10 s')), FIRST_AUDIO_TIMEOUT_MS),
  );
  await Promise.race([heard, timeout]);
  return {
    times: { offered, connected, consumed, heard: since() },
    socket,
    transport,
    consumers: taken,
  };
}

/** Joins one console to `callId`; it listens until the page closes. */
async function join(callId: string): Promise<JoinTimes> {
  const joined = await connect(callId);
  consumers.push(...joined.consumers);
  return joined.times;
}

/** Joins one console to `callId`, and once it hears the call, stops it and leaves. */
async function probe(callId: string): Promise<JoinTimes> {
  const { times, socket, transport } = await connect(callId);
  await ask(socket, 'listen:stop', { callId });
  transport.close();
  socket.disconnect();
  return times;
}

/** Packets received so far by every consumer of the page. */
async function received(): Promise<number[]> {
  return Promise.all(
    consumers.map(async (consumer) => {
      let packets = 0;
      (await consumer.getStats()).forEach((stat: { type: string; packetsReceived?: number }) => {
        if (stat.type === 'inbound-rtp') packets += stat.packetsReceived ?? 0;
      });
      return packets;
    }),
  );
}

(window as unknown as { earshotBench: unknown }).earshotBench = { join, probe, received };
