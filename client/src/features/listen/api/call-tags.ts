import type { Tag, TagLeg } from '@earshot/shared';
import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useAppStore } from '../../../app/store';
import { apiFetch } from '../../../lib/api-fetch';
import { listenEngine } from '../../../lib/media/listen-engine';
import { request, serverNow, socket } from '../../../lib/socket';

/** Fetches a call's tags. */
export const getCallTags = (callId: string) =>
  apiFetch<{ tags: Tag[] }>(`/api/v1/calls/${encodeURIComponent(callId)}/tags`).then((r) => r.tags);

export const callTagsQueryOptions = (callId: string) =>
  queryOptions({ queryKey: ['tags', callId], queryFn: () => getCallTags(callId) });

/** A call's tags, kept live by the socket. */
export const useCallTags = (callId: string) => useQuery(callTagsQueryOptions(callId));

function upsert(client: QueryClient, tag: Tag) {
  client.setQueryData<Tag[]>(['tags', tag.callId], (tags = []) =>
    [...tags.filter((t) => t.id !== tag.id), tag].sort((a, b) => a.offsetMs - b.offsetMs),
  );
}

/** Applies live tag events to the cached tag lists (mount once). */
export function useTagEvents(): void {
  const client = useQueryClient();
  useEffect(() => {
    const onUpsert = (tag: Tag) => upsert(client, tag);
    const onDelete = ({ id, callId }: { id: string; callId: string }) =>
      client.setQueryData<Tag[]>(['tags', callId], (tags) => tags?.filter((t) => t.id !== id));
    socket.on('tag:created', onUpsert);
    socket.on('tag:updated', onUpsert);
    socket.on('tag:deleted', onDelete);
    return () => {
      socket.off('tag:created', onUpsert);
      socket.off('tag:updated', onUpsert);
      socket.off('tag:deleted', onDelete);
    };
  }, [client]);
}

/**
 * Tags the moment just heard: the server's time now, less how long audio takes from the
 * server to this console's ears, on the call's clock.
 */
export async function tagHeardMoment(
  client: QueryClient,
  callId: string,
  startedAt: string,
  label: string,
  leg: TagLeg,
): Promise<Tag> {
  const heardAt = serverNow();
  const delay = await listenEngine.playoutDelayMs(callId);
  const offsetMs = Math.max(0, Math.round(heardAt - delay - Date.parse(startedAt)));
  const tag = await request<Tag>('tag:create', { callId, tag: { offsetMs, label, leg } });
  upsert(client, tag);
  return tag;
}

const authorHeaders = () => {
  const { consoleId, name } = useAppStore.getState();
  return {
    'x-earshot-author-id': consoleId,
    'x-earshot-author-name': encodeURIComponent(name ?? ''),
  };
};

/** Changes a tag (note, label, leg: own tags; reviewed, coached: any). */
export async function updateTag(
  client: QueryClient,
  id: string,
  change: Record<string, unknown>,
): Promise<Tag> {
  const tag = await apiFetch<Tag>(`/api/v1/tags/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...authorHeaders() },
    body: JSON.stringify(change),
  });
  upsert(client, tag);
  return tag;
}

/** Deletes one of this console's tags. */
export async function deleteTag(client: QueryClient, tag: Tag): Promise<void> {
  await apiFetch<Tag>(`/api/v1/tags/${tag.id}`, { method: 'DELETE', headers: authorHeaders() });
  client.setQueryData<Tag[]>(['tags', tag.callId], (tags) => tags?.filter((t) => t.id !== tag.id));
}
