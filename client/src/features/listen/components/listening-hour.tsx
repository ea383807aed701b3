import { useEffect, useMemo, useState } from 'react';
import { create } from 'zustand';
import { useBoard } from '../../live-board/api/get-board';
import { useOpenAlerts } from '../../../lib/alerts-api';
import { listenEngine } from '../../../lib/media/listen-engine';
import { useListen } from '../../../lib/media/use-listen';
import { useOrg } from '../../../lib/org-api';
import { byName, placeName } from '../../../lib/scope';
import { pickNext, type Played, type SamplingRule } from '../listening-hour-pick';
import { ObservationForm } from './observation-form';

const RULES: [SamplingRule, string][] = [
  ['random', 'Random across the scope'],
  ['centers', 'One center at a time, in turn'],
  ['regions', 'One region at a time, in turn'],
  ['flagged', 'Alerts and discrepancies first'],
  ['longest', 'The longest call'],
];

interface HourState {
  running: boolean;
  paused: boolean;
  rule: SamplingRule;
  /** `org`, or `center:<id>`, `region:<id>`, `team:<id>`. */
  scope: string;
  current: string | undefined;
  played: Played[];
  set(patch: Partial<HourState>): void;
}

/** The listening hour lives outside any page, so it goes on while the user moves around. */
export const useListeningHour = create<HourState>()((set) => ({
  running: false,
  paused: false,
  rule: 'random',
  scope: 'org',
  current: undefined,
  played: [],
  set: (patch) => set(patch),
}));

/**
 * The executive's listening hour: one live call after another, with no click in between,
 * by the sampling rule chosen; pause, skip, stop, and the list of what it played, each a
 * key (o) away from an observation.
 */
export function ListeningHour() {
  const hour = useListeningHour();
  const board = useBoard();
  const org = useOrg().data;
  const { strips } = useListen();
  const [observing, setObserving] = useState<Played>();
  const calls = useMemo(() => [...(board.data?.values() ?? [])], [board.data]);
  const alerts = useOpenAlerts();
  const alerted = useMemo(
    () =>
      new Set((alerts.data ?? []).filter((a) => a.callId && !a.clearedAt).map((a) => a.callId!)),
    [alerts.data],
  );
  const centers = useMemo(() => [...(org?.centers ?? [])].sort(byName).map((c) => c.id), [org]);
  const regions = useMemo(() => [...(org?.regions ?? [])].sort(byName).map((r) => r.id), [org]);
  const currentStrip = strips.find((s) => s.callId === hour.current);
  const over = !currentStrip || ['ended', 'lost', 'error'].includes(currentStrip.status);

  useEffect(() => {
    if (!hour.running || hour.paused || !over) return;
    const next = pickNext(
      calls,
      hour.rule,
      hour.scope,
      hour.played,
      centers,
      alerted,
      Math.random,
      regions,
    );
    if (!next) {
      if (hour.current) hour.set({ current: undefined });
      return;
    }
    if (hour.current) listenEngine.close(hour.current);
    hour.set({
      current: next.id,
      played: [
        ...hour.played,
        {
          callId: next.id,
          title: `${next.agent.name} · ${placeName(org, 'centers', next.center)}`,
          center: next.center,
          region: next.region,
          startedAt: Date.now(),
        },
      ].slice(-500),
    });
    listenEngine.open(next.id);
  }, [hour, over, calls, centers, regions, org, alerted]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'o' || e.ctrlKey || e.metaKey || e.altKey) return;
      if ((e.target as HTMLElement | null)?.closest('input, select, textarea, [role="dialog"]'))
        return;
      const last = useListeningHour.getState().played.at(-1);
      if (!last) return;
      e.preventDefault();
      setObserving(last);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <details className="listening-hour" open={hour.running}>
      <summary>
        Listening hour
        {hour.running && (
          <span className="muted">
            {' '}
            · {hour.paused ? 'paused' : hour.current ? 'playing' : 'waiting for a call'} ·{' '}
            {hour.played.length} heard
          </span>
        )}
      </summary>
      <div className="hour-controls">
        <label className="field">
          <span>Next call</span>
          <select
            value={hour.rule}
            onChange={(e) => hour.set({ rule: e.target.value as SamplingRule })}
          >
            {RULES.map(([rule, label]) => (
              <option key={rule} value={rule}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Where</span>
          <select value={hour.scope} onChange={(e) => hour.set({ scope: e.target.value })}>
            <option value="org">All centers</option>
            {[...(org?.regions ?? [])].sort(byName).map((r) => (
              <option key={r.id} value={`region:${r.id}`}>
                {r.name}
              </option>
            ))}
            {[...(org?.centers ?? [])].sort(byName).map((c) => (
              <option key={c.id} value={`center:${c.id}`}>
                {c.name}
              </option>
            ))}
            {[...(org?.teams ?? [])].sort(byName).map((t) => (
              <option key={t.id} value={`team:${t.id}`}>
                Team {t.name}
              </option>
            ))}
          </select>
        </label>
        {!hour.running ? (
          <button
            type="button"
            className="primary"
            onClick={() =>
              hour.set({ running: true, paused: false, played: [], current: undefined })
            }
          >
            Start
          </button>
        ) : (
          <>
            <button type="button" onClick={() => hour.set({ paused: !hour.paused })}>
              {hour.paused ? 'Resume' : 'Pause'}
            </button>
            <button
              type="button"
              onClick={() => {
                if (hour.current) listenEngine.close(hour.current);
                hour.set({ paused: false });
              }}
            >
              Skip
            </button>
            <button
              type="button"
              className="ghost"
              onClick={() => {
                if (hour.current) listenEngine.close(hour.current);
                hour.set({ running: false, current: undefined });
              }}
            >
              Stop
            </button>
          </>
        )}
      </div>
      {hour.played.length > 0 && (
        <ol className="hour-played" aria-label="Heard this hour">
          {hour.played.map((p) => (
            <li key={p.callId} data-call-id={p.callId} aria-current={p.callId === hour.current}>
              <span>{p.title}</span>
              <span className="muted mono">{new Date(p.startedAt).toLocaleTimeString()}</span>
              <button type="button" className="ghost" onClick={() => setObserving(p)}>
                Observe
              </button>
            </li>
          ))}
        </ol>
      )}
      <p className="muted shortcuts">
        <kbd>o</kbd> records what you heard on the latest call
      </p>
      {observing && (
        <ObservationForm
          callId={observing.callId}
          title={observing.title}
          onClose={() => setObserving(undefined)}
        />
      )}
    </details>
  );
}
