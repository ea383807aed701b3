import type { Org } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from './api-fetch';

/** Fetches the organisation (names of centers, regions, teams). */
export const getOrg = () => apiFetch<Org>('/api/v1/org');

export const orgQueryOptions = () =>
  queryOptions({ queryKey: ['org'], queryFn: getOrg, staleTime: 60_000 });

export const useOrg = () => useQuery(orgQueryOptions());
