import type { FormDefinition, Question, QuestionKind, Section } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormError } from '../../../components/form-error';
import { useAction } from '../../../components/use-action';
import { formAction, saveForm, useForm } from '../api/qa-api';

let counter = 0;
/** A short id for a new section, question or option (kept across versions). */
const newKey = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

const KIND_LABELS: Record<QuestionKind, string> = {
  yesNo: 'Yes / no',
  scale: 'Scale',
  choice: 'Choice',
  number: 'Number',
  text: 'Text (not scored)',
};

function blank(kind: QuestionKind, base: Partial<Question> = {}): Question {
  const common = {
    id: base.id ?? newKey('q'),
    text: base.text ?? '',
    weight: kind === 'text' ? 0 : base.weight || 1,
    naAllowed: base.naAllowed ?? false,
    critical: kind === 'text' ? false : (base.critical ?? false),
    fatal: kind === 'text' ? false : (base.fatal ?? false),
    commentWhen: base.commentWhen ?? 'never',
  } as const;
  switch (kind) {
    case 'yesNo':
      return { ...common, kind };
    case 'scale':
      return { ...common, kind, min: 1, max: 5, passMark: 0.5 };
    case 'choice':
      return {
        ...common,
        kind,
        multiple: false,
        passMark: 0.5,
        options: [
          { id: newKey('o'), label: 'Met', points: 100, requiresComment: false },
          { id: newKey('o'), label: 'Not met', points: 0, requiresComment: true },
        ],
      };
    case 'number':
      return { ...common, kind, min: 0, max: 100, higherIsBetter: true, passMark: 0.5 };
    case 'text':
      return { ...common, kind, weight: 0 };
  }
}

const STARTER: FormDefinition = {
  sections: [{ id: newKey('s'), title: 'Opening', weight: 1, questions: [blank('yesNo')] }],
};

/** Builds a form's draft: sections and questions with weights, N/A, critical and fatal. */
export function FormBuilder({ id, onClose }: { id: string | undefined; onClose(): void }) {
  const existing = useForm(id);
  if (id && !existing.data) return <p className="muted">Loading…</p>;
  return (
    <Builder
      key={id ?? 'new'}
      id={id}
      initial={
        existing.data
          ? {
              name: existing.data.name,
              description: existing.data.description ?? '',
              definition: existing.data.draft,
            }
          : { name: '', description: '', definition: STARTER }
      }
      status={
        existing.data
          ? `${existing.data.status}, version ${existing.data.version}${existing.data.changed ? ', draft changed' : ''}`
          : 'new'
      }
      onClose={onClose}
    />
  );
}

function Builder({
  id,
  initial,
  status,
  onClose,
}: {
  id: string | undefined;
  initial: { name: string; description: string; definition: FormDefinition };
  status: string;
  onClose(): void;
}) {
  const client = useQueryClient();
  const [name, setName] = useState(initial.name);
  const [description, setDescription] = useState(initial.description);
  const [sections, setSections] = useState<Section[]>(initial.definition.sections);
  const [formId, setFormId] = useState(id);
  const { error, note, run } = useAction();

  const setSection = (i: number, change: Partial<Section>) =>
    setSections((s) => s.map((x, j) => (j === i ? { ...x, ...change } : x)));
  const setQuestion = (si: number, qi: number, q: Question) =>
    setSection(si, { questions: sections[si]!.questions.map((x, j) => (j === qi ? q : x)) });
  const save = async () => {
    const form = await saveForm(client, formId, {
      name,
      ...(description.trim() ? { description: description.trim() } : {}),
      definition: { sections },
    });
    setFormId(form.id);
    return form;
  };

  return (
    <div className="form-builder" aria-label="Form builder">
      <div className="admin-head">
        <h3>{formId ? 'Edit form' : 'New form'}</h3>
        <span className="muted">{status}</span>
        <span className="spacer" />
        <button type="button" className="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={120}
          aria-label="Form name"
        />
      </label>
      <label className="field">
        <span>Description</span>
        <input
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          maxLength={2000}
        />
      </label>
      {sections.map((section, si) => (
        <fieldset key={section.id} className="score-section builder-section">
          <legend>Section {si + 1}</legend>
          <div className="builder-row">
            <label className="field">
              <span>Title</span>
              <input
                aria-label={`Section ${si + 1} title`}
                value={section.title}
                onChange={(e) => setSection(si, { title: e.target.value })}
              />
            </label>
            <label className="field inline">
              <span>Weight</span>
              <input
                type="number"
                min={0}
                max={100}
                aria-label={`Section ${si + 1} weight`}
                value={section.weight}
                onChange={(e) => setSection(si, { weight: Number(e.target.value) })}
              />
            </label>
            <button
              type="button"
              className="ghost"
              disabled={sections.length === 1}
              onClick={() => setSections((s) => s.filter((_, j) => j !== si))}
            >
              Remove section
            </button>
          </div>
          {section.questions.map((q, qi) => (
            <QuestionEditor
              key={q.id}
              label={`Question ${si + 1}.${qi + 1}`}
              question={q}
              onChange={(next) => setQuestion(si, qi, next)}
              onRemove={
                section.questions.length > 1
                  ? () =>
                      setSection(si, { questions: section.questions.filter((_, j) => j !== qi) })
                  : undefined
              }
            />
          ))}
          <button
            type="button"
            onClick={() => setSection(si, { questions: [...section.questions, blank('yesNo')] })}
          >
            Add question
          </button>
        </fieldset>
      ))}
      <button
        type="button"
        onClick={() =>
          setSections((s) => [
            ...s,
            { id: newKey('s'), title: '', weight: 1, questions: [blank('yesNo')] },
          ])
        }
      >
        Add section
      </button>
      <FormError error={error} />
      {note && <p role="status">{note}</p>}
      <div className="dialog-actions">
        <button type="button" onClick={() => run(async () => (await save(), 'Draft saved.'))}>
          Save draft
        </button>
        <button
          type="button"
          className="primary"
          onClick={() =>
            run(async () => {
              const form = await save();
              const published = await formAction(client, form.id, 'publish');
              return `Published version ${published.version}: new evaluations use it.`;
            })
          }
        >
          Publish
        </button>
        {formId && (
          <button
            type="button"
            onClick={() =>
              run(
                async () => (
                  await formAction(client, formId, 'retire'),
                  'Retired: it takes no new evaluations.'
                ),
              )
            }
          >
            Retire
          </button>
        )}
      </div>
    </div>
  );
}

function QuestionEditor({
  label,
  question: q,
  onChange,
  onRemove,
}: {
  label: string;
  question: Question;
  onChange(q: Question): void;
  onRemove: (() => void) | undefined;
}) {
  const set = (change: Record<string, unknown>) => onChange({ ...q, ...change } as Question);
  const flag = (key: 'naAllowed' | 'critical' | 'fatal', text: string) => (
    <label className="check">
      <input type="checkbox" checked={q[key]} onChange={(e) => set({ [key]: e.target.checked })} />{' '}
      {text}
    </label>
  );
  return (
    <div className="builder-question" aria-label={label}>
      <div className="builder-row">
        <label className="field grow">
          <span>{label}</span>
          <input
            aria-label={`${label} text`}
            value={q.text}
            maxLength={300}
            onChange={(e) => set({ text: e.target.value })}
          />
        </label>
        <label className="field inline">
          <span>Kind</span>
          <select
            aria-label={`${label} kind`}
            value={q.kind}
            onChange={(e) => onChange(blank(e.target.value as QuestionKind, q))}
          >
            {Object.entries(KIND_LABELS).map(([kind, text]) => (
              <option key={kind} value={kind}>
                {text}
              </option>
            ))}
          </select>
        </label>
        {q.kind !== 'text' && (
          <label className="field inline">
            <span>Weight</span>
            <input
              type="number"
              min={0}
              max={100}
              aria-label={`${label} weight`}
              value={q.weight}
              onChange={(e) => set({ weight: Number(e.target.value) })}
            />
          </label>
        )}
        {onRemove && (
          <button type="button" className="ghost" onClick={onRemove} aria-label={`Remove ${label}`}>
            ×
          </button>
        )}
      </div>
      <div className="builder-row">
        {flag('naAllowed', 'N/A allowed')}
        {q.kind !== 'text' && flag('critical', 'Critical')}
        {q.kind !== 'text' && flag('fatal', 'Fatal')}
        <label className="field inline">
          <span>Comment</span>
          <select value={q.commentWhen} onChange={(e) => set({ commentWhen: e.target.value })}>
            <option value="never">optional</option>
            <option value="failing">required when failing</option>
            <option value="always">always required</option>
          </select>
        </label>
        {(q.kind === 'scale' || q.kind === 'number') && (
          <>
            <label className="field inline">
              <span>Min</span>
              <input
                type="number"
                value={q.min}
                onChange={(e) => set({ min: Number(e.target.value) })}
              />
            </label>
            <label className="field inline">
              <span>Max</span>
              <input
                type="number"
                value={q.max}
                onChange={(e) => set({ max: Number(e.target.value) })}
              />
            </label>
          </>
        )}
        {q.kind === 'number' && (
          <label className="check">
            <input
              type="checkbox"
              checked={q.higherIsBetter}
              onChange={(e) => set({ higherIsBetter: e.target.checked })}
            />{' '}
            Higher is better
          </label>
        )}
        {(q.kind === 'scale' || q.kind === 'number' || q.kind === 'choice') && (
          <label className="field inline">
            <span>Passes at %</span>
            <input
              type="number"
              min={0}
              max={100}
              value={Math.round(q.passMark * 100)}
              onChange={(e) => set({ passMark: Number(e.target.value) / 100 })}
            />
          </label>
        )}
        {q.kind === 'choice' && (
          <label className="check">
            <input
              type="checkbox"
              checked={q.multiple}
              onChange={(e) => set({ multiple: e.target.checked })}
            />{' '}
            Several choices
          </label>
        )}
      </div>
      {q.kind === 'choice' && (
        <div className="builder-options">
          {q.options.map((o, i) => (
            <div key={o.id} className="builder-row">
              <input
                aria-label={`${label} option ${i + 1}`}
                value={o.label}
                onChange={(e) =>
                  set({
                    options: q.options.map((x, j) =>
                      j === i ? { ...x, label: e.target.value } : x,
                    ),
                  })
                }
              />
              <label className="field inline">
                <span>Points</span>
                <input
                  type="number"
                  min={0}
                  max={100}
                  value={o.points}
                  onChange={(e) =>
                    set({
                      options: q.options.map((x, j) =>
                        j === i ? { ...x, points: Number(e.target.value) } : x,
                      ),
                    })
                  }
                />
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  checked={o.requiresComment}
                  onChange={(e) =>
                    set({
                      options: q.options.map((x, j) =>
                        j === i ? { ...x, requiresComment: e.target.checked } : x,
                      ),
                    })
                  }
                />{' '}
                Needs a comment
              </label>
              <button
                type="button"
                className="ghost"
                disabled={q.options.length <= 2}
                onClick={() => set({ options: q.options.filter((_, j) => j !== i) })}
              >
                ×
              </button>
            </div>
          ))}
          <button
            type="button"
            className="ghost"
            onClick={() =>
              set({
                options: [
                  ...q.options,
                  { id: newKey('o'), label: '', points: 0, requiresComment: false },
                ],
              })
            }
          >
            Add option
          </button>
        </div>
      )}
    </div>
  );
}
