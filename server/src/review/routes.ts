import { CreateCommentRequest, ReviewQuery, ReviewRequest } from '@earshot/shared';
import { Router } from 'express';
import { actorOf } from '../auth/AuthService.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { ReviewService } from './ReviewService.ts';

/** Recorded calls to review: the list, reviewed marks and comments. */
export function reviewRoutes(kit: RouteKit, deps: { review: ReviewService }): Router {
  const router = Router();

  router.get('/recordings', kit.signedIn, async (req, res) => {
    const query = parseOrThrow(ReviewQuery, req.query, 'review query');
    res.json({ recordings: await deps.review.list(query, principalOf(res).access.review) });
  });

  router.get('/calls/:id/review', kit.signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    await kit.reviewableCall(id, principalOf(res));
    res.json(await deps.review.get(id));
  });

  router.put('/calls/:id/review', kit.signedIn, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await kit.reviewableCall(id, who);
    const { reviewed } = parseOrThrow(ReviewRequest, req.body, 'review');
    res.json(await deps.review.setReviewed(id, reviewed, actorOf(who)));
  });

  router.post('/calls/:id/comments', kit.signedIn, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await kit.reviewableCall(id, who);
    const body = parseOrThrow(CreateCommentRequest, req.body, 'comment');
    res.status(201).json(await deps.review.comment(id, body, actorOf(who)));
  });

  return router;
}
