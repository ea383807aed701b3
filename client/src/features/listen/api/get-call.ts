import type { Call } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-fetch';

/** Fetches one call (who, which team) for a listening strip's header. */
export const getCall = (callId: string) =>
  apiFetch<Call>(`/api/v1/calls/${encodeURIComponent(callId)}`);

export const callQueryOptions = (callId: string) =>
  queryOptions({
    queryKey: ['call', callId],
    queryFn: () => getCall(callId),
    staleTime: 1_000,
    refetchInterval: 2_000,
  });

export const useCall = (callId: string) => useQuery(callQueryOptions(callId));
