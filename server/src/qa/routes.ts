import {
  AnswersRequest,
  CreateCalibrationRequest,
  CreateEvaluationRequest,
  CreatePlanRequest,
  DisputeRequest,
  DrawRequest,
  EvaluationQuery,
  QaSettings,
  ResolveDisputeRequest,
  ResultsQuery,
  SaveFormRequest,
} from '@earshot/shared';
import { Router, type RequestHandler } from 'express';
import { actorOf } from '../auth/AuthService.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { CalibrationService } from './CalibrationService.ts';
import type { EvaluationService } from './EvaluationService.ts';
import type { FormService } from './FormService.ts';
import type { PlanService } from './PlanService.ts';

export interface QaDeps {
  /** QA reviewers (for plans and calibration sessions). */
  evaluators: () => Promise<{ id: string; name: string; lead: boolean }[]>;
  forms: FormService;
  evaluations: EvaluationService;
  plans: PlanService;
  calibrations: CalibrationService;
}

/** A right a route needs on top of a session, refused with a message that names it. */
const needs =
  (right: 'evaluate' | 'qaLead' | 'review', message: string): RequestHandler =>
  (_req, res, next) => {
    const { access } = principalOf(res);
    const ok = right === 'review' ? access.canReviewAtAll : access[right];
    next(ok ? undefined : new ForbiddenError(message));
  };

/** QA evaluations: forms, evaluations and disputes, sampling plans, calibration, results. */
export function qaRoutes(kit: RouteKit, deps: { qa: QaDeps }): Router {
  const { forms, evaluations, plans, calibrations } = deps.qa;
  const router = Router();
  const qa = [kit.signedIn, needs('evaluate', 'only a QA reviewer does this')];
  const lead = [kit.signedIn, needs('qaLead', 'only a QA lead does this')];
  const reviewer = [
    kit.signedIn,
    needs('review', 'only someone who reviews calls sees QA results'),
  ];

  router.get('/qa/forms', ...qa, async (_req, res) => {
    res.json({ forms: await forms.list() });
  });
  router.post('/qa/forms', ...lead, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(SaveFormRequest, req.body, 'form');
    res.status(201).json(await forms.create(body, actorOf(principalOf(res))));
  });
  router.get('/qa/forms/:id', ...qa, async (req, res) => {
    res.json(await forms.get(uuidParam(req.params.id, 'form')));
  });
  router.put('/qa/forms/:id', ...lead, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'form');
    const body = parseOrThrow(SaveFormRequest, req.body, 'form');
    res.json(await forms.update(id, body, actorOf(principalOf(res))));
  });
  router.post('/qa/forms/:id/publish', ...lead, async (req, res) => {
    res.json(await forms.publish(uuidParam(req.params.id, 'form'), actorOf(principalOf(res))));
  });
  router.post('/qa/forms/:id/retire', ...lead, async (req, res) => {
    res.json(await forms.retire(uuidParam(req.params.id, 'form'), actorOf(principalOf(res))));
  });
  router.get('/qa/forms/:id/versions/:version', ...qa, async (req, res) => {
    const version = Number(req.params.version);
    if (!Number.isInteger(version) || version < 1)
      throw new NotFoundError(
        `the form has no version "${String(req.params.version).slice(0, 16)}"`,
      );
    res.json(await forms.version(uuidParam(req.params.id, 'form'), version));
  });

  router.get('/qa/evaluators', ...qa, async (_req, res) => {
    res.json({ evaluators: await deps.qa.evaluators() });
  });

  router.get('/qa/settings', kit.signedIn, async (_req, res) => {
    res.json(await evaluations.settings());
  });
  router.put('/qa/settings', kit.admin, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(QaSettings, req.body, 'QA settings');
    res.json(await evaluations.setSettings(body, actorOf(principalOf(res))));
  });

  router.post('/calls/:id/evaluations', ...qa, kit.smallJson, async (req, res) => {
    const callId = uuidParam(req.params.id, 'call');
    const { formId } = parseOrThrow(CreateEvaluationRequest, req.body, 'evaluation');
    const { evaluation, created } = await evaluations.create(callId, formId, principalOf(res));
    res.status(created ? 201 : 200).json(evaluation);
  });
  router.get('/evaluations', kit.signedIn, async (req, res) => {
    const query = parseOrThrow(EvaluationQuery, req.query, 'evaluation query');
    const who = principalOf(res);
    if (who.access.agent === null && !who.access.canReviewAtAll)
      throw new ForbiddenError('only reviewers and the evaluated agents see evaluations');
    res.json({ evaluations: await evaluations.list(query, who) });
  });
  router.get('/evaluations/:id', kit.signedIn, async (req, res) => {
    res.json(await evaluations.get(uuidParam(req.params.id, 'evaluation'), principalOf(res)));
  });
  router.put('/evaluations/:id/draft', ...qa, kit.json('256kb'), async (req, res) => {
    const id = uuidParam(req.params.id, 'evaluation');
    const { answers } = parseOrThrow(AnswersRequest, req.body, 'answers');
    res.json(await evaluations.saveDraft(id, answers, principalOf(res)));
  });
  router.post('/evaluations/:id/submit', ...qa, kit.json('256kb'), async (req, res) => {
    const id = uuidParam(req.params.id, 'evaluation');
    const { answers } = parseOrThrow(AnswersRequest, req.body, 'answers');
    res.json(await evaluations.submit(id, answers, principalOf(res)));
  });
  router.post('/evaluations/:id/acknowledge', kit.signedIn, async (req, res) => {
    res.json(
      await evaluations.acknowledge(uuidParam(req.params.id, 'evaluation'), principalOf(res)),
    );
  });
  router.post('/evaluations/:id/dispute', kit.signedIn, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'evaluation');
    const { comment } = parseOrThrow(DisputeRequest, req.body, 'dispute');
    res.json(await evaluations.dispute(id, comment, principalOf(res)));
  });
  router.post('/evaluations/:id/resolve', ...qa, kit.json('256kb'), async (req, res) => {
    const id = uuidParam(req.params.id, 'evaluation');
    const body = parseOrThrow(ResolveDisputeRequest, req.body, 'resolution');
    res.json(await evaluations.resolve(id, body, principalOf(res)));
  });

  router.get('/qa/plans', ...qa, async (_req, res) => {
    res.json({ plans: await plans.list() });
  });
  router.post('/qa/plans', ...lead, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(CreatePlanRequest, req.body, 'sampling plan');
    res.status(201).json(await plans.create(body, principalOf(res)));
  });
  router.get('/qa/plans/:id/draws', ...qa, async (req, res) => {
    res.json({ draws: await plans.draws(uuidParam(req.params.id, 'sampling plan')) });
  });
  router.post('/qa/plans/:id/draws', ...lead, kit.smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'sampling plan');
    const body = parseOrThrow(DrawRequest, req.body ?? {}, 'draw');
    res.status(201).json(await plans.draw(id, body, principalOf(res)));
  });
  router.get('/qa/draws/:id', ...qa, async (req, res) => {
    res.json(await plans.drawById(uuidParam(req.params.id, 'draw')));
  });
  router.get('/qa/queue', ...qa, async (_req, res) => {
    res.json({ assignments: await plans.queue(principalOf(res)) });
  });

  router.get('/qa/calibrations', ...qa, async (_req, res) => {
    res.json({ calibrations: await calibrations.list(principalOf(res)) });
  });
  router.post('/qa/calibrations', ...lead, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(CreateCalibrationRequest, req.body, 'calibration session');
    res.status(201).json(await calibrations.create(body, principalOf(res)));
  });
  router.get('/qa/calibrations/:id', ...qa, async (req, res) => {
    res.json(
      await calibrations.report(uuidParam(req.params.id, 'calibration session'), principalOf(res)),
    );
  });
  router.post('/qa/calibrations/:id/evaluation', ...qa, async (req, res) => {
    const id = uuidParam(req.params.id, 'calibration session');
    const { evaluation, created } = await calibrations.evaluate(id, principalOf(res));
    res.status(created ? 201 : 200).json(evaluation);
  });
  router.post('/qa/calibrations/:id/close', ...lead, async (req, res) => {
    res.json(
      await calibrations.close(uuidParam(req.params.id, 'calibration session'), principalOf(res)),
    );
  });

  router.get('/qa/results', ...reviewer, async (req, res) => {
    const query = parseOrThrow(ResultsQuery, req.query, 'results query');
    res.json(await calibrations.results(query, principalOf(res)));
  });

  return router;
}
