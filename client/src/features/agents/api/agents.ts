import type { AgentsSnapshot, AgentsUpdate } from '@earshot/shared';
import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { request, socket } from '../../../lib/socket';

const key = (scope: string) => ['agents', scope] as const;

/**
 * The agents of a scope, live: a snapshot from `agents:subscribe`, then the changed rows
 * from `agents:update` merged in; unsubscribed when nothing shows it any more.
 */
export function useAgents(scope: string) {
  const client = useQueryClient();
  useEffect(() => {
    const onUpdate = (update: AgentsUpdate) => {
      if (update.scope !== scope) return;
      client.setQueryData<AgentsSnapshot>(key(scope), (s) => {
        if (!s) return s;
        const changed = new Map(update.agents.map((a) => [a.agentId, a]));
        return { ...s, at: update.at, agents: s.agents.map((a) => changed.get(a.agentId) ?? a) };
      });
    };
    const onReconnect = () => void client.invalidateQueries({ queryKey: key(scope) });
    socket.on('agents:update', onUpdate);
    socket.io.on('reconnect', onReconnect);
    return () => {
      socket.off('agents:update', onUpdate);
      socket.io.off('reconnect', onReconnect);
      void request('agents:unsubscribe', { scope }).catch(() => undefined);
      client.removeQueries({ queryKey: key(scope) });
    };
  }, [client, scope]);
  return useQuery(
    queryOptions({
      queryKey: key(scope),
      queryFn: () => request<AgentsSnapshot>('agents:subscribe', { scope }),
      staleTime: Infinity,
    }),
  );
}
