import { CreateCallRequest, DEFAULT_PAYLOAD_TYPE, LEGS, type LegName } from '@earshot/shared';
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { RateLimitedError } from '../../errors.ts';
import type { Buckets } from '../../util/TokenBuckets.ts';
import type { CallService, LegSpec } from '../../calls/CallService.ts';
import type { Routing } from '../../cluster/Forwarder.ts';
import { uuidParam, type RouteKit } from '../../http/kit.ts';
import { parseOrThrow } from '../../http/validate.ts';

/**
 * Plain RTP: an integration announces a call (`POST /calls`), forks its two legs to the
 * ports the answer names, and ends it (`DELETE /calls/:id`).
 */
export function rtpIngestRoutes(
  kit: RouteKit,
  deps: { calls: CallService; announcements: Buckets; routing: Routing | undefined },
): Router {
  const router = Router();

  router.post('/calls', kit.bearer, kit.smallJson, async (req, res) => {
    // With several nodes, a new call lands on the least loaded one, which answers with its
    // own media addresses.
    if (await deps.routing?.pass(req, res, deps.routing.placeNewCall(), { orHere: true })) return;
    const body = parseOrThrow(CreateCallRequest, req.body, 'call');
    // Per token: each integration gets its own budget of new calls a second.
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const wait = await deps.announcements.take(createHash('sha256').update(token).digest('hex'));
    if (wait > 0)
      throw new RateLimitedError(
        'too many new calls from this ingest token (EARSHOT_INGEST_CALLS_PER_SECOND)',
        Math.ceil(wait / 1000),
      );
    const place = { region: body.region, center: body.center, team: body.team, agent: body.agent };
    await deps.calls.checkPlace(place);
    const legs: Partial<Record<LegName, LegSpec>> = {};
    for (const leg of LEGS) {
      const source = body.legs?.[leg]?.source;
      if (source) legs[leg] = { sources: [source] };
    }
    const created = await deps.calls.open({
      externalId: body.externalId,
      place,
      customer: body.customer,
      codec: body.codec,
      payloadType: body.payloadType ?? DEFAULT_PAYLOAD_TYPE[body.codec],
      legs,
    });
    res.status(201).json(created);
  });

  router.delete('/calls/:id', kit.bearer, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    if (await deps.routing?.pass(req, res, deps.routing.other(deps.calls.ownerOf(id)))) return;
    res.json(await deps.calls.end(id));
  });

  return router;
}
