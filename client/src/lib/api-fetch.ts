import type { ApiErrorBody, ErrorCode, FieldIssue } from '@earshot/shared';
import { queryClient } from './query-client';

/** An error the API answered, with its status and code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | undefined;
  /** Which fields were wrong, and how, when the server says so. */
  readonly issues: FieldIssue[];
  constructor(
    status: number,
    code: ErrorCode | undefined,
    message: string,
    issues: FieldIssue[] = [],
  ) {
    // The field messages are what a person can act on: they are the message.
    super(
      issues.length
        ? `${message}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
        : message,
    );
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** A JSON request's init: the method and, when there is one, the body. */
export const jsonInit = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/**
 * Fetches JSON from the API; a non-2xx answer throws an ApiError with the server's message.
 * A 401 outside sign-in means the session ended: who is signed in is asked again.
 */
export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let code: ErrorCode | undefined;
    let issues: FieldIssue[] | undefined;
    try {
      ({ message, code, issues } = (JSON.parse(text) as ApiErrorBody).error);
    } catch {
      // not an API error body: keep the status line
    }
    if (response.status === 401 && !path.startsWith('/api/v1/auth/'))
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    throw new ApiError(response.status, code, message, issues);
  }
  return (text ? JSON.parse(text) : null) as T;
}
