import type { Call } from '@earshot/shared';
import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { request, socket } from '../../../lib/socket';
import { setBoardLevels } from '../stores/levels';

export type Board = ReadonlyMap<string, Call>;

/** Subscribes to the live board and returns its snapshot of every live call. */
export const getBoard = async (): Promise<Board> => {
  const { calls } = await request<{ calls: Call[] }>('board:subscribe', {});
  return new Map(calls.map((c) => [c.id, c]));
};

export const boardQueryOptions = () =>
  queryOptions({ queryKey: ['board'], queryFn: getBoard, staleTime: Infinity, retry: true });

/** The live board: a snapshot from the server, then its batched updates over the socket. */
export function useBoard() {
  const queryClient = useQueryClient();
  useEffect(() => {
    const onUpdate = ({
      upserts,
      ended,
      levels,
    }: {
      upserts: Call[];
      ended: string[];
      levels: Record<string, [number, number]>;
    }) => {
      setBoardLevels(levels);
      if (upserts.length === 0 && ended.length === 0) return;
      queryClient.setQueryData<Board>(['board'], (board) => {
        if (!board) return board;
        const next = new Map(board);
        for (const call of upserts) next.set(call.id, call);
        for (const id of ended) next.delete(id);
        return next;
      });
    };
    // After a reconnect the subscription is gone: take a fresh snapshot.
    const onReconnect = () => void queryClient.invalidateQueries({ queryKey: ['board'] });
    socket.on('board:update', onUpdate);
    socket.on('session:changed', onReconnect);
    socket.io.on('reconnect', onReconnect);
    return () => {
      socket.off('board:update', onUpdate);
      socket.off('session:changed', onReconnect);
      socket.io.off('reconnect', onReconnect);
    };
  }, [queryClient]);
  return useQuery(boardQueryOptions());
}
