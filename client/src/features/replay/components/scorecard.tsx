import type { Answer, Citation, FormDefinition, Question, Score, Tag } from '@earshot/shared';
import { formatOffset } from '../../../lib/format';

interface Props {
  definition: FormDefinition;
  answers: Answer[];
  /** Present: the answers can be changed. */
  onChange?: (answers: Answer[]) => void;
  /** The score the server computed (read-only views). */
  result?: Score | null;
  tags?: Tag[];
  /** Where the playhead is, for "cite this moment". */
  playhead?: () => number;
  onSeek(ms: number): void;
}

const percent = (share: number | null | undefined) =>
  share === null || share === undefined ? '—' : `${Math.round(share * 100)}%`;

function describe(question: Question, answer: Answer | undefined): string {
  if (!answer) return 'not answered';
  if (answer.na) return 'N/A';
  const v = answer.value;
  if (v === undefined || v === null || v === '') return 'not answered';
  switch (question.kind) {
    case 'yesNo':
      return v ? 'Yes' : 'No';
    case 'choice': {
      const ids = Array.isArray(v) ? v : [String(v)];
      return question.options
        .filter((o) => ids.includes(o.id))
        .map((o) => o.label)
        .join(', ');
    }
    case 'scale':
      return `${String(v)} of ${question.max}`;
    default:
      return String(v);
  }
}

/** A form with its answers: to fill in (with citations of moments), or to read with its score. */
export function Scorecard({
  definition,
  answers,
  onChange,
  result,
  tags = [],
  playhead,
  onSeek,
}: Props) {
  const byId = new Map(answers.map((a) => [a.questionId, a]));
  const edit = (questionId: string, change: Partial<Answer>) => {
    if (!onChange) return;
    const current = byId.get(questionId) ?? { questionId, citations: [] };
    const next = { ...current, ...change };
    onChange([...answers.filter((a) => a.questionId !== questionId), next]);
  };
  const cite = (questionId: string, citation: Citation) => {
    const current = byId.get(questionId)?.citations ?? [];
    if (current.length >= 10) return;
    edit(questionId, { citations: [...current, citation].sort((a, b) => a.atMs - b.atMs) });
  };
  return (
    <div className="scorecard">
      {result && (
        <p className="score-line" role="status">
          <strong className={result.failed ? 'score failed' : 'score'}>
            {result.score === null ? 'No score (all N/A)' : `${result.score}%`}
          </strong>
          {result.failed && (
            <span className="chip label-escalation">
              Failed: {result.fatalFailed.length} fatal question
              {result.fatalFailed.length > 1 ? 's' : ''}
            </span>
          )}
          {result.failed && result.rawScore !== null && (
            <span className="muted">({result.rawScore}% before the fatal failure)</span>
          )}
          {result.criticalScore !== null && (
            <span className="muted">Critical {result.criticalScore}%</span>
          )}
        </p>
      )}
      {definition.sections.map((section) => {
        const sectionScore = result?.sections.find((s) => s.sectionId === section.id)?.score;
        return (
          <fieldset key={section.id} className="score-section">
            <legend>
              {section.title}{' '}
              <span className="muted">
                weight {section.weight}
                {sectionScore !== undefined &&
                  ` · ${sectionScore === null ? 'N/A' : `${sectionScore}%`}`}
              </span>
            </legend>
            {section.questions.map((q) => {
              const answer = byId.get(q.id);
              const scored = result?.questions.find((s) => s.questionId === q.id);
              return (
                <div key={q.id} className="score-question" data-question-id={q.id}>
                  <div className="score-question-head">
                    <span>{q.text}</span>
                    {q.fatal && <span className="chip label-escalation">fatal</span>}
                    {q.critical && <span className="chip label-compliance">critical</span>}
                    {q.kind !== 'text' && <span className="muted">×{q.weight}</span>}
                    {scored && scored.earned !== null && (
                      <span className={scored.passed ? 'muted' : 'warn'}>
                        {percent(scored.earned)} {scored.passed ? '' : '· failed'}
                      </span>
                    )}
                  </div>
                  {q.help && <p className="muted">{q.help}</p>}
                  {onChange ? (
                    <AnswerInput question={q} answer={answer} onChange={(c) => edit(q.id, c)} />
                  ) : (
                    <p className="score-answer">{describe(q, answer)}</p>
                  )}
                  {onChange ? (
                    <input
                      className="score-comment"
                      aria-label={`Comment on "${q.text}"`}
                      placeholder={
                        q.commentWhen === 'always'
                          ? 'Comment (required)'
                          : q.commentWhen === 'failing'
                            ? 'Comment (required when failing)'
                            : 'Comment'
                      }
                      maxLength={2000}
                      value={answer?.comment ?? ''}
                      onChange={(e) => edit(q.id, { comment: e.target.value || undefined })}
                    />
                  ) : (
                    answer?.comment && <p className="note">“{answer.comment}”</p>
                  )}
                  <div className="citations">
                    {(answer?.citations ?? []).map((c, i) => (
                      <span key={`${c.atMs}-${i}`} className="citation">
                        <button
                          type="button"
                          className="ghost"
                          onClick={() => onSeek(c.atMs)}
                          data-cite-ms={c.atMs}
                        >
                          <span className="visually-hidden">Play the cited moment at </span>
                          <span aria-hidden="true">▶ </span>
                          {formatOffset(c.atMs)}
                          {c.tagId && ` · ${tags.find((t) => t.id === c.tagId)?.label ?? 'tag'}`}
                        </button>
                        {onChange && (
                          <button
                            type="button"
                            className="ghost"
                            aria-label={`Remove the citation at ${formatOffset(c.atMs)}`}
                            onClick={() =>
                              edit(q.id, {
                                citations: (answer?.citations ?? []).filter((_, j) => j !== i),
                              })
                            }
                          >
                            ×
                          </button>
                        )}
                      </span>
                    ))}
                    {onChange && playhead && (
                      <button
                        type="button"
                        className="ghost"
                        onClick={() => cite(q.id, { atMs: Math.round(playhead()) })}
                        aria-label={`Cite the playhead's moment for "${q.text}"`}
                      >
                        + Cite playhead
                      </button>
                    )}
                    {onChange && tags.length > 0 && (
                      <select
                        aria-label={`Cite a tag for "${q.text}"`}
                        value=""
                        onChange={(e) => {
                          const tag = tags.find((t) => t.id === e.target.value);
                          if (tag) cite(q.id, { atMs: tag.offsetMs, tagId: tag.id });
                        }}
                      >
                        <option value="">+ Cite a tag…</option>
                        {tags.map((t) => (
                          <option key={t.id} value={t.id}>
                            {formatOffset(t.offsetMs)} {t.label}
                          </option>
                        ))}
                      </select>
                    )}
                  </div>
                </div>
              );
            })}
          </fieldset>
        );
      })}
    </div>
  );
}

function AnswerInput({
  question: q,
  answer,
  onChange,
}: {
  question: Question;
  answer: Answer | undefined;
  onChange(change: Partial<Answer>): void;
}) {
  const value = answer?.na ? undefined : answer?.value;
  const set = (v: Answer['value']) => onChange({ value: v, na: undefined });
  const na = q.naAllowed && (
    <button
      type="button"
      className="toggle"
      aria-pressed={!!answer?.na}
      onClick={() => onChange({ na: answer?.na ? undefined : true, value: undefined })}
    >
      N/A
    </button>
  );
  const choice = (label: string, v: Answer['value'], pressed: boolean) => (
    <button
      key={label}
      type="button"
      className="toggle"
      aria-pressed={pressed}
      onClick={() => set(v)}
    >
      {label}
    </button>
  );
  switch (q.kind) {
    case 'yesNo':
      return (
        <div className="answer-row" role="group" aria-label={q.text}>
          {choice('Yes', true, value === true)}
          {choice('No', false, value === false)}
          {na}
        </div>
      );
    case 'scale':
      return (
        <div className="answer-row" role="group" aria-label={q.text}>
          {Array.from({ length: q.max - q.min + 1 }, (_, i) => q.min + i).map((n) =>
            choice(String(n), n, value === n),
          )}
          {na}
        </div>
      );
    case 'choice': {
      const chosen = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
      return (
        <div className="answer-row" role="group" aria-label={q.text}>
          {q.options.map((o) =>
            q.multiple ? (
              <label key={o.id} className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(o.id)}
                  onChange={(e) =>
                    set(e.target.checked ? [...chosen, o.id] : chosen.filter((c) => c !== o.id))
                  }
                />{' '}
                {o.label}
              </label>
            ) : (
              choice(o.label, o.id, chosen.includes(o.id))
            ),
          )}
          {na}
        </div>
      );
    }
    case 'number':
      return (
        <div className="answer-row">
          <input
            type="number"
            aria-label={q.text}
            value={typeof value === 'number' ? value : ''}
            onChange={(e) => set(e.target.value === '' ? null : Number(e.target.value))}
          />
          <span className="muted">
            {q.min}–{q.max}, {q.higherIsBetter ? 'higher' : 'lower'} is better
          </span>
          {na}
        </div>
      );
    case 'text':
      return (
        <textarea
          aria-label={q.text}
          maxLength={4000}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => set(e.target.value || null)}
        />
      );
  }
}
