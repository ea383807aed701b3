import type { ApiErrorBody } from '@earshot/shared';

/** Fetches JSON from the API; a non-2xx answer throws with the server's message. */
export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (JSON.parse(text) as ApiErrorBody).error.message;
    } catch {
      // not an API error body: keep the status line
    }
    throw new Error(message);
  }
  return JSON.parse(text) as T;
}
