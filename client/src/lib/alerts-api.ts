import type { Alert, AlertRule, AlertRuleRequest } from '@earshot/shared';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { apiFetch } from './api-fetch';
import { request, socket } from './socket';

const OPEN = ['alerts', 'open'] as const;
const listeners = new Set<(alert: Alert) => void>();

/** Every alert change as it comes (the toasts hear about new ones). */
export function onAlert(listener: (alert: Alert) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The open alerts the user may see, live: the list from `alerts:subscribe`, then each
 * change from `alert` (a resolved alert leaves the list).
 */
export function useOpenAlerts(enabled = true) {
  const client = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const onChange = (alert: Alert) => {
      client.setQueryData<Alert[]>(OPEN, (list = []) => {
        const rest = list.filter((a) => a.id !== alert.id);
        return alert.resolvedAt ? rest : [alert, ...rest];
      });
      void client.invalidateQueries({ queryKey: ['alerts', 'all'] });
      listeners.forEach((l) => l(alert));
    };
    const onReconnect = () => void client.invalidateQueries({ queryKey: OPEN });
    socket.on('alert', onChange);
    socket.io.on('reconnect', onReconnect);
    return () => {
      socket.off('alert', onChange);
      socket.io.off('reconnect', onReconnect);
    };
  }, [client, enabled]);
  return useQuery<Alert[]>({
    queryKey: OPEN,
    queryFn: () => request<{ alerts: Alert[] }>('alerts:subscribe', {}).then((r) => r.alerts),
    staleTime: Infinity,
    enabled,
  });
}

export const useAlertHistory = () =>
  useQuery({
    queryKey: ['alerts', 'all'],
    queryFn: () =>
      apiFetch<{ alerts: Alert[] }>('/api/v1/alerts?state=all&limit=300').then((r) => r.alerts),
  });

export async function settleAlert(
  client: QueryClient,
  id: string,
  action: 'acknowledge' | 'resolve',
): Promise<void> {
  const alert = await apiFetch<Alert>(`/api/v1/alerts/${id}/${action}`, { method: 'POST' });
  client.setQueryData<Alert[]>(OPEN, (list = []) =>
    alert.resolvedAt ? list.filter((a) => a.id !== id) : list.map((a) => (a.id === id ? alert : a)),
  );
  await client.invalidateQueries({ queryKey: ['alerts', 'all'] });
}

export const useAlertRules = () =>
  useQuery({
    queryKey: ['alert-rules'],
    queryFn: () => apiFetch<{ rules: AlertRule[] }>('/api/v1/alert-rules').then((r) => r.rules),
  });

export async function createAlertRule(client: QueryClient, rule: AlertRuleRequest): Promise<void> {
  await apiFetch('/api/v1/alert-rules', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  await client.invalidateQueries({ queryKey: ['alert-rules'] });
}

export async function deleteAlertRule(client: QueryClient, id: string): Promise<void> {
  await apiFetch(`/api/v1/alert-rules/${id}`, { method: 'DELETE' });
  await client.invalidateQueries({ queryKey: ['alert-rules'] });
}
