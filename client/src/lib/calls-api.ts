import type { Call } from '@earshot/shared';
import { useQuery } from '@tanstack/react-query';
import { apiFetch } from './api-fetch';

/** Fetches one call, live or ended. */
export const getCall = (callId: string) =>
  apiFetch<Call>(`/api/v1/calls/${encodeURIComponent(callId)}`);

/** One call; `live` keeps it fresh every 2 s (its audio figures and ACD state move). */
export const useCall = (callId: string, { live = false } = {}) =>
  useQuery({
    queryKey: ['call', callId],
    queryFn: () => getCall(callId),
    ...(live ? { staleTime: 1_000, refetchInterval: 2_000 } : {}),
  });
