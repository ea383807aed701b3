import type { Label } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-fetch';

/** Fetches the tag labels (built-in and team-defined). */
export const getLabels = () =>
  apiFetch<{ labels: Label[] }>('/api/v1/labels').then((r) => r.labels);

export const labelsQueryOptions = () =>
  queryOptions({ queryKey: ['labels'], queryFn: getLabels, staleTime: 60_000 });

export const useLabels = () => useQuery(labelsQueryOptions());
