import type { Alert, AlertKind, AlertRuleRequest } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { FormError } from '../../../components/form-error';
import { PlaceOptions } from '../../../components/place-options';
import {
  createAlertRule,
  deleteAlertRule,
  settleAlert,
  useAlertHistory,
  useAlertRules,
  useOpenAlerts,
} from '../../../lib/alerts-api';
import { listenEngine } from '../../../lib/media/listen-engine';
import { useOrg } from '../../../lib/org-api';
import { byName, placeName, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';

/** Each kind of rule: what it watches, and its threshold's unit. */
const KINDS: { kind: AlertKind; label: string; unit: string | null }[] = [
  { kind: 'hold_longer', label: 'Hold longer than', unit: 's' },
  { kind: 'call_longer', label: "Call longer than k x the team's AHT", unit: 'x AHT' },
  { kind: 'dead_air', label: 'Dead air longer than', unit: 's' },
  { kind: 'overtalk_above', label: 'Overtalk over the last minute above', unit: '%' },
  { kind: 'held_but_talking', label: 'On hold, yet both talking', unit: null },
  { kind: 'queue_depth', label: 'Calls waiting more than', unit: 'calls' },
  { kind: 'longest_wait', label: 'Longest wait above', unit: 's' },
  { kind: 'service_level_below', label: 'Service level (30 min) below', unit: '%' },
  { kind: 'wrap_up_longer', label: 'Wrap-up longer than', unit: 's' },
  { kind: 'away_longer', label: 'Away longer than', unit: 's' },
];
const kindLabel = (kind: AlertKind) => KINDS.find((k) => k.kind === kind)?.label ?? kind;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '—');

function AlertRow({ alert, canListen }: { alert: Alert; canListen: boolean }) {
  const client = useQueryClient();
  const org = useOrg().data;
  return (
    <tr data-alert-id={alert.id} data-state={alert.clearedAt ? 'cleared' : 'active'}>
      <td>{when(alert.raisedAt)}</td>
      <td>
        <strong>{alert.ruleName}</strong>
        <div className="muted">{alert.message}</div>
      </td>
      <td>
        {alert.agent?.name ?? '—'}
        <div className="muted">{placeName(org, 'teams', alert.team)}</div>
      </td>
      <td>
        {alert.resolvedAt
          ? `Resolved by ${alert.resolvedBy?.name ?? '?'} at ${when(alert.resolvedAt)}`
          : alert.clearedAt
            ? `Over at ${when(alert.clearedAt)}`
            : 'Active'}
        {alert.acknowledgedBy && !alert.resolvedAt && (
          <div className="muted">Acknowledged by {alert.acknowledgedBy.name}</div>
        )}
      </td>
      <td className="alert-actions">
        {canListen && alert.callId && !alert.clearedAt && (
          <button
            type="button"
            className="primary"
            onClick={() => listenEngine.open(alert.callId!)}
          >
            Listen
          </button>
        )}
        {!alert.resolvedAt && !alert.acknowledgedAt && (
          <button type="button" onClick={() => void settleAlert(client, alert.id, 'acknowledge')}>
            Acknowledge
          </button>
        )}
        {!alert.resolvedAt && (
          <button type="button" onClick={() => void settleAlert(client, alert.id, 'resolve')}>
            Resolve
          </button>
        )}
      </td>
    </tr>
  );
}

function AlertTable({
  alerts,
  canListen,
  empty,
}: {
  alerts: Alert[];
  canListen: boolean;
  empty: string;
}) {
  if (alerts.length === 0) return <p className="empty">{empty}</p>;
  return (
    <table className="alerts-table">
      <thead>
        <tr>
          <th>Raised</th>
          <th>Alert</th>
          <th>Who</th>
          <th>State</th>
          <th>
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <AlertRow key={a.id} alert={a} canListen={canListen} />
        ))}
      </tbody>
    </table>
  );
}

function RuleForm() {
  const client = useQueryClient();
  const org = useOrg().data;
  const me = useMe().data;
  const admin = me?.capabilities.admin ?? false;
  const teams = useMemo(() => teamsInScope(me, org).sort(byName), [me, org]);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<AlertKind>('hold_longer');
  const [scope, setScope] = useState('');
  const [threshold, setThreshold] = useState('120');
  const [webhookUrl, setWebhookUrl] = useState('');
  const [webhookSecret, setWebhookSecret] = useState('');
  const [error, setError] = useState<string>();
  const unit = KINDS.find((k) => k.kind === kind)!.unit;
  const chosenScope = scope || (admin ? 'org' : teams[0] ? `team:${teams[0].id}` : '');
  return (
    <form
      className="rule-form"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        const rule: AlertRuleRequest = {
          name: name.trim() || kindLabel(kind),
          kind,
          scope: chosenScope,
          ...(unit ? { threshold: Number(threshold) } : {}),
          ...(webhookUrl.trim() ? { webhookUrl: webhookUrl.trim(), webhookSecret } : {}),
        };
        createAlertRule(client, rule)
          .then(() => setName(''))
          .catch((err: Error) => setError(err.message));
      }}
    >
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          maxLength={80}
          placeholder={kindLabel(kind)}
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <label className="field">
        <span>When</span>
        <select value={kind} onChange={(e) => setKind(e.target.value as AlertKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      {unit && (
        <label className="field">
          <span>Threshold ({unit})</span>
          <input
            inputMode="decimal"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
          />
        </label>
      )}
      <label className="field">
        <span>Where</span>
        <select value={chosenScope} onChange={(e) => setScope(e.target.value)}>
          {admin && <option value="org">All centers</option>}
          <PlaceOptions
            regions={admin ? (org?.regions ?? []) : []}
            centers={admin ? (org?.centers ?? []) : []}
            teams={teams}
          />
        </select>
      </label>
      <label className="field">
        <span>Webhook URL (optional)</span>
        <input
          value={webhookUrl}
          placeholder="https://…"
          onChange={(e) => setWebhookUrl(e.target.value)}
        />
      </label>
      {webhookUrl.trim() && (
        <label className="field">
          <span>Webhook secret (16+ characters)</span>
          <input
            type="password"
            value={webhookSecret}
            onChange={(e) => setWebhookSecret(e.target.value)}
          />
        </label>
      )}
      <button type="submit" className="primary">
        Add rule
      </button>
      <FormError error={error} />
    </form>
  );
}

/** Alerts: the open ones (live), their history, and the rules that raise them. */
export function AlertsPage() {
  const client = useQueryClient();
  const me = useMe().data;
  const canListen = me?.capabilities.listen ?? false;
  const open = useOpenAlerts();
  const history = useAlertHistory();
  const rules = useAlertRules();
  const org = useOrg().data;
  const mayEdit = (createdBy: string) => me?.capabilities.admin || me?.user.id === createdBy;
  return (
    <section className="alerts-page" aria-label="Alerts">
      <h2>Open alerts</h2>
      <AlertTable
        alerts={open.data ?? []}
        canListen={canListen}
        empty="No open alerts. They appear here (and as a toast) the moment a rule's condition holds."
      />
      <h2>Rules</h2>
      {(rules.data ?? []).length === 0 ? (
        <p className="empty">No rules yet: add one below.</p>
      ) : (
        <table className="alerts-table">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Where</th>
              <th>Webhook</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(rules.data ?? []).map((r) => (
              <tr key={r.id} data-rule-id={r.id}>
                <td>
                  <strong>{r.name}</strong>
                  <div className="muted">
                    {kindLabel(r.kind)}
                    {r.threshold !== null ? ` ${r.threshold}` : ''}
                  </div>
                </td>
                <td>
                  {r.scope === 'org'
                    ? 'All centers'
                    : placeName(
                        org,
                        r.scope.startsWith('team:')
                          ? 'teams'
                          : r.scope.startsWith('center:')
                            ? 'centers'
                            : 'regions',
                        r.scope.slice(r.scope.indexOf(':') + 1),
                      )}
                </td>
                <td>
                  {r.webhookUrl ? (
                    <>
                      <span className="mono">{r.webhookUrl}</span>
                      {r.webhookError && (
                        <div className="form-error">
                          Failing ({r.webhookFailures}): {r.webhookError}
                        </div>
                      )}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {mayEdit(r.createdBy.id) && (
                    <button type="button" onClick={() => void deleteAlertRule(client, r.id)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RuleForm />
      <h2>History</h2>
      <AlertTable alerts={history.data ?? []} canListen={canListen} empty="No alerts yet." />
    </section>
  );
}
