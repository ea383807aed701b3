import { CreateSiprecPeerRequest, type SiprecStatus } from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../../audit/AuditLog.ts';
import { actorOf } from '../../auth/AuthService.ts';
import { principalOf } from '../../http/auth.ts';
import { uuidParam, type RouteKit } from '../../http/kit.ts';
import { parseOrThrow } from '../../http/validate.ts';
import type { SiprecPeers } from './SiprecPeers.ts';
import type { SiprecService } from './SiprecService.ts';

/** SIPREC for admins: whether it is on and where, and the peers allowed to send to it. */
export function siprecRoutes(
  kit: RouteKit,
  deps: {
    peers: SiprecPeers;
    siprec: SiprecService | undefined;
    record: (entry: AuditEntry) => void;
  },
): Router {
  const router = Router();

  router.get('/siprec', kit.admin, (_req, res) => {
    const status: SiprecStatus = {
      enabled: deps.siprec !== undefined,
      listen: deps.siprec?.addresses() ?? [],
      sessions: deps.siprec?.sessions ?? 0,
      peers: deps.peers.list(),
    };
    res.json(status);
  });

  router.get('/siprec/peers', kit.admin, (_req, res) => {
    res.json({ peers: deps.peers.list() });
  });

  router.post('/siprec/peers', kit.admin, kit.smallJson, async (req, res) => {
    const { cidr, label } = parseOrThrow(CreateSiprecPeerRequest, req.body, 'SIPREC peer');
    const actor = actorOf(principalOf(res));
    const peer = await deps.peers.add(cidr, label, actor.name);
    deps.record({
      actor,
      action: 'siprec.peer.add',
      target: peer.id,
      details: { cidr: peer.cidr, label: peer.label },
    });
    res.status(201).json(peer);
  });

  router.delete('/siprec/peers/:id', kit.admin, async (req, res) => {
    const peer = await deps.peers.remove(uuidParam(req.params.id, 'SIPREC peer'));
    deps.record({
      actor: actorOf(principalOf(res)),
      action: 'siprec.peer.remove',
      target: peer.id,
      details: { cidr: peer.cidr, label: peer.label },
    });
    res.json(peer);
  });

  return router;
}
