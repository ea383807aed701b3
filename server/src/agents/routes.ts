import { AgentsScope } from '@earshot/shared';
import { Router } from 'express';
import { principalOf } from '../http/auth.ts';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { AgentBoard } from './AgentBoard.ts';
import { assertMayWatchAgents } from './socket.ts';

/** `GET /api/v1/agents?scope=`: the agents board of a scope, as the user may see it. */
export function agentRoutes(kit: RouteKit, deps: { agents: AgentBoard }): Router {
  const router = Router();
  router.get('/agents', kit.signedIn, async (req, res) => {
    const scope = parseOrThrow(AgentsScope.default('org'), req.query.scope, 'scope');
    const who = principalOf(res);
    assertMayWatchAgents(who);
    res.json(await deps.agents.snapshot(scope, who));
  });
  return router;
}
