import { ContactEvent, KpiWindow, type Call } from '@earshot/shared';
import { z } from 'zod';
import type { AuthService } from '../auth/AuthService.ts';
import type { CallRepository } from '../calls/CallRepository.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { SiprecPeers } from '../ingest/siprec/SiprecPeers.ts';
import type { StreamIntegrations } from '../ingest/StreamIntegrations.ts';
import type { Cluster } from './Cluster.ts';

/** How long the node that cleans up after a lost node holds the job before another may. */
const CLEANUP_LOCK_MS = 30_000;

/**
 * What every node must learn when one changes it: contact-center events (stored once, in
 * the database, applied by all), users' rights and ended sessions (their consoles on any
 * node lose what they may no longer have), the organisation; and the clean-up after a lost
 * node (its calls end as `node-lost`, once, by whichever node takes the job).
 */
export function shareAcrossNodes(deps: {
  cluster: Cluster;
  kpi: KpiService;
  auth: AuthService;
  org: OrgRepository;
  peers: SiprecPeers;
  integrations: StreamIntegrations;
  calls: CallRepository;
  /** This node's live calls. */
  live: () => Call[];
  logger: Logger;
}): void {
  const { cluster, kpi, auth, org, calls } = deps;
  const log = deps.logger.child({ module: 'cluster' });
  kpi.on('stored', (events) => cluster.publish('kpi:events', events));
  cluster.subscribe('kpi:events', z.array(ContactEvent).max(100_000), (events) =>
    kpi.applyStored(events),
  );
  // Events the others stored while Redis was away come from the database once it is back.
  cluster.on('down', () => kpi.missingOthers());
  cluster.on('resync', () => {
    kpi
      .catchUp()
      .catch((error: unknown) =>
        log.error({ err: error }, 'could not apply the events stored during the outage'),
      );
  });
  kpi.on('reported', (scope, window) => cluster.publish('kpi:reported', { scope, window }));
  cluster.subscribe(
    'kpi:reported',
    z.object({ scope: z.string().max(200), window: KpiWindow }),
    ({ scope, window }) => {
      kpi
        .reportedElsewhere(scope, window)
        .catch((error: unknown) => log.error({ err: error }, 'could not show reported figures'));
    },
  );

  // NOTE: what another node said is re-emitted here, and must not be said back.
  let relaying = false;
  const relay = (emit: () => void) => {
    relaying = true;
    try {
      emit();
    } finally {
      relaying = false;
    }
  };
  auth.on('changed', (userId) => !relaying && cluster.publish('auth:changed', { userId }));
  auth.on(
    'ended',
    (sessionHash, reason) => !relaying && cluster.publish('auth:ended', { sessionHash, reason }),
  );
  cluster.subscribe('auth:changed', z.object({ userId: z.string().max(64) }), ({ userId }) =>
    relay(() => auth.emit('changed', userId)),
  );
  cluster.subscribe(
    'auth:ended',
    z.object({ sessionHash: z.string().max(128), reason: z.enum(['signed-out', 'expired']) }),
    ({ sessionHash, reason }) => relay(() => auth.emit('ended', sessionHash, reason)),
  );
  org.replaced.add(() => cluster.publish('org:replaced', {}));
  cluster.subscribe('org:replaced', z.object({}), () => org.forget());
  // Lists kept in memory that admins change on one node: the others read them again.
  for (const [topic, list] of [
    ['siprec:peers', deps.peers],
    ['streams:integrations', deps.integrations],
  ] as const) {
    list.changed.add(() => cluster.publish(topic, {}));
    cluster.subscribe(topic, z.object({}), () => {
      list
        .refresh()
        .catch((error: unknown) =>
          log.error({ err: error, topic }, 'could not read a changed list again'),
        );
    });
  }

  cluster.on('rejoined', () => {
    calls
      .revive(deps.live())
      .then((n) => n > 0 && log.warn({ calls: n }, 'calls taken for lost are live again'))
      .catch((error: unknown) => log.error({ err: error }, 'could not revive calls'));
  });
  cluster.on('lost', (node) => {
    cluster
      .exclusively(`lost:${node}`, CLEANUP_LOCK_MS, async () => {
        const ended = await calls.endOfNode(node, 'node-lost');
        await cluster.forget(node);
        log.warn(
          { lostNode: node, calls: ended },
          'a node stopped beating: its calls ended as node-lost',
        );
      })
      .catch((error: unknown) =>
        log.error({ err: error, lostNode: node }, 'could not clean up after a lost node'),
      );
  });
}
