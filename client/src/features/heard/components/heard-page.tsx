import type { HeardShare, HeardVsReported } from '@earshot/shared';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { PlaceOptions } from '../../../components/place-options';
import { apiFetch } from '../../../lib/api-fetch';
import { useOrg } from '../../../lib/org-api';
import { navigate } from '../../../lib/router';
import { byName, centersInScope, placeName, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);
const PERIODS: [string, string, number][] = [
  ['24h', 'Last 24 hours', 24],
  ['7d', 'Last 7 days', 24 * 7],
  ['30d', 'Last 30 days', 24 * 30],
];

function ShareRow({ label, share }: { label: string; share: HeardShare }) {
  return (
    <tr data-flagged={share.flagged}>
      <th scope="row">{label}</th>
      <td className="mono">
        {pct(share.heard)}{' '}
        <span className="muted">
          {share.low !== null ? `(${pct(share.low)}–${pct(share.high)})` : ''} of {share.n}
        </span>
      </td>
      <td className="mono">
        {pct(share.reported)} <span className="muted">of {share.reportedN}</span>
      </td>
      <td>{share.flagged ? <strong className="flag">outside what was heard</strong> : ''}</td>
    </tr>
  );
}

/**
 * Heard vs reported: what executives and leads heard on sampled calls set beside what the
 * data says for the same place and period, each with its sample size and a 95 % interval,
 * flagged when the data lies outside it, and the single calls where the two disagree.
 */
export function HeardPage() {
  const org = useOrg().data;
  const me = useMe().data;
  const teams = useMemo(() => teamsInScope(me, org).sort(byName), [me, org]);
  const centers = centersInScope(org, teams).sort(byName);
  const [scope, setScope] = useState('org');
  const [period, setPeriod] = useState('24h');
  const hours = PERIODS.find(([id]) => id === period)![2];
  const report = useQuery({
    queryKey: ['heard-vs-reported', scope, period],
    queryFn: () => {
      const from = new Date(Date.now() - hours * 3_600_000).toISOString();
      return apiFetch<HeardVsReported>(
        `/api/v1/heard-vs-reported?scope=${encodeURIComponent(scope)}&from=${encodeURIComponent(from)}`,
      );
    },
    refetchInterval: 30_000,
  });
  const data = report.data;
  return (
    <section className="heard-page" aria-label="Heard vs reported">
      <div className="toolbar">
        <label className="field">
          <span>Where</span>
          <select value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="org">Everything I may see</option>
            <PlaceOptions
              regions={[...new Set(centers.map((c) => c.regionId))].map((id) => ({
                id,
                name: placeName(org, 'regions', id),
              }))}
              centers={centers}
              teams={teams}
            />
          </select>
        </label>
        <label className="field">
          <span>Period</span>
          <select value={period} onChange={(e) => setPeriod(e.target.value)}>
            {PERIODS.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {data && <span className="count">{data.observations} calls observed</span>}
      </div>
      {report.isError ? (
        <p className="empty error">The comparison could not be made: {report.error.message}</p>
      ) : !data ? (
        <p className="empty">Loading…</p>
      ) : data.observations === 0 ? (
        <p className="empty">
          Nothing observed here in this period yet. Start the listening hour (or listen to a call)
          and press <kbd>o</kbd> to record what you heard.
        </p>
      ) : (
        <>
          <table className="heard-table">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Heard (95 % interval) on sampled calls</th>
                <th scope="col">The data says</th>
                <th scope="col">
                  <span className="visually-hidden">Flag</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.reasons.map((r) => (
                <ShareRow key={r.reason} label={`Reason: ${r.reason}`} share={r} />
              ))}
              <ShareRow label="Resolved (heard) vs dispositions resolved" share={data.resolved} />
              <ShareRow label="Customer in a good mood vs surveys of 4-5" share={data.mood} />
            </tbody>
          </table>
          <h2>Calls where the data and what was heard disagree</h2>
          {data.disagreements.length === 0 ? (
            <p className="empty">None: every disposition matched what was heard.</p>
          ) : (
            <ul className="disagreements">
              {data.disagreements.map((d) => (
                <li key={`${d.callId}-${d.at}`}>
                  <a
                    href={`/review/${d.callId}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/review/${d.callId}`);
                    }}
                  >
                    {d.agent.name} · {placeName(org, 'teams', d.team)}
                  </a>{' '}
                  <span className="muted">
                    {new Date(d.at).toLocaleString()} · disposition “{d.disposition}”
                  </span>
                  <div>{d.why}</div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
