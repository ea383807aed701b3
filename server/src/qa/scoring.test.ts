import { FormDefinition, type Answer } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { checkAnswers, scoreAnswers } from './scoring.ts';

/** Two sections (weights 1 and 3): yes/no, scale, choice, number and text questions. */
const FORM = FormDefinition.parse({
  sections: [
    {
      id: 'a',
      title: 'Opening',
      weight: 1,
      questions: [
        { id: 'a1', kind: 'yesNo', text: 'Greeted', weight: 2 },
        { id: 'a2', kind: 'scale', text: 'Warmth', min: 1, max: 5, weight: 1, naAllowed: true },
        {
          id: 'a3',
          kind: 'yesNo',
          text: 'Verified identity',
          weight: 1,
          critical: true,
          fatal: true,
          naAllowed: true,
          commentWhen: 'failing',
        },
      ],
    },
    {
      id: 'b',
      title: 'Resolution',
      weight: 3,
      questions: [
        {
          id: 'b1',
          kind: 'choice',
          text: 'Outcome',
          weight: 2,
          critical: true,
          options: [
            { id: 'x', label: 'Resolved', points: 100 },
            { id: 'y', label: 'Follow-up', points: 50 },
            { id: 'z', label: 'Unresolved', points: 0, requiresComment: true },
          ],
        },
        { id: 'b2', kind: 'number', text: 'Hold s', min: 0, max: 60, higherIsBetter: false },
        { id: 'b3', kind: 'text', text: 'Notes' },
      ],
    },
  ],
});

const answers = (values: Record<string, Partial<Answer>>): Answer[] =>
  Object.entries(values).map(([questionId, a]) => ({ questionId, citations: [], ...a }));

const base = {
  a1: { value: true },
  a2: { value: 4 },
  a3: { value: true },
  b1: { value: 'y' },
  b2: { value: 15 },
  b3: { value: 'fine' },
};

function issuesOf(run: () => void): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues!.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('scoring', () => {
  it('weights questions within sections and sections within the total, as computed by hand', () => {
    // A = (2·1 + 1·0.75 + 1·1) / 4 = 0.9375; B = (2·0.5 + 1·0.75) / 3 = 0.5833;
    // total = (1·0.9375 + 3·0.5833) / 4 = 0.671875.
    const score = scoreAnswers(FORM, answers(base));
    expect(score.sections).toEqual([
      { sectionId: 'a', score: 93.8 },
      { sectionId: 'b', score: 58.3 },
    ]);
    expect(score.score).toBe(67.2);
    expect(score.rawScore).toBe(67.2);
    expect(score.criticalScore).toBe(100);
    expect(score.failed).toBe(false);
    expect(score.questions.find((q) => q.questionId === 'b3')).toMatchObject({
      earned: null,
      passed: null,
    });
  });

  it('leaves N/A answers out of the denominators, critical score included', () => {
    // A = 2·1 / 2 = 1; total = (1 + 3·0.5833) / 4 = 0.6875; only b1 is a critical question left.
    const score = scoreAnswers(FORM, answers({ ...base, a2: { na: true }, a3: { na: true } }));
    expect(score.sections[0]).toEqual({ sectionId: 'a', score: 100 });
    expect(score.score).toBe(68.8);
    expect(score.criticalScore).toBe(100);
  });

  it('a failed fatal question fails the evaluation with a score of 0, the raw score kept', () => {
    // A = (2 + 0.75 + 0) / 4 = 0.6875; total = (0.6875 + 1.75) / 4 = 0.609375.
    const score = scoreAnswers(FORM, answers({ ...base, a3: { value: false, comment: 'no' } }));
    expect(score).toMatchObject({ score: 0, rawScore: 60.9, failed: true, fatalFailed: ['a3'] });
    // Critical: a3 failed, b1 (0.5 at a pass mark of 0.5) passed.
    expect(score.criticalScore).toBe(50);
  });

  it("scores a multiple choice by the share of all options' points chosen", () => {
    const form = FormDefinition.parse({
      sections: [
        {
          id: 's',
          title: 'S',
          questions: [
            {
              id: 'm',
              kind: 'choice',
              text: 'Did',
              multiple: true,
              options: [
                { id: 'p', label: 'P', points: 30 },
                { id: 'q', label: 'Q', points: 70 },
                { id: 'r', label: 'R', points: 100 },
              ],
            },
          ],
        },
      ],
    });
    // (30 + 100) / 200
    expect(scoreAnswers(form, answers({ m: { value: ['p', 'r'] } })).score).toBe(65);
  });

  it('a submission needs every scored question answered, right values and required comments', () => {
    expect(issuesOf(() => checkAnswers(FORM, answers(base), true))).toEqual([]);
    const { a1: _, ...withoutA1 } = base;
    expect(issuesOf(() => checkAnswers(FORM, answers(withoutA1), true))).toEqual([
      'answers.a1: "Greeted" is not answered',
    ]);
    // A draft may leave questions out.
    expect(issuesOf(() => checkAnswers(FORM, answers(withoutA1), false))).toEqual([]);
    expect(
      issuesOf(() =>
        checkAnswers(
          FORM,
          answers({
            ...base,
            a1: { na: true },
            a2: { value: 9 },
            a3: { value: false },
            b1: { value: 'z' },
            b2: { value: 'long' },
          }),
          true,
        ),
      ),
    ).toEqual([
      'answers.0.na: this question may not be answered N/A',
      'answers.1.value: must be a whole number from 1 to 5',
      'answers.2.comment: this answer needs a comment',
      'answers.3.comment: this answer needs a comment',
      'answers.4.value: must be a number',
    ]);
    expect(issuesOf(() => checkAnswers(FORM, answers({ nope: { value: true } }), false))).toEqual([
      'answers.0.questionId: no question "nope" on this form',
    ]);
  });

  it('refuses forms that cannot be scored or name a question twice', () => {
    const bad = FormDefinition.safeParse({
      sections: [
        {
          id: 's',
          title: 'S',
          questions: [
            { id: 'q', kind: 'text', text: 'Notes', fatal: true },
            { id: 'q', kind: 'yesNo', text: 'Again', weight: 0 },
          ],
        },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.message)).toEqual([
      'a text question is not scored: it cannot be critical or fatal',
      'is used twice',
      'needs at least one weighted question in a weighted section',
    ]);
  });
});
