import {
  Author,
  CreateCallRequest,
  CreateCommentRequest,
  CreateLabelRequest,
  CreateTagRequest,
  EventsBatch,
  KpiScope,
  KpiWindow,
  ReportedKpiRequest,
  fieldIssues,
  Org,
  RecordingQuery,
  ReviewQuery,
  ReviewRequest,
  TagQuery,
  UpdateTagRequest,
} from '@earshot/shared';
import type { Request } from 'express';
import express, { Router } from 'express';
import type { CallService } from '../calls/CallService.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { ReviewService } from '../review/ReviewService.ts';
import type { TagService } from '../tags/TagService.ts';
import { requireBearer } from './auth.ts';
import { parseOrThrow } from './validate.ts';

const CALL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function callId(raw: string | string[] | undefined): string {
  const id = typeof raw === 'string' ? raw : '';
  if (!CALL_ID.test(id)) throw new NotFoundError(`no call with id "${id.slice(0, 64)}"`);
  return id;
}

function tagId(raw: string | string[] | undefined): string {
  const id = typeof raw === 'string' ? raw : '';
  if (!CALL_ID.test(id)) throw new NotFoundError(`no tag with id "${id.slice(0, 64)}"`);
  return id;
}

/** The author headers, read: the name is URI-encoded by the console. */
function parseAuthor(req: Request) {
  let name = req.get('x-earshot-author-name');
  try {
    name = name === undefined ? undefined : decodeURIComponent(name);
  } catch {
    // left as sent; the schema says what is wrong with it
  }
  return Author.safeParse({ id: req.get('x-earshot-author-id'), name });
}

/**
 * Who makes a change, until sign-in exists: the console's lasting id and name, sent as
 * `X-Earshot-Author-Id` and `X-Earshot-Author-Name` (URI-encoded).
 */
function authorOf(req: Request): Author {
  const parsed = parseAuthor(req);
  if (!parsed.success) {
    throw new ValidationError(
      'say who you are with the X-Earshot-Author-Id and X-Earshot-Author-Name headers',
      fieldIssues(parsed.error).map((i) => ({ ...i, path: `x-earshot-author-${i.path}` })),
    );
  }
  return parsed.data;
}

/** `/api/v1`: translates HTTP into domain calls, nothing more. */
export function apiRouter(deps: {
  calls: CallService;
  org: OrgRepository;
  recordings: RecordingStore;
  tags: TagService;
  review: ReviewService;
  kpi: KpiService;
  audit: AuditLog;
  ingestToken: string;
}): Router {
  const router = Router();
  const bearer = requireBearer(deps.ingestToken);
  const smallJson = express.json({ limit: '64kb', strict: true });
  // NOTE: a large organisation (tens of thousands of agents) is declared in one body.
  const orgJson = express.json({ limit: '16mb', strict: true });

  router.get('/org', async (_req, res) => {
    res.json(await deps.org.get());
  });

  router.put('/org', bearer, orgJson, async (req, res) => {
    const org = parseOrThrow(Org, req.body, 'organisation');
    await deps.org.replace(org);
    res.json(org);
  });

  router.post('/calls', bearer, smallJson, async (req, res) => {
    const body = parseOrThrow(CreateCallRequest, req.body, 'call');
    res.status(201).json(await deps.calls.create(body));
  });

  router.get('/calls', (_req, res) => {
    res.json({ calls: deps.calls.list() });
  });

  router.get('/calls/:id', async (req, res) => {
    res.json(await deps.calls.get(callId(req.params.id)));
  });

  router.get('/calls/:id/recording', async (req, res) => {
    const id = callId(req.params.id);
    await deps.calls.get(id);
    const query = parseOrThrow(RecordingQuery, req.query, 'recording range');
    const info = await deps.recordings.info(id);
    if (!info) throw new NotFoundError(`call "${id}" has no recording`);
    const download = query.download === '1' || query.download === 'true';
    // NOTE: until sign-in exists, the actor is whoever the console says it is.
    const actor = parseAuthor(req);
    // A player fetches one replay in many ranges: the first (or only) request is the replay.
    const range = req.get('range');
    if (!range || /^bytes=0-/.test(range))
      void deps.audit.append({
        actor: actor.success ? actor.data : { id: 'anonymous', name: 'anonymous' },
        action: download ? 'recording.download' : 'recording.replay',
        target: id,
        details: query.from === undefined ? {} : { fromMs: query.from, toMs: query.to },
      });
    if (query.from !== undefined && query.to !== undefined) {
      if (query.from >= info.durationMs) {
        throw new ValidationError('the range is outside the recording', [
          {
            path: 'from',
            message: `must be below the recording's ${Math.floor(info.durationMs)} ms`,
          },
        ]);
      }
      const segment = await deps.recordings.segment(
        id,
        query.from,
        Math.min(query.to, info.durationMs),
      );
      if (!segment) throw new NotFoundError(`call "${id}" has no recording`);
      const name = `call-${id.slice(0, 8)}-${query.from}-${query.to}.wav`;
      res.set('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename="${name}"`);
      res.type('audio/wav').send(segment);
      return;
    }
    if (download)
      res.set('Content-Disposition', `attachment; filename="call-${id.slice(0, 8)}.wav"`);
    if (info.finalized) {
      // sendFile answers Range requests (206) and conditional requests by itself.
      res.sendFile(deps.recordings.wavFile(id), {
        headers: { 'Content-Type': 'audio/wav' },
        maxAge: 0,
      });
      return;
    }
    const live = await deps.recordings.read(id);
    if (!live) throw new NotFoundError(`call "${id}" has no recording`);
    res.set('Cache-Control', 'no-store').type('audio/wav').send(live);
  });

  router.delete('/calls/:id', bearer, async (req, res) => {
    res.json(await deps.calls.end(callId(req.params.id)));
  });

  router.get('/labels', async (_req, res) => {
    res.json({ labels: await deps.tags.labels() });
  });

  router.post('/labels', smallJson, async (req, res) => {
    res
      .status(201)
      .json(await deps.tags.addLabel(parseOrThrow(CreateLabelRequest, req.body, 'label')));
  });

  router.get('/calls/:id/tags', async (req, res) => {
    res.json({ tags: await deps.tags.forCall(callId(req.params.id)) });
  });

  router.post('/calls/:id/tags', smallJson, async (req, res) => {
    const id = callId(req.params.id);
    const author = authorOf(req);
    const body = parseOrThrow(CreateTagRequest, req.body, 'tag');
    res.status(201).json(await deps.tags.create(id, body, author));
  });

  router.get('/tags', async (req, res) => {
    res.json({ tags: await deps.tags.search(parseOrThrow(TagQuery, req.query, 'tag query')) });
  });

  router.patch('/tags/:id', smallJson, async (req, res) => {
    const author = authorOf(req);
    const body = parseOrThrow(UpdateTagRequest, req.body, 'tag change');
    res.json(await deps.tags.update(tagId(req.params.id), body, author));
  });

  router.delete('/tags/:id', async (req, res) => {
    res.json(await deps.tags.delete(tagId(req.params.id), authorOf(req)));
  });

  router.get('/recordings', async (req, res) => {
    res.json({
      recordings: await deps.review.list(parseOrThrow(ReviewQuery, req.query, 'review query')),
    });
  });

  router.get('/calls/:id/review', async (req, res) => {
    res.json(await deps.review.get(callId(req.params.id)));
  });

  router.put('/calls/:id/review', smallJson, async (req, res) => {
    const author = authorOf(req);
    const { reviewed } = parseOrThrow(ReviewRequest, req.body, 'review');
    res.json(await deps.review.setReviewed(callId(req.params.id), reviewed, author));
  });

  router.post('/calls/:id/comments', smallJson, async (req, res) => {
    const author = authorOf(req);
    const body = parseOrThrow(CreateCommentRequest, req.body, 'comment');
    res.status(201).json(await deps.review.comment(callId(req.params.id), body, author));
  });

  // NOTE: a batch of up to 5,000 events from an ACD.
  const eventsJson = express.json({ limit: '4mb', strict: true });
  router.post('/events', bearer, eventsJson, async (req, res) => {
    const { events } = parseOrThrow(EventsBatch, req.body, 'event batch');
    res.json(await deps.kpi.ingest(events));
  });

  const kpiParams = (req: Request) => ({
    scope: parseOrThrow(KpiScope, req.params.scope, 'scope'),
    window: parseOrThrow(KpiWindow.default('1h'), req.query.window, 'window'),
  });

  router.post('/kpis/reported', bearer, smallJson, async (req, res) => {
    const body = parseOrThrow(ReportedKpiRequest, req.body, 'reported figure');
    parseOrThrow(KpiScope, body.scope, 'scope');
    res.status(201).json(await deps.kpi.report(body));
  });

  router.get('/kpis/:scope', async (req, res) => {
    const { scope, window } = kpiParams(req);
    res.json(await deps.kpi.metrics(scope, window));
  });

  router.get('/kpis/:scope/history', async (req, res) => {
    const { scope, window } = kpiParams(req);
    res.json({ scope, window, points: await deps.kpi.history(scope, window) });
  });

  router.get('/audit', async (_req, res) => {
    res.json({ records: await deps.audit.list() });
  });

  router.get('/audit/verify', async (_req, res) => {
    res.json(await deps.audit.verify());
  });

  router.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
}
