// A media thread: owns its share of the leg ports and everything done per packet.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { MediaLog } from '../../log/logger.ts';
import { CallRecording } from '../../recordings/CallRecording.ts';
import { LegIngest } from '../LegIngest.ts';
import { PortAllocator } from '../PortAllocator.ts';
import { nativeSchedIdle, udpBinder } from '../udp.ts';
import { MediaPriority } from './MediaPriority.ts';
import {
  LEG_FIELDS,
  REC_FIELDS,
  type Event,
  type OpenedLeg,
  type Order,
  type Reply,
  type Request,
  type Sample,
  type StoppedRecording,
  type ThreadConfig,
} from './protocol.ts';

// NOTE: where media and the console share a core, the console comes first: this thread
// runs at nice 10 (and, with EARSHOT_MEDIA_PRIORITY=idle, under SCHED_IDLE: see
// MediaPriority), and lets packets wait in the sockets' 1 MB buffers (tens of seconds of a
// leg, each datagram keeping its receive time) for the moments the console works.
const MEDIA_NICE = 10;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, MEDIA_NICE);
} catch {
  // not Linux: the same priority as the rest of the process
}

const port = parentPort!;
const config = workerData as ThreadConfig;
const send = (message: Event | Reply) => port.postMessage(message);
const priority = new MediaPriority(
  config.priority,
  config.reader === 'udpmux' ? nativeSchedIdle() : undefined,
  threadLog({ thread: config.index }),
);
// Only a thread under SCHED_IDLE watches how long its batches waited (nice 10: nothing to do).
const udp = udpBinder(
  config.reader,
  priority.idle ? (waitedMs, now) => priority.observe(waitedMs, now) : undefined,
);
// NOTE: every thread draws from the whole range; a port another thread holds (live or in
// quarantine) fails to bind here and another is drawn, so the kernel keeps them apart.
const ports = new PortAllocator(config.ip, config.minPort, config.maxPort, {
  quarantineMs: config.quarantineMs,
  udp,
});
// NOTE: every leg of the thread sends its packets on to mediasoup from this one port, so
// that what a batch forwards leaves in one system call and wakes each worker once, not once
// a packet. mediasoup's PlainTransports learn it from the first packet (comedia) and take
// no other: a replacement thread binds the port the dead one had (see ThreadConfig), and
// the main thread has the calls tapped again where it cannot. What mediasoup sends back to
// it (RTCP reports) is read and dropped.
const FORWARD_BUFFER_BYTES = 1 << 16;
const forward = await (async () => {
  const again =
    config.forwardPort > 0
      ? await udp.bind(config.ip, config.forwardPort, FORWARD_BUFFER_BYTES)
      : undefined;
  const bound = again ?? (await udp.bind(config.ip, 0, FORWARD_BUFFER_BYTES));
  if (!bound) throw new Error(`cannot bind a port on ${config.ip} to forward media from`);
  return bound;
})();
let unsentSeen = 0;
let unsentWarnedAt = -Infinity;
/** Says, at most once a minute, that packets to mediasoup were refused by the kernel. */
function checkUnsent(): void {
  const unsent = udp.unsent();
  if (unsent === unsentSeen) return;
  const now = Date.now();
  if (now - unsentWarnedAt < 60_000) return;
  threadLog({ thread: config.index }).warn(
    { unsent: unsent - unsentSeen },
    'media packets not sent on to mediasoup (the kernel refused them)',
  );
  unsentSeen = unsent;
  unsentWarnedAt = now;
}
const legs = new Map<number, LegIngest>();
const recordings = new Map<number, CallRecording>();
let nextId = 1;

/** A logger whose records the main thread writes, with the bindings given here. */
function threadLog(bindings: Record<string, unknown>): MediaLog {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: object, msg: string) =>
    send({ event: 'log', level, bindings, fields: { ...fields }, msg });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => threadLog({ ...bindings, ...more }),
  };
}

function leg(legId: number): LegIngest {
  const found = legs.get(legId);
  if (!found) throw new Error(`no leg ${legId} in this media thread`);
  return found;
}

function snapshotFields(
  ingest: LegIngest,
  into: Float64Array,
  offset: number,
  takeLevel = true,
): void {
  const c = ingest.snapshot();
  const reading = takeLevel ? ingest.takeLevel() : { level: 0, dipped: false };
  into.set(
    [
      c.packets,
      c.bytes,
      c.dropped,
      c.droppedBy['not-rtp'],
      c.droppedBy.rtcp,
      c.droppedBy['payload-type'],
      c.droppedBy['other-source'],
      c.droppedBy.undecodable,
      c.lost,
      c.lastPacketAt ?? -1,
      reading.level,
      reading.dipped ? 1 : 0,
    ],
    offset,
  );
}

function sample(): Sample {
  checkUnsent();
  const legIds = [...legs.keys()];
  const legFigures = new Float64Array(legIds.length * LEG_FIELDS.length);
  legIds.forEach((id, i) => snapshotFields(legs.get(id)!, legFigures, i * LEG_FIELDS.length));
  const recIds = [...recordings.keys()];
  const recFigures = new Float64Array(recIds.length * REC_FIELDS.length);
  const recErrors = recIds.map((id, i) => {
    const recording = recordings.get(id)!;
    const s = recording.storage();
    recFigures.set(
      [s.pendingBytes, s.droppedBytes, s.writeErrors, s.failingSince ?? -1, recording.end],
      i * REC_FIELDS.length,
    );
    return s.failingSince === null ? null : s.lastError;
  });
  return {
    legIds,
    legs: legFigures,
    recIds,
    recordings: recFigures,
    recErrors,
    strays: ports.strays,
    quarantined: ports.quarantined,
    forwardPort: forward.port,
  };
}

// NOTE: at most this many turns of the event loop to read what waits on closing sockets.
const DRAIN_TURNS = 16;

/**
 * Lets the event loop read what already waits in the legs' sockets (sent before the call
 * ended, so part of it): until a turn brings nothing new.
 */
async function drain(closing: LegIngest[]): Promise<void> {
  for (let turn = 0; turn < DRAIN_TURNS; turn++) {
    const before = closing.reduce((n, l) => n + l.datagrams, 0);
    await new Promise((resolve) => setImmediate(resolve));
    if (closing.reduce((n, l) => n + l.datagrams, 0) === before) return;
  }
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'open': {
      const opened: LegIngest[] = [];
      try {
        for (const spec of request.legs) {
          opened.push(
            await LegIngest.open({
              ...spec,
              ports,
              forward,
              logger: threadLog({ callId: request.callId }),
            }),
          );
        }
      } catch (error) {
        for (const ingest of opened) ingest.close();
        throw error;
      }
      return opened.map((ingest): OpenedLeg => {
        const legId = nextId++;
        legs.set(legId, ingest);
        ingest.onFirstPacket(() => send({ event: 'first', legId }));
        return { legId, port: ingest.endpoint.port, ssrc: ingest.ssrc };
      });
    }
    case 'close': {
      await drain(request.legIds.map((id) => legs.get(id)).filter((l) => l !== undefined));
      const figures = new Float64Array(request.legIds.length * LEG_FIELDS.length);
      request.legIds.forEach((legId, i) => {
        const ingest = legs.get(legId);
        if (!ingest) return;
        snapshotFields(ingest, figures, i * LEG_FIELDS.length);
        ingest.close();
        legs.delete(legId);
      });
      return figures;
    }
    case 'peek': {
      const figures = new Float64Array(request.legIds.length * LEG_FIELDS.length);
      request.legIds.forEach((legId, i) =>
        snapshotFields(leg(legId), figures, i * LEG_FIELDS.length, false),
      );
      return figures;
    }
    case 'record': {
      const recording = new CallRecording({
        callId: request.callId,
        codec: request.codec,
        startedAt: request.startedAt,
        logFile: (name) => request.files[name],
        logger: threadLog({ callId: request.callId }),
      });
      for (const [name, legId] of Object.entries(request.legIds))
        leg(legId).setRecorder(recording.legs.get(name as keyof typeof request.files));
      const recId = nextId++;
      recordings.set(recId, recording);
      return recId;
    }
    case 'flush':
      await recordings.get(request.recId)?.flush();
      return null;
    case 'stopRecording': {
      const recording = recordings.get(request.recId);
      if (!recording) throw new Error(`no recording ${request.recId} in this media thread`);
      const settled = await recording.close(request.deadline);
      const stopped: StoppedRecording = { settled, storage: recording.storage() };
      // A recording not settled stays, so that a later attempt can still write it.
      if (settled) recordings.delete(request.recId);
      return stopped;
    }
    case 'sample':
      return sample();
    case 'quarantine':
      return ports.quarantine(request.ports);
  }
}

function order(message: Order): void {
  const ingest = legs.get(message.legId);
  if (!ingest) return; // closed meanwhile
  if (message.op === 'target') ingest.setTarget(message.target ?? undefined);
  else if (message.op === 'forward') ingest.setForwarding(message.on);
  else if (message.op === 'feed') ingest.feed(message.position, message.audio);
  else ingest.allowSources(message.sources);
}

port.on('message', (message: Request | Order) => {
  if (!('id' in message)) {
    order(message);
    return;
  }
  handle(message).then(
    (result) => send({ id: message.id, ok: true, result }),
    (error: unknown) =>
      send({ id: message.id, ok: false, error: (error as Error).message ?? String(error) }),
  );
});
