import type { Tag, TagLeg } from '@earshot/shared';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { listenEngine } from '../../../lib/media/listen-engine';
import { request, serverNow, socket } from '../../../lib/socket';
import { upsertTag as upsert } from '../../../lib/tags-api';

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
 * The moment just heard, on the call's clock: the server's time now, less how long audio
 * takes from the server to this console's ears.
 */
export async function heardOffsetMs(callId: string, startedAt: string): Promise<number> {
  const heardAt = serverNow();
  const delay = await listenEngine.playoutDelayMs(callId);
  return Math.max(0, Math.round(heardAt - delay - Date.parse(startedAt)));
}

/** Tags the moment just heard. */
export async function tagHeardMoment(
  client: QueryClient,
  callId: string,
  startedAt: string,
  label: string,
  leg: TagLeg,
  note?: string,
): Promise<Tag> {
  const offsetMs = await heardOffsetMs(callId, startedAt);
  const tag = await request<Tag>('tag:create', {
    callId,
    tag: { offsetMs, label, leg, ...(note ? { note } : {}) },
  });
  upsert(client, tag);
  return tag;
}
