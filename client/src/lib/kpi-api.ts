import type {
  KpiSnapshot,
  KpiUpdate,
  KpiWindow,
  ReportedKpiRequest,
  StoredReportedFigure,
} from '@earshot/shared';
import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { apiFetch } from './api-fetch';
import { request, socket } from './socket';

const key = (scope: string, window: KpiWindow) => ['kpi', scope, window] as const;

/**
 * A scope's live KPIs: a snapshot from `kpi:subscribe`, then the changed metrics from
 * `kpi:update` merged in; unsubscribed when no component shows it any more.
 */
export function useKpi(scope: string, window: KpiWindow = '1h') {
  const client = useQueryClient();
  useEffect(() => {
    const onUpdate = (update: KpiUpdate) => {
      if (update.scope !== scope || update.window !== window) return;
      client.setQueryData<KpiSnapshot>(
        key(scope, window),
        (s) =>
          s && {
            ...s,
            at: update.at,
            metrics: { ...s.metrics, ...update.metrics },
            reported: update.reported ?? s.reported,
          },
      );
    };
    // After a reconnect the server forgot the subscription: take a new snapshot.
    const onReconnect = () => void client.invalidateQueries({ queryKey: key(scope, window) });
    socket.on('kpi:update', onUpdate);
    socket.io.on('reconnect', onReconnect);
    return () => {
      socket.off('kpi:update', onUpdate);
      socket.io.off('reconnect', onReconnect);
      void request('kpi:unsubscribe', { scope, window }).catch(() => undefined);
      client.removeQueries({ queryKey: key(scope, window) });
    };
  }, [client, scope, window]);
  return useQuery(
    queryOptions({
      queryKey: key(scope, window),
      queryFn: () => request<KpiSnapshot>('kpi:subscribe', { scope, window }),
      staleTime: Infinity,
    }),
  );
}

/** The last hour of a scope's KPIs, every five minutes (sparklines). */
export function useKpiHistory(scope: string, window: KpiWindow = '1h') {
  return useQuery<KpiSnapshot[]>({
    queryKey: ['kpi-history', scope, window],
    queryFn: async () => {
      const body = await apiFetch<{ points: KpiSnapshot[] }>(
        `/api/v1/kpis/${encodeURIComponent(scope)}/history?window=${window}`,
      );
      return body.points;
    },
    refetchInterval: 60_000,
  });
}

/** Every reported figure, newest first. */
export const useReportedFigures = () =>
  useQuery({
    queryKey: ['reported-figures'],
    queryFn: () =>
      apiFetch<{ reported: StoredReportedFigure[] }>('/api/v1/kpis/reported').then(
        (r) => r.reported,
      ),
  });

/** Enters one reported figure (an executive's or an admin's). */
export async function enterReported(client: QueryClient, figure: ReportedKpiRequest) {
  await apiFetch('/api/v1/kpis/reported', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(figure),
  });
  await client.invalidateQueries({ queryKey: ['reported-figures'] });
}

/** Imports a CSV of reported figures: all its rows, or none (the error names the lines). */
export async function importReported(client: QueryClient, csv: string): Promise<number> {
  const { stored } = await apiFetch<{ stored: number }>('/api/v1/kpis/reported/import', {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  await client.invalidateQueries({ queryKey: ['reported-figures'] });
  return stored;
}
