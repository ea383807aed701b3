import type { Tag } from '@earshot/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-fetch';

export type CoachingTag = Tag & { team: string; agent: { id: string; name: string } };

/** Fetches a team's tags, coached or not. */
export const getTeamTags = (team: string, coached: boolean) =>
  apiFetch<{ tags: CoachingTag[] }>(
    `/api/v1/tags?team=${encodeURIComponent(team)}&coached=${coached}`,
  ).then((r) => r.tags);

export const teamTagsQueryOptions = (team: string, coached: boolean) =>
  queryOptions({
    queryKey: ['coaching', team, coached],
    queryFn: () => getTeamTags(team, coached),
    enabled: team !== '',
  });

export const useTeamTags = (team: string, coached: boolean) =>
  useQuery(teamTagsQueryOptions(team, coached));
