import { AssignCallRequest } from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { actorOf } from '../auth/AuthService.ts';
import { ForbiddenError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { Routing } from '../cluster/Forwarder.ts';
import type { CallService } from './CallService.ts';

/** Live calls as supervisors see them, and unmatched calls as admins assign them. */
export function callRoutes(
  kit: RouteKit,
  deps: { calls: CallService; record: (entry: AuditEntry) => void; routing: Routing | undefined },
): Router {
  const router = Router();

  router.get('/calls', kit.signedIn, (_req, res) => {
    const { access } = principalOf(res);
    res.json({
      calls: deps.calls
        .floor()
        .filter((c) => access.canListen(c))
        .map((c) => access.present(c)),
    });
  });

  // Calls no agent of the organisation matched: executives and admins see them (admins to
  // assign them), with the addresses the telephony gave.
  router.get('/calls/unmatched', kit.signedIn, (_req, res) => {
    const { access } = principalOf(res);
    if (!access.admin && access.listen.kind !== 'all')
      throw new ForbiddenError('only an admin or an executive sees unmatched calls');
    res.json({
      calls: deps.calls
        .floor()
        .filter((c) => c.unmatched)
        .map((c) => access.present(c)),
    });
  });

  router.get('/calls/:id', kit.signedIn, async (req, res) => {
    const who = principalOf(res);
    res.json(who.access.present(await kit.visibleCall(uuidParam(req.params.id, 'call'), who)));
  });

  router.post('/calls/:id/assign', kit.admin, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    if (await deps.routing?.pass(req, res, deps.routing.other(deps.calls.ownerOf(id)))) return;
    const { agentId } = parseOrThrow(AssignCallRequest, req.body, 'assignment');
    const before = await deps.calls.get(id);
    const call = await deps.calls.assign(id, agentId);
    deps.record({
      actor: actorOf(principalOf(res)),
      action: 'call.assign',
      target: id,
      details: { agentBefore: before.agent.id || null, agent: agentId, team: call.team },
    });
    res.json(principalOf(res).access.present(call));
  });

  return router;
}
