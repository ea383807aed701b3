import type { CallReview, Comment, ReviewItem } from '@earshot/shared';
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { apiFetch } from '../../../lib/api-fetch';

export interface ReviewFilter {
  from: string;
  to: string;
  center: string;
  team: string;
  agent: string;
  label: string;
  reviewed: '' | 'true' | 'false';
}

export const EMPTY_REVIEW_FILTER: ReviewFilter = {
  from: '',
  to: '',
  center: '',
  team: '',
  agent: '',
  label: '',
  reviewed: '',
};

/** Fetches recorded calls for review, newest flag first. */
export function getReviewList(filter: ReviewFilter): Promise<ReviewItem[]> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (!value) continue;
    // Dates from the date inputs: whole days in the reviewer's time zone.
    if (key === 'from') params.set(key, new Date(`${value}T00:00:00`).toISOString());
    else if (key === 'to') params.set(key, new Date(`${value}T23:59:59.999`).toISOString());
    else params.set(key, value);
  }
  return apiFetch<{ recordings: ReviewItem[] }>(`/api/v1/recordings?${params}`).then(
    (r) => r.recordings,
  );
}

export const reviewListQueryOptions = (filter: ReviewFilter) =>
  queryOptions({
    queryKey: ['review-list', filter],
    queryFn: () => getReviewList(filter),
    // The list stays while a changed filter's answer comes, rather than flashing empty.
    placeholderData: keepPreviousData,
  });

export const useReviewList = (filter: ReviewFilter) => useQuery(reviewListQueryOptions(filter));

/** Fetches a call's review state and comments. */
export const getReview = (callId: string) =>
  apiFetch<CallReview>(`/api/v1/calls/${encodeURIComponent(callId)}/review`);
export const useReview = (callId: string) =>
  useQuery(queryOptions({ queryKey: ['review', callId], queryFn: () => getReview(callId) }));

export async function setCallReviewed(
  client: QueryClient,
  callId: string,
  reviewed: boolean,
): Promise<void> {
  const review = await apiFetch<CallReview>(`/api/v1/calls/${callId}/review`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reviewed }),
  });
  client.setQueryData(['review', callId], review);
  void client.invalidateQueries({ queryKey: ['review-list'] });
}

export async function addComment(
  client: QueryClient,
  callId: string,
  body: string,
  tagId?: string,
): Promise<void> {
  const comment = await apiFetch<Comment>(`/api/v1/calls/${callId}/comments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(tagId ? { body, tagId } : { body }),
  });
  client.setQueryData<CallReview>(
    ['review', callId],
    (review) => review && { ...review, comments: [...review.comments, comment] },
  );
}
