import { useMemo, useState } from 'react';
import { useOrg } from '../../../lib/org-api';
import { navigate } from '../../../lib/router';
import { byName, centersInScope, placeName, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';
import { EMPTY_REVIEW_FILTER, useReviewList, type ReviewFilter } from '../api/review';

const LABELS = ['coaching', 'compliance', 'discrepancy', 'escalation'];

/** Recorded calls to review, newest flag first, with filters by name. */
export function ReviewList() {
  const [filter, setFilter] = useState<ReviewFilter>(EMPTY_REVIEW_FILTER);
  const [agentText, setAgentText] = useState('');
  const list = useReviewList(filter);
  const org = useOrg().data;
  const me = useMe().data;
  const set = (patch: Partial<ReviewFilter>) => setFilter((f) => ({ ...f, ...patch }));
  // Only what the reviewer may see, narrowed by what is chosen already.
  const scopeTeams = useMemo(() => teamsInScope(me, org).sort(byName), [me, org]);
  const centers = centersInScope(org, scopeTeams).sort(byName);
  const teams = scopeTeams.filter((t) => !filter.center || t.centerId === filter.center);
  const agents = useMemo(() => {
    const teamIds = new Set(
      (filter.team ? teams.filter((t) => t.id === filter.team) : teams).map((t) => t.id),
    );
    return (org?.agents ?? []).filter((a) => teamIds.has(a.teamId)).sort(byName);
  }, [org, teams, filter.team]);
  // Two agents of one name are told apart by their team.
  const agentLabel = useMemo(() => {
    const count = new Map<string, number>();
    for (const a of agents) count.set(a.name, (count.get(a.name) ?? 0) + 1);
    return (a: (typeof agents)[number]) =>
      (count.get(a.name) ?? 0) > 1
        ? `${a.name} (${org?.teams.find((t) => t.id === a.teamId)?.name ?? a.teamId})`
        : a.name;
  }, [agents, org]);
  const teamName = (id: string) => {
    const team = org?.teams.find((t) => t.id === id);
    return team ? `${team.name} · ${placeName(org, 'centers', team.centerId)}` : id;
  };
  const filtered = Object.entries(filter).some(([, v]) => v !== '');
  return (
    <section className="review" aria-label="Recordings to review">
      <div className="toolbar">
        <label className="field">
          <span>From</span>
          <input type="date" value={filter.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" value={filter.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <label className="field">
          <span>Center</span>
          <select
            value={filter.center}
            onChange={(e) => set({ center: e.target.value, team: '', agent: '' })}
          >
            <option value="">All centers</option>
            {centers.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Team</span>
          <select value={filter.team} onChange={(e) => set({ team: e.target.value, agent: '' })}>
            <option value="">All teams</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {filter.center ? t.name : teamName(t.id)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Agent</span>
          <input
            list="review-agents"
            value={agentText}
            placeholder="Any agent"
            onChange={(e) => {
              const typed = e.target.value;
              setAgentText(typed);
              const wanted = typed.trim().toLowerCase();
              const match = agents.find(
                (a) => agentLabel(a).toLowerCase() === wanted || a.id === typed.trim(),
              );
              set({ agent: match ? match.id : '' });
            }}
          />
          <datalist id="review-agents">
            {agents.slice(0, 500).map((a) => (
              <option key={a.id} value={agentLabel(a)}>
                {teamName(a.teamId)}
              </option>
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Label</span>
          <input
            list="review-labels"
            value={filter.label}
            placeholder="Any label"
            onChange={(e) => set({ label: e.target.value.trim().toLowerCase() })}
          />
          <datalist id="review-labels">
            {LABELS.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Reviewed</span>
          <select
            value={filter.reviewed}
            onChange={(e) => set({ reviewed: e.target.value as ReviewFilter['reviewed'] })}
          >
            <option value="">All</option>
            <option value="false">Not yet</option>
            <option value="true">Reviewed</option>
          </select>
        </label>
      </div>
      {list.isPending ? (
        <p className="empty">Loading recordings…</p>
      ) : list.isError ? (
        <p className="empty error">Could not load recordings: {list.error.message}</p>
      ) : list.data.length === 0 ? (
        <p className="empty">
          {filtered
            ? 'No recorded call matches these filters. Clear one to see more.'
            : 'No recordings yet: a call appears here once it has ended and its recording is ready.'}
        </p>
      ) : (
        <table className="review-table">
          <thead>
            <tr>
              <th>Started</th>
              <th>Center</th>
              <th>Team</th>
              <th>Agent</th>
              <th>Tags</th>
              <th>Last flag</th>
              <th>Reviewed</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((item) => (
              <tr
                key={item.callId}
                data-call-id={item.callId}
                onClick={() => navigate(`/review/${item.callId}`)}
                tabIndex={0}
                onKeyDown={(e) => e.key === 'Enter' && navigate(`/review/${item.callId}`)}
              >
                <td>{new Date(item.startedAt).toLocaleString()}</td>
                <td>{placeName(org, 'centers', item.center)}</td>
                <td>{placeName(org, 'teams', item.team)}</td>
                <td>{item.agent.name}</td>
                <td>
                  {item.labels.map((l) => (
                    <span key={l} className={`chip label-${l}`}>
                      {l}
                    </span>
                  ))}{' '}
                  <span className="muted">{item.tagCount || ''}</span>
                </td>
                <td>{item.lastTagAt ? new Date(item.lastTagAt).toLocaleString() : '—'}</td>
                <td>{item.reviewedBy ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
