import type { Tag } from '@earshot/shared';
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { apiFetch } from './api-fetch';

/** Fetches a call's tags. */
export const getCallTags = (callId: string) =>
  apiFetch<{ tags: Tag[] }>(`/api/v1/calls/${encodeURIComponent(callId)}/tags`).then((r) => r.tags);

export const callTagsQueryOptions = (callId: string) =>
  queryOptions({ queryKey: ['tags', callId], queryFn: () => getCallTags(callId) });

/** A call's tags (kept live by socket events where a page listens for them). */
export const useCallTags = (callId: string) => useQuery(callTagsQueryOptions(callId));

/** Puts a tag into its call's cached list, in offset order. */
export function upsertTag(client: QueryClient, tag: Tag): void {
  client.setQueryData<Tag[]>(['tags', tag.callId], (tags = []) =>
    [...tags.filter((t) => t.id !== tag.id), tag].sort((a, b) => a.offsetMs - b.offsetMs),
  );
}

/** Changes a tag (note, label, leg: own tags; reviewed, coached: any). */
export async function updateTag(
  client: QueryClient,
  id: string,
  change: Record<string, unknown>,
): Promise<Tag> {
  const tag = await apiFetch<Tag>(`/api/v1/tags/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  upsertTag(client, tag);
  return tag;
}

/** Deletes one of the user's own tags. */
export async function deleteTag(client: QueryClient, tag: Tag): Promise<void> {
  await apiFetch<Tag>(`/api/v1/tags/${tag.id}`, { method: 'DELETE' });
  client.setQueryData<Tag[]>(['tags', tag.callId], (tags) => tags?.filter((t) => t.id !== tag.id));
}
