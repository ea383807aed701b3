import type { ApiErrorBody } from '@earshot/shared';
import type { ErrorRequestHandler } from 'express';
import { AppError, RateLimitedError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/** Turns any error into the API's error body; internal details stay in the log. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let status = 500;
    let body: ApiErrorBody;
    const parser = error as BodyParserError;
    if (error instanceof AppError) {
      status = error.status;
      if (error instanceof RateLimitedError)
        res.set('Retry-After', String(error.retryAfterSeconds));
      body = {
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues ? { issues: error.issues } : {}),
        },
      };
    } else if (parser?.type === 'entity.parse.failed') {
      status = 400;
      body = { error: { code: 'bad_request', message: 'the body is not valid JSON' } };
    } else if (parser?.type === 'entity.too.large') {
      status = 413;
      body = { error: { code: 'payload_too_large', message: 'the body is too large' } };
    } else if (typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 500) {
      status = parser.status;
      body = { error: { code: 'bad_request', message: 'the request could not be read' } };
    } else {
      log.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
      body = { error: { code: 'internal', message: 'internal error' } };
    }
    res.status(status).json(body);
  };
}
