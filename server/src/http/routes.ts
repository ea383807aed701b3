import { Router } from 'express';
import type { AuditEntry, AuditLog } from '../audit/AuditLog.ts';
import { auditRoutes } from '../audit/routes.ts';
import type { AuthService } from '../auth/AuthService.ts';
import type { IngestTokenStore } from '../auth/IngestTokenStore.ts';
import { authRoutes } from '../auth/routes.ts';
import type { CallService } from '../calls/CallService.ts';
import { callRoutes } from '../calls/routes.ts';
import { NotFoundError } from '../errors.ts';
import { rtpIngestRoutes } from '../ingest/rtp/routes.ts';
import { siprecRoutes } from '../ingest/siprec/routes.ts';
import { streamRoutes } from '../ingest/streamRoutes.ts';
import type { StreamIntegrations } from '../ingest/StreamIntegrations.ts';
import type { SiprecPeers } from '../ingest/siprec/SiprecPeers.ts';
import type { SiprecService } from '../ingest/siprec/SiprecService.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { AgentBoard } from '../agents/AgentBoard.ts';
import type { Database } from '../db/Database.ts';
import { agentRoutes } from '../agents/routes.ts';
import type { AlertService } from '../alerts/AlertService.ts';
import { alertRoutes } from '../alerts/routes.ts';
import { observationRoutes } from '../observations/routes.ts';
import { kpiRoutes } from '../kpi/routes.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { orgRoutes } from '../org/routes.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
import { recordingRoutes } from '../recordings/routes.ts';
import type { ReviewService } from '../review/ReviewService.ts';
import { reviewRoutes } from '../review/routes.ts';
import type { TagService } from '../tags/TagService.ts';
import { tagRoutes } from '../tags/routes.ts';
import { refuseCrossSite } from './auth.ts';
import type { Buckets } from '../util/TokenBuckets.ts';
import { routeKit } from './kit.ts';
import type { Cluster } from '../cluster/Cluster.ts';
import type { Routing } from '../cluster/Forwarder.ts';
import { clusterRoutes } from '../cluster/routes.ts';
import { qaRoutes, type QaDeps } from '../qa/routes.ts';

/** What the API's domains need. */
export interface ApiDeps {
  db: Database;
  calls: CallService;
  org: OrgRepository;
  recordings: RecordingStore;
  tags: TagService;
  review: ReviewService;
  kpi: KpiService;
  agents: AgentBoard;
  alerts: AlertService;
  audit: AuditLog;
  /** Appends to the audit trail without failing the request (a failure is logged). */
  record: (entry: AuditEntry) => void;
  auth: AuthService;
  tokens: IngestTokenStore;
  demoUsers: boolean;
  peers: SiprecPeers;
  /** New calls per second and ingest token. */
  announcements: Buckets;
  /** The SIPREC recording server, when EARSHOT_SIPREC_LISTEN turns it on. */
  siprec: SiprecService | undefined;
  /** AudioHook integrations and Twilio accounts. */
  integrations: StreamIntegrations;
  /** With several nodes: where a request belongs, and the registry. */
  routing: Routing | undefined;
  cluster: Cluster | undefined;
  /** QA evaluations: forms, evaluations, sampling plans, calibration. */
  qa: QaDeps;
}

/** `/api/v1`: every domain's routes, behind the cross-site check they all share. */
export function apiRouter(deps: ApiDeps): Router {
  const router = Router();
  const kit = routeKit(deps);
  router.use(refuseCrossSite());
  router.use(authRoutes(kit, deps));
  router.use(auditRoutes(kit, deps));
  router.use(orgRoutes(kit, deps));
  router.use(rtpIngestRoutes(kit, deps));
  router.use(kpiRoutes(kit, deps));
  router.use(agentRoutes(kit, deps));
  router.use(alertRoutes(kit, deps));
  router.use(observationRoutes(kit, deps));
  router.use(callRoutes(kit, deps));
  router.use(clusterRoutes(kit, deps));
  router.use(
    recordingRoutes(kit, {
      ...deps,
      agentMayReplay: (callId, agentId) => deps.qa.evaluations.agentMayReplay(callId, agentId),
    }),
  );
  router.use(qaRoutes(kit, deps));
  router.use(tagRoutes(kit, deps));
  router.use(reviewRoutes(kit, deps));
  router.use(siprecRoutes(kit, deps));
  router.use(streamRoutes(kit, deps));
  router.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
}
