import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CallService } from '../calls/CallService.ts';
import type { ListenService } from '../listen/ListenService.ts';
import type { WorkerPool } from '../media/WorkerPool.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';

/** Prometheus metrics, read from the live objects at scrape time (nothing on the hot path). */
export function createMetrics(deps: {
  pool: WorkerPool;
  calls: CallService;
  listen: ListenService;
  boardViewers: () => number;
  /** Consoles dropped because they did not read what was sent to them. */
  slowConsolesDropped: () => number;
  /** SIPREC recording sessions up now (0 when SIPREC is off). */
  siprecSessions: () => number;
  /** WebSocket stream sessions up now, by protocol. */
  streamSessions: () => { audiohook: number; twilio: number };
  /** Call announcements refused by the per-token rate. */
  announcementsRefused: () => number;
  recordings: RecordingStore;
  /** With several nodes: live nodes in the registry, and calls piped in and out. */
  cluster: () => { nodes: number; pipesIn: number; pipesOut: number } | undefined;
}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'earshot_process_' });
  const stats = () => deps.calls.stats();

  new Gauge({
    name: 'earshot_cluster_nodes',
    help: 'Live nodes in the registry, this one included (0: one node alone)',
    registers: [registry],
    collect() {
      this.set(deps.cluster()?.nodes ?? 0);
    },
  });
  new Gauge({
    name: 'earshot_cluster_pipes',
    help: "Calls piped between nodes for listening: in (another node's call heard here), out",
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const c = deps.cluster();
      this.set({ direction: 'in' }, c?.pipesIn ?? 0);
      this.set({ direction: 'out' }, c?.pipesOut ?? 0);
    },
  });

  new Gauge({
    name: 'earshot_mediasoup_workers',
    help: 'Live mediasoup workers',
    registers: [registry],
    collect() {
      this.set(deps.pool.size);
    },
  });
  new Counter({
    name: 'earshot_mediasoup_worker_deaths_total',
    help: 'mediasoup workers that died',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.pool.deaths);
    },
  });
  new Gauge({
    name: 'earshot_calls_live',
    help: 'Calls being tapped now',
    registers: [registry],
    collect() {
      this.set(stats().live);
    },
  });
  new Gauge({
    name: 'earshot_legs_live',
    help: 'Call legs being received now',
    registers: [registry],
    collect() {
      this.set(stats().legs);
    },
  });
  new Counter({
    name: 'earshot_calls_ended_total',
    help: 'Calls ended, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats().ended)) this.inc({ reason }, n);
    },
  });
  const counter = (name: string, help: string, pick: (s: ReturnType<typeof stats>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(pick(stats()));
      },
    });
  counter('earshot_rtp_packets_total', 'RTP packets accepted on call legs', (s) => s.packets);
  counter('earshot_rtp_bytes_total', 'Bytes of RTP packets accepted on call legs', (s) => s.bytes);
  counter(
    'earshot_rtp_dropped_total',
    'Datagrams dropped on leg ports (not RTP, wrong payload type, other source)',
    (s) => s.dropped,
  );
  counter(
    'earshot_rtp_lost_total',
    'RTP packets the sequence numbers say never arrived',
    (s) => s.lost,
  );
  counter(
    'earshot_rtp_stray_datagrams_total',
    'Datagrams that came to leg ports in quarantine (streams of calls that are over), thrown away',
    (s) => s.strays,
  );
  new Gauge({
    name: 'earshot_rtp_ports_quarantined',
    help: 'Leg ports held in quarantine until the streams of their old calls stop',
    registers: [registry],
    collect() {
      this.set(stats().quarantinedPorts);
    },
  });
  new Gauge({
    name: 'earshot_listeners',
    help: 'People listening to live calls (one per console and call)',
    registers: [registry],
    collect() {
      this.set(deps.listen.listening);
    },
  });
  new Gauge({
    name: 'earshot_listen_sessions',
    help: 'WebRTC receive transports open for listeners',
    registers: [registry],
    collect() {
      this.set(deps.listen.sessions);
    },
  });
  new Gauge({
    name: 'earshot_board_viewers',
    help: 'Consoles subscribed to the live board',
    registers: [registry],
    collect() {
      this.set(deps.boardViewers());
    },
  });
  new Counter({
    name: 'earshot_calls_refused_total',
    help: "New calls refused: over the live-call limit, or over an ingest token's rate",
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'limit' }, stats().refusedAtLimit);
      this.inc({ reason: 'rate' }, deps.announcementsRefused());
    },
  });
  const storage = () => deps.recordings.health();
  counter(
    'earshot_recording_write_errors_total',
    'Recording writes (and WAV finishes) that failed and were retried',
    () => storage().writeErrors,
  );
  counter(
    'earshot_recording_bytes_dropped_total',
    'Recorded audio let go because its buffer was full while the disk failed',
    () => storage().droppedBytes,
  );
  new Gauge({
    name: 'earshot_recording_bytes_waiting',
    help: 'Recorded audio waiting in memory for the disk',
    registers: [registry],
    collect() {
      this.set(storage().pendingBytes);
    },
  });
  new Gauge({
    name: 'earshot_recordings_unfinished',
    help: 'Ended calls whose WAV could not be written yet (retried)',
    registers: [registry],
    collect() {
      this.set(storage().unfinished);
    },
  });
  counter(
    'earshot_consoles_dropped_slow_total',
    'Consoles dropped because what waited for them passed EARSHOT_SOCKET_BUFFER_BYTES',
    () => deps.slowConsolesDropped(),
  );
  new Gauge({
    name: 'earshot_siprec_sessions',
    help: 'SIPREC recording sessions up now',
    registers: [registry],
    collect() {
      this.set(deps.siprecSessions());
    },
  });
  new Gauge({
    name: 'earshot_stream_sessions',
    help: 'WebSocket stream sessions up now (AudioHook, Twilio Media Streams)',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      const sessions = deps.streamSessions();
      this.set({ protocol: 'audiohook' }, sessions.audiohook);
      this.set({ protocol: 'twilio' }, sessions.twilio);
    },
  });
  return registry;
}
