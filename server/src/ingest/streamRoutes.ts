import { CreateAudioHookIntegration, CreateTwilioAccount } from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { actorOf } from '../auth/AuthService.ts';
import { principalOf } from '../http/auth.ts';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import { NotFoundError } from '../errors.ts';
import type { StreamIntegrations } from './StreamIntegrations.ts';

/**
 * Stream integrations for admins: AudioHook integrations (Earshot makes their API key and
 * client secret and shows them once) and Twilio accounts, with their live sessions and
 * last error.
 */
export function streamRoutes(
  kit: RouteKit,
  deps: { integrations: StreamIntegrations; record: (entry: AuditEntry) => void },
): Router {
  const router = Router();

  router.get('/integrations/streams', kit.admin, (_req, res) => {
    res.json({ integrations: deps.integrations.list() });
  });

  router.post('/integrations/audiohook', kit.admin, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(CreateAudioHookIntegration, req.body, 'AudioHook integration');
    const actor = actorOf(principalOf(res));
    const created = await deps.integrations.createAudioHook(body, actor.name);
    deps.record({
      actor,
      action: 'integration.audiohook.create',
      target: created.id,
      details: { name: created.name, organizationId: created.organizationId },
    });
    res.status(201).json(created);
  });

  router.post('/integrations/twilio', kit.admin, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(CreateTwilioAccount, req.body, 'Twilio account');
    const actor = actorOf(principalOf(res));
    const created = await deps.integrations.createTwilio(body, actor.name);
    deps.record({
      actor,
      action: 'integration.twilio.create',
      target: created.id,
      details: { name: created.name, accountSid: created.keyHint, inbound: created.inbound },
    });
    res.status(201).json(created);
  });

  router.delete('/integrations/streams/:id', kit.admin, async (req, res) => {
    const id = typeof req.params.id === 'string' ? req.params.id : '';
    if (!/^[\w-]{1,64}$/.test(id))
      throw new NotFoundError(`no stream integration with id "${id.slice(0, 64)}"`);
    const removed = await deps.integrations.remove(id);
    deps.record({
      actor: actorOf(principalOf(res)),
      action: `integration.${removed.kind}.remove`,
      target: removed.id,
      details: { name: removed.name },
    });
    res.json(removed);
  });

  return router;
}
