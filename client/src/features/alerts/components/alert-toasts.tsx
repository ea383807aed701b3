import type { Alert } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { onAlert, settleAlert, useOpenAlerts } from '../../../lib/alerts-api';
import { listenEngine } from '../../../lib/media/listen-engine';
import { placeName } from '../../../lib/scope';
import { useOrg } from '../../../lib/org-api';

/** How long a toast stays unless acted on. */
const TOAST_MS = 20_000;

/**
 * A toast for each alert raised while the console is open, with Listen (one click from
 * alert to audio, when Earshot taps the call) and Acknowledge.
 */
export function AlertToasts({ canListen }: { canListen: boolean }) {
  const client = useQueryClient();
  const org = useOrg().data;
  useOpenAlerts();
  const [toasts, setToasts] = useState<Alert[]>([]);
  useEffect(
    () =>
      onAlert((alert) => {
        setToasts((list) => {
          const rest = list.filter((a) => a.id !== alert.id);
          // Only a newly raised, still active alert pops up; a change updates one shown.
          const fresh = !alert.clearedAt && !alert.acknowledgedAt && !alert.resolvedAt;
          const shown = list.some((a) => a.id === alert.id);
          return fresh || shown ? [...rest, alert].slice(-4) : rest;
        });
        setTimeout(() => setToasts((list) => list.filter((a) => a.id !== alert.id)), TOAST_MS);
      }),
    [],
  );
  if (toasts.length === 0) return null;
  return (
    <div className="toasts" role="region" aria-label="New alerts">
      {toasts.map((alert) => (
        <div key={alert.id} className="toast" role="alert" data-alert-id={alert.id}>
          <strong>{alert.ruleName}</strong>
          <span>
            {alert.agent ? `${alert.agent.name} · ` : ''}
            {placeName(org, 'teams', alert.team)}: {alert.message}
            {alert.clearedAt ? ' (over now)' : ''}
          </span>
          <span className="toast-actions">
            {canListen && alert.callId && (
              <button
                type="button"
                className="primary"
                onClick={() => {
                  listenEngine.open(alert.callId!);
                  void settleAlert(client, alert.id, 'acknowledge').catch(() => undefined);
                  setToasts((list) => list.filter((a) => a.id !== alert.id));
                }}
              >
                Listen
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                void settleAlert(client, alert.id, 'acknowledge').catch(() => undefined);
                setToasts((list) => list.filter((a) => a.id !== alert.id));
              }}
            >
              Acknowledge
            </button>
            <button
              type="button"
              className="ghost"
              aria-label="Dismiss"
              onClick={() => setToasts((list) => list.filter((a) => a.id !== alert.id))}
            >
              ✕
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}
