import type { KpiSnapshot, KpiWindow } from '@earshot/shared';
import { useAppStore } from '../app/store';
import { useKpi, useKpiHistory } from '../lib/kpi-api';
import { METRICS, status, type ShownMetric, type Threshold } from './kpi-thresholds';

function Sparkline({ values }: { values: (number | null)[] }) {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < 2) return <svg className="spark" aria-hidden="true" />;
  const min = Math.min(...known);
  const max = Math.max(...known);
  const points = values
    .map((v, i) =>
      v === null
        ? null
        : `${(i / (values.length - 1)) * 80},${18 - ((v - min) / (max - min || 1)) * 16}`,
    )
    .filter(Boolean)
    .join(' ');
  return (
    <svg className="spark" viewBox="0 0 80 20" aria-hidden="true">
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

/** Thresholds for a metric: the user's, or the built-in ones. */
export function useThreshold(key: ShownMetric): Threshold | undefined {
  const custom = useAppStore((s) => s.thresholds[key]);
  const base = METRICS.find((m) => m.key === key)?.threshold;
  return base && custom ? { ...base, green: custom[0], amber: custom[1] } : base;
}

function Tile({
  scope,
  window,
  metric,
}: {
  scope: string;
  window: KpiWindow;
  metric: (typeof METRICS)[number];
}) {
  const kpi = useKpi(scope, window);
  const history = useKpiHistory(scope, window);
  const points: KpiSnapshot[] = history.data ?? [];
  const threshold = useThreshold(metric.key);
  const value = kpi.data?.metrics[metric.key] ?? null;
  const reported = kpi.data?.reported[metric.key as keyof typeof kpi.data.reported];
  // Against the live figure, not the one when the report came (the server's rule: 10 %).
  const difference = reported && value !== null ? value - reported.reported : null;
  const flagged = difference !== null && Math.abs(difference) > Math.abs(reported!.reported) * 0.1;
  return (
    <div
      className={`tile status-${status(value, threshold)}`}
      data-metric={metric.key}
      data-value={value ?? ''}
    >
      <span className="tile-label">{metric.label}</span>
      <strong className="tile-value">{value === null ? '—' : metric.format(value)}</strong>
      <Sparkline values={points.map((p) => p.metrics[metric.key])} />
      {reported && (
        <span
          className={`reported ${flagged ? 'flagged' : ''}`}
          title={`Reported by ${reported.source ?? 'another system'} at ${new Date(reported.at).toLocaleTimeString()}${flagged ? ': more than 10 % off what Earshot measures' : ''}`}
        >
          {reported.source ?? 'reported'} {metric.format(reported.reported)}
          {difference !== null &&
            ` · Δ ${difference < 0 ? '−' : '+'}${metric.format(Math.abs(difference))}`}
        </span>
      )}
    </div>
  );
}

/** One scope's KPIs, live: value, colour against its thresholds, the last hour, and reported figures. */
export function KpiPanel({
  scope,
  title,
  window = '1h',
  metrics = METRICS.map((m) => m.key),
}: {
  scope: string;
  title: string;
  window?: KpiWindow;
  metrics?: ShownMetric[];
}) {
  const kpi = useKpi(scope, window);
  return (
    <section className="kpi-panel" aria-label={`KPIs: ${title}`} data-scope={scope}>
      <h3>
        {title} <span className="muted">{window === 'today' ? 'today' : `last ${window}`}</span>
      </h3>
      {kpi.isError ? (
        <p className="empty error">{kpi.error.message}</p>
      ) : (
        <div className="tiles">
          {METRICS.filter((m) => metrics.includes(m.key)).map((m) => (
            <Tile key={m.key} scope={scope} window={window} metric={m} />
          ))}
        </div>
      )}
    </section>
  );
}
