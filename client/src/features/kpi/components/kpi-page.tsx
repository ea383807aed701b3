import type { KpiWindow } from '@earshot/shared';
import { useState } from 'react';
import { useAppStore } from '../../../app/store';
import { useOrg } from '../../../lib/org-api';
import { fromUnit, METRICS, toUnit, UNIT_SUFFIX } from '../../../components/kpi-thresholds';
import { KpiPanel } from '../../../components/kpi-panel';
import { useMe } from '../../../lib/session';
import { ReportedFigures } from './reported-figures';

function ThresholdEditor() {
  const thresholds = useAppStore((s) => s.thresholds);
  const setThreshold = useAppStore((s) => s.setThreshold);
  return (
    <details className="thresholds">
      <summary>Thresholds</summary>
      {METRICS.filter((m) => m.threshold).map((m) => {
        const [green, amber] = thresholds[m.key] ?? [m.threshold!.green, m.threshold!.amber];
        const better = m.threshold!.higherIsBetter ? 'at least' : 'at most';
        const suffix = UNIT_SUFFIX[m.unit];
        return (
          <label key={m.key} className="field inline">
            <span>
              {m.label} ({better}
              {suffix ? `, ${suffix}` : ''})
            </span>
            <input
              type="number"
              step="any"
              value={toUnit(m.unit, green)}
              aria-label={`${m.label} green${suffix ? ` (${suffix})` : ''}`}
              onChange={(e) =>
                setThreshold(m.key, [fromUnit(m.unit, Number(e.target.value)), amber])
              }
            />
            <input
              type="number"
              step="any"
              value={toUnit(m.unit, amber)}
              aria-label={`${m.label} amber${suffix ? ` (${suffix})` : ''}`}
              onChange={(e) =>
                setThreshold(m.key, [green, fromUnit(m.unit, Number(e.target.value))])
              }
            />
          </label>
        );
      })}
      <button
        type="button"
        className="ghost"
        onClick={() => METRICS.forEach((m) => setThreshold(m.key, undefined))}
      >
        Reset
      </button>
    </details>
  );
}

/** The executive view: the whole organisation, then every center at once. */
export function KpiPage() {
  const org = useOrg();
  const me = useMe().data;
  const mayReport = !!me?.user.roles.some((r) => r.role === 'executive' || r.role === 'admin');
  const [window, setWindow] = useState<KpiWindow>('1h');
  return (
    <section className="kpis" aria-label="KPIs">
      <div className="toolbar">
        <label className="field">
          <span>Window</span>
          <select value={window} onChange={(e) => setWindow(e.target.value as KpiWindow)}>
            <option value="30m">Last 30 minutes</option>
            <option value="1h">Last hour</option>
            <option value="today">Today (each center&apos;s midnight)</option>
          </select>
        </label>
        <ThresholdEditor />
      </div>
      {mayReport && <ReportedFigures />}
      <KpiPanel scope="org" title="All centers" window={window} />
      <div className="center-grid">
        {(org.data?.centers ?? []).map((c) => (
          <KpiPanel
            key={c.id}
            scope={`center:${c.id}`}
            title={c.name}
            window={window}
            metrics={[
              'serviceLevel',
              'asaMs',
              'abandonRate',
              'activeCalls',
              'queueDepth',
              'discrepancies',
            ]}
          />
        ))}
      </div>
    </section>
  );
}
