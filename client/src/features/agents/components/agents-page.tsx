import type { AgentBoardState, AgentRow } from '@earshot/shared';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { DEFAULT_AGENT_LIMITS, useAppStore, type AgentLimits } from '../../../app/store';
import { KpiPanel } from '../../../components/kpi-panel';
import { PHONE, useMediaQuery } from '../../../components/use-media-query';
import { useNow } from '../../../components/use-now';
import { useShortcuts } from '../../../components/use-shortcuts';
import { formatElapsed } from '../../../lib/format';
import { listenEngine } from '../../../lib/media/listen-engine';
import { useOrg } from '../../../lib/org-api';
import { byName, centersInScope, placeName, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';
import { useAgents } from '../api/agents';

const STATE_LABEL: Record<AgentBoardState, string> = {
  on_call: 'On a call',
  held: 'On hold',
  wrap_up: 'Wrap-up',
  available: 'Available',
  away: 'Away',
  offline: 'Offline',
};
/** Where a state sorts: who is busy first, who is gone last. */
const ORDER: AgentBoardState[] = ['held', 'on_call', 'wrap_up', 'away', 'available', 'offline'];
const LIMITED: (keyof AgentLimits)[] = ['held', 'wrap_up', 'away'];
/** A row on a desk; taller on a phone, where its Listen button is 44 px. */
const ROW_HEIGHT = 40;
const TOUCH_ROW_HEIGHT = 56;

/** Whether an agent has been in a limited state past the lead's limit. */
export function overLimit(agent: AgentRow, limits: AgentLimits, now: number): boolean {
  const limit = (LIMITED as string[]).includes(agent.state)
    ? limits[agent.state as keyof AgentLimits]
    : undefined;
  return (
    limit !== undefined && agent.since !== null && now - Date.parse(agent.since) > limit * 1000
  );
}

function Limits() {
  const limits = useAppStore((s) => s.agentLimits) ?? DEFAULT_AGENT_LIMITS;
  const setLimit = useAppStore((s) => s.setAgentLimit);
  return (
    <details className="thresholds">
      <summary>Limits</summary>
      {LIMITED.map((state) => (
        <label key={state} className="field inline">
          <span>{STATE_LABEL[state]} longer than (s)</span>
          <input
            type="number"
            min={1}
            value={limits[state]}
            onChange={(e) => setLimit(state, Number(e.target.value))}
          />
        </label>
      ))}
    </details>
  );
}

/**
 * The agents board: every agent in the chosen scope with their state, time in state, the
 * call they are on (one click to listen when Earshot taps it), calls handled and AHT
 * today, the scope's live figures above, and states past the lead's limits standing out.
 */
export function AgentsPage() {
  const org = useOrg().data;
  const me = useMe().data;
  const now = useNow();
  const limits = useAppStore((s) => s.agentLimits) ?? DEFAULT_AGENT_LIMITS;
  const teams = useMemo(() => teamsInScope(me, org).sort(byName), [me, org]);
  const everything = teams.length === (org?.teams.length ?? -1);
  const [region, setRegion] = useState('');
  const [center, setCenter] = useState('');
  const [chosenTeam, setTeam] = useState('');
  // A lead starts on their first team; an executive on the whole organisation.
  const team = chosenTeam || (!everything && !center && !region ? (teams[0]?.id ?? '') : '');
  const scope = team
    ? `team:${team}`
    : center
      ? `center:${center}`
      : region
        ? `region:${region}`
        : 'org';
  const agents = useAgents(scope);
  const [sort, setSort] = useState<'state' | 'name'>('state');
  const centers = centersInScope(org, teams)
    .filter((c) => !region || c.regionId === region)
    .sort(byName);
  const regionIds = new Set(centersInScope(org, teams).map((c) => c.regionId));
  const shownTeams = teams.filter(
    (t) => (!center || t.centerId === center) && centers.some((c) => c.id === t.centerId),
  );
  const rows = useMemo(() => {
    const list = [...(agents.data?.agents ?? [])];
    const since = (a: AgentRow) => (a.since ? Date.parse(a.since) : Infinity);
    return sort === 'name'
      ? list.sort(byName)
      : list.sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || since(a) - since(b));
  }, [agents.data, sort]);
  const counts = useMemo(() => {
    const c = Object.fromEntries(ORDER.map((s) => [s, 0])) as Record<AgentBoardState, number>;
    for (const a of rows) c[a.state]++;
    return c;
  }, [rows]);
  const over = rows.filter((a) => overLimit(a, limits, now)).length;
  const scroller = useRef<HTMLDivElement>(null);
  const rowHeight = useMediaQuery(PHONE) ? TOUCH_ROW_HEIGHT : ROW_HEIGHT;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 10,
    getItemKey: (i) => rows[i]!.agentId,
  });
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  // Keyboard: j/k move along the agents, Enter listens to the selected one's call.
  const [selected, setSelected] = useState<string>();
  useShortcuts((e) => {
    const index = rows.findIndex((a) => a.agentId === selected);
    if (e.key === 'j' || e.key === 'k') {
      const next = e.key === 'j' ? Math.min(rows.length - 1, index + 1) : Math.max(0, index - 1);
      const agent = rows[next];
      if (!agent) return false;
      setSelected(agent.agentId);
      virtualizer.scrollToIndex(next, { align: 'auto' });
      return true;
    }
    const callId = rows[index]?.callId;
    if (e.key === 'Enter' && callId && !(e.target as HTMLElement | null)?.closest('button')) {
      listenEngine.open(callId);
      return true;
    }
    return false;
  });
  const title = team
    ? placeName(org, 'teams', team)
    : center
      ? placeName(org, 'centers', center)
      : region
        ? placeName(org, 'regions', region)
        : 'All centers';

  return (
    <section className="agents-page" aria-label="Agents">
      <div className="toolbar">
        {everything && (
          <label className="field">
            <span>Region</span>
            <select
              value={region}
              onChange={(e) => {
                setRegion(e.target.value);
                setCenter('');
                setTeam('');
              }}
            >
              <option value="">All regions</option>
              {(org?.regions ?? [])
                .filter((r) => regionIds.has(r.id))
                .map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
            </select>
          </label>
        )}
        {centers.length > 1 && (
          <label className="field">
            <span>Center</span>
            <select
              value={center}
              onChange={(e) => {
                setCenter(e.target.value);
                setTeam('');
              }}
            >
              <option value="">{everything ? 'All centers' : 'My centers'}</option>
              {centers.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="field">
          <span>Team</span>
          <select value={team} onChange={(e) => setTeam(e.target.value)}>
            {(everything || center || region) && <option value="">All teams</option>}
            {shownTeams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <Limits />
        <button
          type="button"
          className="ghost"
          onClick={() => setSort((s) => (s === 'state' ? 'name' : 'state'))}
        >
          Sort: {sort === 'state' ? 'by state' : 'by name'}
        </button>
        <span className="count" aria-live="polite">
          {rows.length} agents · {counts.on_call + counts.held} on calls · {counts.available}{' '}
          available{over ? ` · ${over} past a limit` : ''}
        </span>
      </div>
      <KpiPanel
        scope={scope}
        title={title}
        window="30m"
        metrics={['serviceLevel', 'queueDepth', 'longestWaitMs', 'activeCalls', 'ahtMs']}
      />
      {agents.isPending ? (
        <p className="empty">Loading the agents…</p>
      ) : agents.isError ? (
        <p className="empty error">The agents board is unavailable: {agents.error.message}</p>
      ) : rows.length === 0 ? (
        <p className="empty">No agents here that you may see.</p>
      ) : (
        <div className="agents-grid" role="grid" aria-rowcount={rows.length + 1}>
          <div className="agents-head" role="row" aria-rowindex={1}>
            {['Agent', 'Team', 'State', 'In state', 'Call', 'Handled today', 'AHT today'].map(
              (h) => (
                <span key={h} role="columnheader">
                  {h}
                </span>
              ),
            )}
          </div>
          <div className="agents-body" ref={scroller} role="rowgroup">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const a = rows[item.index]!;
                const long = overLimit(a, limits, now);
                return (
                  <div
                    key={item.key}
                    className="agent-row"
                    role="row"
                    aria-rowindex={item.index + 2}
                    data-agent-id={a.agentId}
                    data-state={a.state}
                    data-long={long}
                    aria-selected={a.agentId === selected}
                    onClick={() => setSelected(a.agentId)}
                    style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                  >
                    <span role="gridcell" className="agent-name">
                      {a.name}
                    </span>
                    <span role="gridcell" className="muted">
                      {placeName(org, 'teams', a.team)}
                    </span>
                    <span role="gridcell">
                      <span className={`badge agent-${a.state}`}>{STATE_LABEL[a.state]}</span>
                    </span>
                    <span
                      role="gridcell"
                      className="mono"
                      title={long ? 'Past your limit' : undefined}
                    >
                      {a.since ? formatElapsed(now - Date.parse(a.since)) : '—'}
                      {long && ' ⚠'}
                    </span>
                    <span role="gridcell">
                      {a.callId ? (
                        <button
                          type="button"
                          className="primary"
                          onClick={() => listenEngine.open(a.callId!)}
                          aria-label={`Listen to ${a.name}'s call`}
                        >
                          Listen
                        </button>
                      ) : a.acdCallId ? (
                        <span className="muted" title="Earshot does not tap this call">
                          not tapped
                        </span>
                      ) : (
                        ''
                      )}
                    </span>
                    <span role="gridcell" className="mono">
                      {a.handledToday}
                    </span>
                    <span role="gridcell" className="mono">
                      {a.ahtTodayMs === null ? '—' : formatElapsed(a.ahtTodayMs)}
                    </span>
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
