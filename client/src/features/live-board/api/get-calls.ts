import type { Call } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-fetch';

/** Fetches the live calls. */
export const getCalls = () => apiFetch<{ calls: Call[] }>('/api/v1/calls').then((r) => r.calls);

export const callsQueryOptions = () =>
  queryOptions({ queryKey: ['calls'], queryFn: getCalls, refetchInterval: 2_000 });

/** The live calls, refreshed every 2 s. */
export const useCalls = () => useQuery(callsQueryOptions());
