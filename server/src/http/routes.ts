import {
  AuditQuery,
  type AuditRecord,
  CreateCallRequest,
  CreateCommentRequest,
  CreateLabelRequest,
  CreateTagRequest,
  CreateTokenRequest,
  CreateUserRequest,
  EventsBatch,
  KpiScope,
  KpiWindow,
  LoginRequest,
  Org,
  RecordingQuery,
  ReportedKpiRequest,
  ReviewQuery,
  ReviewRequest,
  TagQuery,
  UpdateTagRequest,
  UpdateUserRequest,
} from '@earshot/shared';
import type { Request, Response } from 'express';
import express, { Router } from 'express';
import type { AuditLog } from '../audit/AuditLog.ts';
import { actorOf, AuthService, type Principal } from '../auth/AuthService.ts';
import type { IngestTokenStore } from '../auth/IngestTokenStore.ts';
import { outOfScope } from '../auth/Access.ts';
import { assertMayFollow } from '../auth/kpiAccess.ts';
import type { CallService } from '../calls/CallService.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
import type { ReviewService } from '../review/ReviewService.ts';
import type { TagService } from '../tags/TagService.ts';
import {
  principalOf,
  readCookie,
  refuseCrossSite,
  requireBearer,
  requireSession,
  SESSION_COOKIE,
  sessionCookie,
} from './auth.ts';
import { toCsv } from './csv.ts';
import { parseOrThrow } from './validate.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A path id that must be a UUID, or a 404 naming what was not found. */
function uuidParam(raw: string | string[] | undefined, what: string): string {
  const id = typeof raw === 'string' ? raw : '';
  if (!UUID.test(id)) throw new NotFoundError(`no ${what} with id "${id.slice(0, 64)}"`);
  return id;
}

/** `/api/v1`: translates HTTP into domain calls and checks who may make them. */
export function apiRouter(deps: {
  calls: CallService;
  org: OrgRepository;
  recordings: RecordingStore;
  tags: TagService;
  review: ReviewService;
  kpi: KpiService;
  audit: AuditLog;
  auth: AuthService;
  tokens: IngestTokenStore;
  demoUsers: boolean;
}): Router {
  const router = Router();
  const bearer = requireBearer(deps.tokens);
  const signedIn = requireSession(deps.auth);
  const admin = requireSession(deps.auth, 'admin');
  const smallJson = express.json({ limit: '64kb', strict: true });
  // NOTE: a large organisation (tens of thousands of agents) is declared in one body.
  const orgJson = express.json({ limit: '16mb', strict: true });
  // NOTE: a batch of up to 5,000 events from an ACD.
  const eventsJson = express.json({ limit: '4mb', strict: true });

  router.use(refuseCrossSite());

  /** A call the principal may see, or review (404 when there is none, 403 out of scope). */
  const scopedCall = async (id: string, who: Principal, right: 'canSee' | 'canReview') => {
    const call = await deps.calls.get(id);
    if (!who.access[right](call)) throw outOfScope(call);
    return call;
  };
  const visibleCall = (id: string, who: Principal) => scopedCall(id, who, 'canSee');
  const reviewableCall = (id: string, who: Principal) => scopedCall(id, who, 'canReview');

  // --- sign-in ---------------------------------------------------------------------------

  router.get('/auth/config', (_req, res) => {
    res.json({ demoUsers: deps.demoUsers ? AuthService.demoDirectory() : null });
  });

  router.post('/auth/login', smallJson, async (req, res) => {
    const { username, password } = parseOrThrow(LoginRequest, req.body, 'sign-in');
    const { token, me } = await deps.auth.login(username, password, req.ip ?? 'unknown');
    res.set('Set-Cookie', sessionCookie(req, token, me.expiresAt)).json(me);
  });

  router.post('/auth/logout', async (req, res) => {
    const principal = await deps.auth.resolve(readCookie(req.get('cookie'), SESSION_COOKIE));
    if (principal) await deps.auth.logout(principal);
    res
      .set('Set-Cookie', sessionCookie(req, '', null))
      .status(204)
      .end();
  });

  router.get('/auth/me', signedIn, (_req, res) => {
    res.json(deps.auth.me(principalOf(res)));
  });

  // --- people and credentials (admins) --------------------------------------------------

  router.get('/users', admin, async (_req, res) => {
    res.json({ users: await deps.auth.list() });
  });

  router.post('/users', admin, smallJson, async (req, res) => {
    const body = parseOrThrow(CreateUserRequest, req.body, 'user');
    res.status(201).json(await deps.auth.create(body, actorOf(principalOf(res))));
  });

  router.get('/users/:id', admin, async (req, res) => {
    res.json(await deps.auth.get(uuidParam(req.params.id, 'user')));
  });

  router.patch('/users/:id', admin, smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'user');
    const body = parseOrThrow(UpdateUserRequest, req.body, 'user change');
    res.json(await deps.auth.update(id, body, actorOf(principalOf(res))));
  });

  router.delete('/users/:id', admin, async (req, res) => {
    const id = uuidParam(req.params.id, 'user');
    res.json(await deps.auth.delete(id, actorOf(principalOf(res))));
  });

  router.get('/tokens', admin, async (_req, res) => {
    res.json({ tokens: await deps.tokens.list() });
  });

  router.post('/tokens', admin, smallJson, async (req, res) => {
    const { name } = parseOrThrow(CreateTokenRequest, req.body, 'token');
    const actor = actorOf(principalOf(res));
    const created = await deps.tokens.create(name, actor.name);
    void deps.audit.append({
      actor,
      action: 'token.create',
      target: created.id,
      details: { name, prefix: created.prefix },
    });
    res.status(201).json(created);
  });

  router.delete('/tokens/:id', admin, async (req, res) => {
    const revoked = await deps.tokens.revoke(uuidParam(req.params.id, 'token'));
    void deps.audit.append({
      actor: actorOf(principalOf(res)),
      action: 'token.revoke',
      target: revoked.id,
      details: { name: revoked.name, prefix: revoked.prefix },
    });
    res.json(revoked);
  });

  router.get('/audit', admin, async (req, res) => {
    const query = parseOrThrow(AuditQuery, req.query, 'audit query');
    const records = await deps.audit.list(query);
    if (query.format === 'csv') {
      res
        .type('text/csv')
        .set('Content-Disposition', `attachment; filename="earshot-audit.csv"`)
        .send(auditCsv(records));
      return;
    }
    res.json({ records });
  });

  router.get('/audit/verify', admin, async (_req, res) => {
    res.json(await deps.audit.verify());
  });

  // --- the organisation -----------------------------------------------------------------

  router.get('/org', signedIn, async (_req, res) => {
    res.json(await deps.org.get());
  });

  router.put('/org', admin, orgJson, async (req, res) => {
    const org = parseOrThrow(Org, req.body, 'organisation');
    await deps.org.replace(org);
    res.json(org);
  });

  // --- calls: telephony side (ingest tokens) ---------------------------------------------

  router.post('/calls', bearer, smallJson, async (req, res) => {
    const body = parseOrThrow(CreateCallRequest, req.body, 'call');
    res.status(201).json(await deps.calls.create(body));
  });

  router.delete('/calls/:id', bearer, async (req, res) => {
    res.json(await deps.calls.end(uuidParam(req.params.id, 'call')));
  });

  router.post('/events', bearer, eventsJson, async (req, res) => {
    const { events } = parseOrThrow(EventsBatch, req.body, 'event batch');
    res.json(await deps.kpi.ingest(events));
  });

  router.post('/kpis/reported', bearer, smallJson, async (req, res) => {
    const body = parseOrThrow(ReportedKpiRequest, req.body, 'reported figure');
    parseOrThrow(KpiScope, body.scope, 'scope');
    res.status(201).json(await deps.kpi.report(body));
  });

  // --- calls: supervisors' side ---------------------------------------------------------

  router.get('/calls', signedIn, (_req, res) => {
    const { access } = principalOf(res);
    res.json({
      calls: deps.calls
        .list()
        .filter((c) => access.canListen(c))
        .map((c) => access.present(c)),
    });
  });

  router.get('/calls/:id', signedIn, async (req, res) => {
    const who = principalOf(res);
    res.json(who.access.present(await visibleCall(uuidParam(req.params.id, 'call'), who)));
  });

  router.get('/calls/:id/recording', signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    const call = await deps.calls.get(id);
    const query = parseOrThrow(RecordingQuery, req.query, 'recording range');
    const download = query.download === '1' || query.download === 'true';
    const range = query.from === undefined ? {} : { fromMs: query.from, toMs: query.to };
    if (!who.access.canReview(call)) {
      void deps.audit.append({
        actor: actorOf(who),
        action: 'recording.denied',
        target: id,
        details: { team: call.team, download, ...range },
      });
      throw outOfScope(call);
    }
    const info = await deps.recordings.info(id);
    if (!info) throw new NotFoundError(`call "${id}" has no recording`);
    // A player fetches one replay in many ranges: the first (or only) request is the replay.
    const byteRange = req.get('range');
    if (!byteRange || /^bytes=0-/.test(byteRange))
      void deps.audit.append({
        actor: actorOf(who),
        action: download ? 'recording.download' : 'recording.replay',
        target: id,
        details: range,
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

  // --- tags, labels, review ------------------------------------------------------------

  router.get('/labels', signedIn, async (_req, res) => {
    res.json({ labels: await deps.tags.labels() });
  });

  router.post('/labels', signedIn, smallJson, async (req, res) => {
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

  router.get('/calls/:id/tags', signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    await visibleCall(id, principalOf(res));
    res.json({ tags: await deps.tags.forCall(id) });
  });

  router.post('/calls/:id/tags', signedIn, smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await visibleCall(id, who);
    const body = parseOrThrow(CreateTagRequest, req.body, 'tag');
    res.status(201).json(await deps.tags.create(id, body, actorOf(who)));
  });

  router.get('/tags', signedIn, async (req, res) => {
    const query = parseOrThrow(TagQuery, req.query, 'tag query');
    res.json({ tags: await deps.tags.search(query, principalOf(res).access.sight) });
  });

  /** A tag on a call the principal may see. */
  const visibleTag = async (req: Request, res: Response) => {
    const tag = await deps.tags.get(uuidParam(req.params.id, 'tag'));
    await visibleCall(tag.callId, principalOf(res));
    return tag;
  };

  router.patch('/tags/:id', signedIn, smallJson, async (req, res) => {
    const tag = await visibleTag(req, res);
    const body = parseOrThrow(UpdateTagRequest, req.body, 'tag change');
    res.json(await deps.tags.update(tag.id, body, actorOf(principalOf(res))));
  });

  router.delete('/tags/:id', signedIn, async (req, res) => {
    const tag = await visibleTag(req, res);
    res.json(await deps.tags.delete(tag.id, actorOf(principalOf(res))));
  });

  router.get('/recordings', signedIn, async (req, res) => {
    const query = parseOrThrow(ReviewQuery, req.query, 'review query');
    res.json({ recordings: await deps.review.list(query, principalOf(res).access.review) });
  });

  router.get('/calls/:id/review', signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    await reviewableCall(id, principalOf(res));
    res.json(await deps.review.get(id));
  });

  router.put('/calls/:id/review', signedIn, smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await reviewableCall(id, who);
    const { reviewed } = parseOrThrow(ReviewRequest, req.body, 'review');
    res.json(await deps.review.setReviewed(id, reviewed, actorOf(who)));
  });

  router.post('/calls/:id/comments', signedIn, smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    await reviewableCall(id, who);
    const body = parseOrThrow(CreateCommentRequest, req.body, 'comment');
    res.status(201).json(await deps.review.comment(id, body, actorOf(who)));
  });

  // --- KPIs -----------------------------------------------------------------------------

  const kpiParams = async (req: Request, res: Response) => {
    const scope = parseOrThrow(KpiScope, req.params.scope, 'scope');
    const window = parseOrThrow(KpiWindow.default('1h'), req.query.window, 'window');
    await assertMayFollow(principalOf(res).access, scope, deps.org, deps.calls);
    return { scope, window };
  };

  router.get('/kpis/:scope', signedIn, async (req, res) => {
    const { scope, window } = await kpiParams(req, res);
    res.json(await deps.kpi.metrics(scope, window));
  });

  router.get('/kpis/:scope/history', signedIn, async (req, res) => {
    const { scope, window } = await kpiParams(req, res);
    res.json({ scope, window, points: await deps.kpi.history(scope, window) });
  });

  router.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
}

/** The audit trail as CSV, one record a row, details as JSON. */
function auditCsv(records: AuditRecord[]): string {
  return toCsv(
    ['seq', 'at', 'actor_id', 'actor_name', 'action', 'target', 'details', 'hash'],
    records.map((r) => [
      r.seq,
      r.at,
      r.actor.id,
      r.actor.name,
      r.action,
      r.target ?? '',
      JSON.stringify(r.details),
      r.hash,
    ]),
  );
}
