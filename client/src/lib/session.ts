import type { AuthConfig, Me } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch, ApiError } from './api-fetch';
import { queryClient } from './query-client';
import { socket } from './socket';

/** Who is signed in, or null at the login page. */
export const getMe = async (): Promise<Me | null> => {
  try {
    return await apiFetch<Me>('/api/v1/auth/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
};

export const meQueryOptions = () =>
  queryOptions({ queryKey: ['me'], queryFn: getMe, staleTime: 60_000, retry: 1 });

/** The signed-in user and what they may do. */
export const useMe = () => useQuery(meQueryOptions());

export const useAuthConfig = () =>
  useQuery(
    queryOptions({
      queryKey: ['auth-config'],
      queryFn: () => apiFetch<AuthConfig>('/api/v1/auth/config'),
      staleTime: Infinity,
    }),
  );

export async function signIn(username: string, password: string): Promise<Me> {
  const me = await apiFetch<Me>('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  // NOTE: the page is fresh (signing out reloads it), so nothing cached belongs to anyone else.
  queryClient.setQueryData(['me'], me);
  return me;
}

const ENDED_KEY = 'earshot.session-ended';
const ENDED_MESSAGES = {
  'signed-out': 'You were signed out (from this or another tab).',
  expired: 'Your session expired. Sign in again to go on.',
  removed: 'Your account changed or was removed. Sign in again.',
} as const;

/**
 * Leaves the console: a fresh page at the login form, so that nothing of the session
 * (listening strips, cached calls) outlives it.
 */
function leave(reason?: keyof typeof ENDED_MESSAGES): void {
  socket.disconnect();
  if (reason) sessionStorage.setItem(ENDED_KEY, ENDED_MESSAGES[reason]);
  window.location.assign('/');
}

/** Why the last session ended, once (for the login page). */
export function takeEndedMessage(): string | undefined {
  const message = sessionStorage.getItem(ENDED_KEY) ?? undefined;
  sessionStorage.removeItem(ENDED_KEY);
  return message;
}

export async function signOut(): Promise<void> {
  await apiFetch<null>('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
  leave();
}

// The server ends a session (signed out elsewhere, expired, user removed) or changes its
// rights: the console goes back to the login page, or reloads who it is.
socket.on('session:ended', ({ reason }) => leave(reason));
socket.on('session:changed', () => void queryClient.invalidateQueries({ queryKey: ['me'] }));
socket.on('connect_error', (error) => {
  if (error.message === 'unauthorized') {
    socket.disconnect();
    void queryClient.invalidateQueries({ queryKey: ['me'] });
  }
});
