import type { ApiErrorBody, ErrorCode } from '@earshot/shared';
import { queryClient } from './query-client';

/** An error the API answered, with its status and code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | undefined;
  constructor(status: number, code: ErrorCode | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

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
    try {
      ({ message, code } = (JSON.parse(text) as ApiErrorBody).error);
    } catch {
      // not an API error body: keep the status line
    }
    if (response.status === 401 && !path.startsWith('/api/v1/auth/'))
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    throw new ApiError(response.status, code, message);
  }
  return (text ? JSON.parse(text) : null) as T;
}
