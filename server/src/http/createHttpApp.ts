import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import type { Registry } from 'prom-client';
import type { CallService } from '../calls/CallService.ts';
import type { Logger } from '../log/logger.ts';
import type { WorkerPool } from '../media/WorkerPool.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { ReviewService } from '../review/ReviewService.ts';
import type { TagService } from '../tags/TagService.ts';
import type { AuthService } from '../auth/AuthService.ts';
import type { IngestTokenStore } from '../auth/IngestTokenStore.ts';
import { hostAllowed, readCookie, SESSION_COOKIE } from './auth.ts';
import { NotFoundError } from '../errors.ts';
import { errorHandler } from './errorHandler.ts';
import { apiRouter, type ApiDeps } from './routes.ts';

export interface HttpDeps extends ApiDeps {
  calls: CallService;
  org: OrgRepository;
  recordings: RecordingStore;
  tags: TagService;
  review: ReviewService;
  kpi: KpiService;
  audit: AuditLog;
  pool: WorkerPool;
  metrics: Registry;
  auth: AuthService;
  tokens: IngestTokenStore;
  demoUsers: boolean;
  trustProxy: boolean;
  /** The bearer token for `/metrics` and a detailed `/healthz`; unset: admins only. */
  metricsToken: string | undefined;
  /** Host names the server answers to; null: any. */
  allowedHosts: string[] | null;
  clientDist: string;
  logger: Logger;
}

/** Compares two secrets in constant time (by their digests, so lengths do not leak). */
function sameSecret(a: string, b: string): boolean {
  const digest = (x: string) => createHash('sha256').update(x).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The Express app: health, metrics, the REST API and the console bundle. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', true);
  app.use((_req, res, next) => {
    // The console loads only its own files, talks only to its own server, and may never
    // use a microphone or camera: a listener cannot be heard on a call, whatever runs.
    res.set({
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      'Permissions-Policy': 'microphone=(), camera=(), geolocation=()',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    next();
  });
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    if (hostAllowed(req.get('host'), deps.allowedHosts)) return next();
    res.status(421).json({
      error: { code: 'forbidden', message: 'this server does not answer to that host name' },
    });
  });

  // NOTE: who listens, and how many calls run, is nobody else's business (silent
  // monitoring): monitoring systems present the metrics token, admins their session.
  const operator = async (req: Request) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (bearer && deps.metricsToken && sameSecret(bearer, deps.metricsToken)) return true;
    const principal = await deps.auth
      .resolve(readCookie(req.get('cookie'), SESSION_COOKIE))
      .catch(() => undefined);
    return principal?.access.admin === true;
  };

  app.get('/healthz', async (req, res) => {
    const workers = deps.pool.size;
    const storage = deps.recordings.health();
    const reasons = [...(workers === 0 ? ['no live mediasoup worker'] : []), ...storage.reasons];
    // down: no media at all; degraded: media works, but something is losing ground.
    const status = workers === 0 ? 'down' : reasons.length ? 'degraded' : 'ok';
    res.status(workers > 0 ? 200 : 503).set('Cache-Control', 'no-store');
    if (await operator(req))
      res.json({
        status,
        reasons,
        workers,
        calls: deps.calls.stats().live,
        recordings: {
          bytesWaiting: storage.pendingBytes,
          bytesDropped: storage.droppedBytes,
          writeErrors: storage.writeErrors,
          unfinished: storage.unfinished,
        },
      });
    else res.json({ status });
  });

  app.get('/metrics', async (req, res) => {
    if (!(await operator(req))) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({
          error: {
            code: 'unauthorized',
            message: 'metrics need "Authorization: Bearer <EARSHOT_METRICS_TOKEN>" or an admin',
          },
        });
      return;
    }
    res
      .set('Cache-Control', 'no-store')
      .type(deps.metrics.contentType)
      .send(await deps.metrics.metrics());
  });

  // API answers are the state of the moment and often personal: never kept by a cache.
  app.use('/api/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/api/v1', apiRouter(deps));

  const index = join(deps.clientDist, 'index.html');
  if (existsSync(index)) {
    // Source maps stay on the server's disk: the console's source is not published.
    app.get(/\.map$/, () => {
      throw new NotFoundError('not found');
    });
    app.use(express.static(deps.clientDist, { index: false, maxAge: '1h' }));
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(index, { maxAge: 0 }));
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text')
        .send('The Earshot console is not built. `npm start` builds it; the API is at /api/v1.');
    });
  }

  app.use(errorHandler(deps.logger.child({ module: 'http' })));
  return app;
}
