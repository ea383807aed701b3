import type { Evaluation, EvaluationRevision } from '@earshot/shared';

/** An evaluation's revisions (every score it had, and why it changed) and its disputes. */
export function EvaluationHistory({
  evaluation,
  shown,
  onShow,
}: {
  evaluation: Evaluation;
  /** The revision on screen. */
  shown: number;
  onShow(revision: EvaluationRevision): void;
}) {
  if (evaluation.revisions.length === 0 && evaluation.disputes.length === 0) return null;
  return (
    <div className="evaluation-history">
      {evaluation.revisions.length > 0 && (
        <>
          <h4>Versions</h4>
          <ol className="revisions">
            {evaluation.revisions.map((r) => (
              <li key={r.revision} aria-current={r.revision === shown}>
                <button type="button" className="ghost" onClick={() => onShow(r)}>
                  Version {r.revision}: {r.score.score === null ? 'N/A' : `${r.score.score}%`}
                  {r.score.failed ? ' (failed)' : ''}
                </button>
                <span className="muted">
                  {r.by.name} · {new Date(r.at).toLocaleString()}
                </span>
                {r.reason && <span className="note">Re-scored: {r.reason}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      {evaluation.disputes.length > 0 && (
        <>
          <h4>Disputes</h4>
          <ul className="disputes">
            {evaluation.disputes.map((d) => (
              <li key={d.id}>
                <strong>{d.by.name}</strong>{' '}
                <span className="muted">
                  on version {d.revision}, {new Date(d.at).toLocaleString()}
                </span>
                <p>“{d.comment}”</p>
                {d.resolution ? (
                  <p className="muted">
                    {d.resolution === 'upheld' ? 'Upheld' : 'Re-scored'} by {d.resolvedBy?.name}:{' '}
                    {d.reason}
                  </p>
                ) : (
                  <p className="warn">Waiting for the evaluator</p>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
