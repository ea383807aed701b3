import { CreateLabelRequest, CreateTagRequest, TagQuery, UpdateTagRequest } from '@earshot/shared';
import { Router, type Request, type Response } from 'express';
import { actorOf } from '../auth/AuthService.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { TagService } from './TagService.ts';

/** Labels and tags on calls. */
export function tagRoutes(kit: RouteKit, deps: { tags: TagService; org: OrgRepository }): Router {
  const router = Router();

  router.get('/labels', kit.signedIn, async (_req, res) => {
    res.json({ labels: await deps.tags.labels() });
  });

  router.post('/labels', kit.signedIn, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(CreateLabelRequest, req.body, 'label');
    const { access } = principalOf(res);
    if (body.team) {
      const team = (await deps.org.get()).teams.find((t) => t.id === body.team);
      if (!team)
        throw new ValidationError('invalid label', [
          { path: 'team', message: `no team "${body.team}"` },
        ]);
      if (!access.canSee({ team: team.id, center: team.centerId }))
        throw new ForbiddenError(`team "${team.id}" is not one of yours`);
    } else if (!access.admin && access.listen.kind !== 'all') {
      throw new ForbiddenError('only an admin or an executive may add a label for everyone');
    }
    res.status(201).json(await deps.tags.addLabel(body));
  });

  router.get('/calls/:id/tags', kit.signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    await kit.visibleCall(id, principalOf(res));
    res.json({ tags: await deps.tags.forCall(id) });
  });

  router.post('/calls/:id/tags', kit.signedIn, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await kit.visibleCall(id, who);
    const body = parseOrThrow(CreateTagRequest, req.body, 'tag');
    res.status(201).json(await deps.tags.create(id, body, actorOf(who)));
  });

  router.get('/tags', kit.signedIn, async (req, res) => {
    const query = parseOrThrow(TagQuery, req.query, 'tag query');
    res.json({ tags: await deps.tags.search(query, principalOf(res).access.sight) });
  });

  /** A tag on a call the principal may see. */
  const visibleTag = async (req: Request, res: Response) => {
    const tag = await deps.tags.get(uuidParam(req.params.id, 'tag'));
    await kit.visibleCall(tag.callId, principalOf(res));
    return tag;
  };

  router.patch('/tags/:id', kit.signedIn, kit.smallJson, async (req, res) => {
    const tag = await visibleTag(req, res);
    const body = parseOrThrow(UpdateTagRequest, req.body, 'tag change');
    res.json(await deps.tags.update(tag.id, body, actorOf(principalOf(res))));
  });

  router.delete('/tags/:id', kit.signedIn, async (req, res) => {
    const tag = await visibleTag(req, res);
    res.json(await deps.tags.delete(tag.id, actorOf(principalOf(res))));
  });

  return router;
}
