import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CallRepository } from './calls/CallRepository.ts';
import { CallService } from './calls/CallService.ts';
import type { Config } from './config/config.ts';
import type { Database } from './db/Database.ts';
import { openDatabase } from './db/openDatabase.ts';
import { createHttpApp } from './http/createHttpApp.ts';
import { MediaPlane } from './ingest/MediaPlane.ts';
import type { Logger } from './log/logger.ts';
import { WorkerPool } from './media/WorkerPool.ts';
import { AuditLog, type AuditEntry } from './audit/AuditLog.ts';
import { AuthService } from './auth/AuthService.ts';
import { IngestTokenStore } from './auth/IngestTokenStore.ts';
import { AgentBoard } from './agents/AgentBoard.ts';
import { AlertService } from './alerts/AlertService.ts';
import { KpiService } from './kpi/KpiService.ts';
import { SiprecPeers } from './ingest/siprec/SiprecPeers.ts';
import { SiprecService } from './ingest/siprec/SiprecService.ts';
import { AUDIOHOOK_PATH, AudioHookService } from './ingest/audiohook/AudioHookService.ts';
import { StreamCalls } from './ingest/StreamCalls.ts';
import { StreamIntegrations } from './ingest/StreamIntegrations.ts';
import { TWILIO_PATH, TwilioService } from './ingest/twilio/TwilioService.ts';
import { SecretBox } from './util/SecretBox.ts';
import { Cluster } from './cluster/Cluster.ts';
import { Routing } from './cluster/Forwarder.ts';
import { shareAcrossNodes } from './cluster/shareAcrossNodes.ts';
import { streamDirectory } from './cluster/streamDirectory.ts';
import { SharedTokenBuckets } from './cluster/SharedTokenBuckets.ts';
import { RemoteCalls } from './calls/RemoteCalls.ts';
import { PlacedCalls } from './calls/PlacedCalls.ts';
import { RemoteTaps } from './listen/RemoteTaps.ts';
import { ListenService } from './listen/ListenService.ts';
import { createMetrics } from './metrics/Metrics.ts';
import { OrgRepository } from './org/OrgRepository.ts';
import { RealtimeServer } from './realtime/RealtimeServer.ts';
import { RecordingStore } from './recordings/RecordingStore.ts';
import { ReviewService } from './review/ReviewService.ts';
import { CalibrationService } from './qa/CalibrationService.ts';
import { EvaluationService } from './qa/EvaluationService.ts';
import { FormService } from './qa/FormService.ts';
import { PlanService } from './qa/PlanService.ts';
import { QaDemo } from './qa/QaDemo.ts';
import type { QaDeps } from './qa/routes.ts';
import { TagRepository } from './tags/TagRepository.ts';
import { TagService } from './tags/TagService.ts';
import { TokenBuckets } from './util/TokenBuckets.ts';

const DEFAULT_CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** A running Earshot server: everything main.ts and the tests need. */
export interface Earshot {
  url: string;
  httpServer: Server;
  calls: CallService;
  pool: WorkerPool;
  /** The media threads that receive the legs' RTP. */
  media: MediaPlane;
  org: OrgRepository;
  realtime: RealtimeServer;
  listen: ListenService;
  recordings: RecordingStore;
  tags: TagService;
  kpi: KpiService;
  alerts: AlertService;
  audit: AuditLog;
  auth: AuthService;
  tokens: IngestTokenStore;
  /**
   * A token the ingest routes accept: EARSHOT_INGEST_TOKEN, or one made up for this process
   * (for the built-in simulator) and kept nowhere.
   */
  ingestToken: string;
  db: Database;
  /** The SIPREC recording server, when configured. */
  siprec: SiprecService | undefined;
  peers: SiprecPeers;
  /** AudioHook integrations and Twilio accounts. */
  integrations: StreamIntegrations;
  /** Calls streamed over WebSocket (AudioHook, Twilio), by conversation. */
  streams: StreamCalls;
  audiohook: AudioHookService;
  twilio: TwilioService;
  qa: QaDeps;
  /** Ends calls cleanly, closes sockets, workers and the database. Idempotent. */
  close(): Promise<void>;
}

/** Builds and starts the server described by `config`. */
export async function startEarshot(
  config: Config,
  logger: Logger,
  options: { clientDist?: string } = {},
): Promise<Earshot> {
  const db = await openDatabase(config, logger);
  const org = new OrgRepository(db);
  let url = '';
  const cluster: Cluster | undefined = config.cluster
    ? await Cluster.connect({
        url: config.cluster.redisUrl,
        nodeId: config.cluster.nodeId,
        nodeUrl: () => config.cluster?.nodeUrl ?? url,
        expiryMs: config.cluster.expiryMs,
        load: (): { calls: number; maxCalls: number; consoles: number } => ({
          calls: calls.liveCount,
          maxCalls: config.ingest.maxCalls,
          consoles: realtime.consoles,
        }),
        logger: logger.child({ module: 'cluster', node: config.cluster.nodeId }),
      }).catch(async (error: unknown) => {
        await db.close();
        throw error;
      })
    : undefined;
  const pool = await WorkerPool.create({
    count: config.mediasoup.workers,
    workerBin: config.mediasoup.workerBin,
    logger: logger.child({ module: 'media' }),
  }).catch(async (error: unknown) => {
    cluster?.close();
    await db.close();
    throw error;
  });
  const recordings = new RecordingStore(
    join(config.dataDir, 'recordings'),
    logger.child({ module: 'recordings' }),
  );
  const media = await MediaPlane.start({
    threads: config.ingest.threads,
    reader: config.ingest.reader,
    priority: config.ingest.priority,
    ip: config.ingest.listenIp,
    minPort: config.ingest.minPort,
    maxPort: config.ingest.maxPort,
    quarantineMs: config.ingest.quarantineMs,
    logger: logger.child({ module: 'ingest' }),
  }).catch(async (error: unknown) => {
    pool.close();
    await db.close();
    throw error;
  });
  const callRepository: CallRepository = new CallRepository(db, cluster?.nodeId ?? '');
  const calls: CallService = new CallService({
    pool,
    recordings,
    media,
    org,
    calls: callRepository,
    logger: logger.child({ module: 'calls' }),
    ingestAnnouncedIp: config.ingest.announcedIp ?? config.ingest.listenIp,
    mediasoupListenIp: '127.0.0.1',
    mediasoupPorts: { min: config.mediasoup.minPort, max: config.mediasoup.maxPort },
    maxCalls: config.ingest.maxCalls,
    idleTimeoutMs: config.ingest.idleTimeoutMs,
  });
  await calls.recover(config.ingest.quarantineMs);
  const remote = cluster && new RemoteCalls(cluster, calls, logger.child({ module: 'floor' }));
  if (remote) {
    calls.joinFloor(remote);
    remote.sync();
  }
  const pipeListen = {
    ip: config.mediasoup.listenIp,
    announcedIp: config.mediasoup.announcedIp,
    portRange: { min: config.mediasoup.minPort, max: config.mediasoup.maxPort },
  };
  const taps =
    cluster &&
    remote &&
    new RemoteTaps({
      cluster,
      calls,
      remote,
      pool,
      listen: pipeListen,
      logger: logger.child({ module: 'listen' }),
    });
  const sweep = () => {
    if (config.recordings.retentionDays === 0) return;
    recordings
      .deleteOlderThan(config.recordings.retentionDays)
      .then((n) => n > 0 && logger.info({ deleted: n }, 'deleted recordings past retention'))
      .catch((error: unknown) => logger.error({ err: error }, 'recording retention sweep failed'));
  };
  sweep();
  const retention = setInterval(sweep, 3_600_000);
  retention.unref();
  const ingestToken = config.ingestToken ?? randomBytes(32).toString('base64url');
  const tokens = new IngestTokenStore(db, ingestToken);

  const listen = new ListenService(
    calls,
    {
      listenIp: config.mediasoup.listenIp,
      announcedIp: config.mediasoup.announcedIp,
      minPort: config.mediasoup.minPort,
      maxPort: config.mediasoup.maxPort,
    },
    logger.child({ module: 'listen' }),
    cluster && remote && taps ? { cluster, remote, taps } : undefined,
  );
  const tags = new TagService(new TagRepository(db), calls);
  const audit = new AuditLog(db);
  const record = (entry: AuditEntry) =>
    void audit
      .append(entry)
      .catch((error: unknown) =>
        logger.error({ err: error, entry }, 'could not write the audit trail'),
      );
  listen.on('started', (actor, callId) =>
    record({ actor, action: 'listen.start', target: callId }),
  );
  listen.on('stopped', (actor, callId, ms) =>
    record({ actor, action: 'listen.stop', target: callId, details: { listenedMs: ms } }),
  );
  listen.on('denied', (actor, callId, team) =>
    record({ actor, action: 'listen.denied', target: callId, details: { team } }),
  );
  const auth = new AuthService({
    db,
    org,
    sessionTtlMs: config.auth.sessionTtlMs,
    record,
    logger: logger.child({ module: 'auth' }),
    redis: cluster?.redis,
  });
  if (config.auth.adminPassword) {
    const outcome = await auth.ensureAdmin('admin', config.auth.adminPassword);
    logger.info({ outcome }, 'EARSHOT_ADMIN_PASSWORD: the admin user is ready');
  }
  await auth.demoUsers(config.auth.demoUsers);
  tags.on('created', (tag, actor) =>
    record({
      actor,
      action: 'tag.create',
      target: tag.id,
      details: { callId: tag.callId, label: tag.label, offsetMs: tag.offsetMs },
    }),
  );
  tags.on('updated', (tag, actor) =>
    record({
      actor,
      action: 'tag.update',
      target: tag.id,
      details: { callId: tag.callId, label: tag.label },
    }),
  );
  tags.on('deleted', (tag, actor) =>
    record({
      actor,
      action: 'tag.delete',
      target: tag.id,
      details: { callId: tag.callId, label: tag.label },
    }),
  );
  const routing =
    cluster &&
    remote &&
    new Routing({
      cluster,
      logger: logger.child({ module: 'routing' }),
      liveHere: () => calls.liveCount,
      liveOn: () => remote.countByNode(),
    });
  // Calls the signalling of this node opens (SIPREC) land on the least loaded node; every
  // node answers the others' requests to open, change and end such calls.
  const placed = new PlacedCalls({
    calls,
    cluster: cluster &&
      remote &&
      routing && { cluster, remote, place: () => routing.placeNewCall() },
    logger: logger.child({ module: 'calls' }),
  });
  const peers = new SiprecPeers(db);
  await peers.load(config.siprec?.peers ?? []);
  const siprec = config.siprec
    ? await SiprecService.start({
        listen: config.siprec.listen,
        calls: placed,
        org,
        peers,
        record,
        contactHost: config.ingest.announcedIp ?? config.ingest.listenIp,
        logger: logger.child({ module: 'siprec' }),
      })
    : undefined;
  const integrations = new StreamIntegrations(
    db,
    await SecretBox.open({ key: config.secretKey, file: join(config.dataDir, 'secret.key') }),
  );
  await integrations.load(config.streams);
  const streams = new StreamCalls({
    calls: placed,
    directory: cluster && streamDirectory(cluster),
    graceMs: config.streams.graceMs,
    logger: logger.child({ module: 'streams' }),
  });
  const audiohook = new AudioHookService({
    integrations,
    streams,
    calls,
    org,
    record,
    publicUrl: config.streams.publicUrl,
    logger: logger.child({ module: 'audiohook' }),
    // NOTE: a signature replayed to another node is a replay too.
    nonces: cluster && {
      claim: (nonce, untilMs) => cluster.claimOnce(`audiohook-nonce:${nonce}`, untilMs),
    },
  });
  const twilio = new TwilioService({
    integrations,
    streams,
    calls,
    record,
    publicUrl: config.streams.publicUrl,
    logger: logger.child({ module: 'twilio' }),
  });
  const kpi = new KpiService(
    db,
    org,
    remote
      ? () => [...calls.conversations(), ...remote.conversations()]
      : () => calls.conversations(),
    logger.child({ module: 'kpi' }),
  );
  kpi.on('applied', (event) => calls.applyAcd(event));
  await kpi.load();
  const agents = new AgentBoard(kpi, calls, org);
  const alerts = new AlertService(db, kpi, calls, org, logger.child({ module: 'alerts' }));
  if (cluster) {
    alerts.joinCluster(cluster);
    shareAcrossNodes({
      cluster,
      kpi,
      auth,
      org,
      peers,
      integrations,
      calls: callRepository,
      live: () => calls.list(),
      logger,
    });
  }
  await alerts.load();
  // NOTE: the demo (its users and simulator) comes with a few rules, so alerts come by themselves.
  if (config.auth.demoUsers) await alerts.seedDemoRules();
  const forms = new FormService(db, record);
  const evaluations = new EvaluationService({ db, calls, tags, forms, record });
  const plans = new PlanService({ db, forms, auth, org, record });
  const calibrations = new CalibrationService({ db, calls, forms, evaluations, auth, org, record });
  const qa = {
    forms,
    evaluations,
    plans,
    calibrations,
    evaluators: async () =>
      (await auth.list()).flatMap((u) =>
        u.roles.flatMap((r) =>
          r.role === 'qa' ? [{ id: u.id, name: u.name, lead: !!r.lead }] : [],
        ),
      ),
  };
  // NOTE: the demo comes with a form, a plan and, once calls are recorded, evaluations.
  const qaDemo = config.auth.demoUsers
    ? new QaDemo({
        auth,
        org,
        forms,
        plans,
        evaluations,
        logger: logger.child({ module: 'qa-demo' }),
      })
    : undefined;
  qaDemo?.start();
  const perToken = {
    ratePerSecond: config.ingest.callsPerSecond,
    burst: Math.max(1, Math.ceil(config.ingest.callsPerSecond * 2)),
  };
  // NOTE: with several nodes, an ingest token's budget binds them all.
  const announcements = cluster
    ? new SharedTokenBuckets(cluster.redis, 'announcements', perToken)
    : new TokenBuckets(perToken);
  const httpServer = createServer();
  httpServer.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === AUDIOHOOK_PATH) audiohook.handleUpgrade(req, socket, head);
    else if (path === TWILIO_PATH) twilio.handleUpgrade(req, socket, head);
  });
  const realtime = new RealtimeServer(
    httpServer,
    {
      allowedHosts: config.http.allowedHosts,
      socketsPerUser: config.auth.maxSocketsPerUser,
      bufferBytes: config.auth.socketBufferBytes,
    },
    calls,
    listen,
    tags,
    kpi,
    auth,
    org,
    agents,
    alerts,
    logger.child({ module: 'realtime' }),
    { cluster, remote },
  );
  const metrics = createMetrics({
    pool,
    calls,
    listen,
    boardViewers: () => realtime.boardViewers,
    slowConsolesDropped: () => realtime.slowDropped,
    siprecSessions: () => siprec?.sessions ?? 0,
    streamSessions: () => ({ audiohook: audiohook.sessions, twilio: twilio.sessions }),
    announcementsRefused: () => announcements.refused,
    recordings,
    cluster: () =>
      cluster && {
        nodes: cluster.nodes().length,
        pipesIn: taps?.counts.in ?? 0,
        pipesOut: taps?.counts.out ?? 0,
      },
  });
  httpServer.on(
    'request',
    createHttpApp({
      db,
      calls,
      org,
      recordings,
      tags,
      review: new ReviewService(db, calls),
      qa,
      audit,
      record,
      kpi,
      agents,
      alerts,
      pool,
      metrics,
      auth,
      tokens,
      peers,
      siprec,
      integrations,
      announcements,
      cluster,
      routing,
      demoUsers: config.auth.demoUsers,
      trustProxy: config.auth.trustProxy,
      metricsToken: config.metricsToken,
      allowedHosts: config.http.allowedHosts,
      clientDist: options.clientDist ?? DEFAULT_CLIENT_DIST,
      logger,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.http.port, config.http.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    siprec?.close();
    await calls.close();
    cluster?.close();
    pool.close();
    await db.close();
    throw error;
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  // Ready to serve: the node joins the registry and new calls may come its way.
  await cluster?.join();

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    httpServer,
    calls,
    pool,
    media,
    org,
    realtime,
    listen,
    recordings,
    tags,
    kpi,
    audit,
    auth,
    tokens,
    ingestToken,
    db,
    siprec,
    peers,
    integrations,
    streams,
    audiohook,
    twilio,
    alerts,
    qa,
    close() {
      closing ??= (async () => {
        clearInterval(retention);
        qaDemo?.close();
        auth.close();
        alerts.close();
        await alerts.flush();
        kpi.close();
        listen.close();
        siprec?.close();
        audiohook.close();
        twilio.close();
        streams.close();
        taps?.close();
        await calls.close();
        // The other nodes hear of the calls ended here before this node leaves.
        remote?.flush();
        await recordings.close();
        await media.close();
        await realtime.close();
        await cluster?.leave();
        pool.close();
        await db.close();
      })();
      return closing;
    },
  };
}
