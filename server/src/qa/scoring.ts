import {
  assertUnreachable,
  type Answer,
  type FieldIssue,
  type FormDefinition,
  type Question,
  type QuestionScore,
  type Score,
} from '@earshot/shared';
import { ValidationError } from '../errors.ts';

type Value = Answer['value'];

/** The share of a question's points an answer earns, 0-1 (null: not scored). */
function earned(question: Question, value: Value): number | null {
  switch (question.kind) {
    case 'yesNo':
      return value === true ? 1 : 0;
    case 'scale':
      return ((value as number) - question.min) / (question.max - question.min);
    case 'choice': {
      const chosen = new Set(typeof value === 'string' ? [value] : (value as string[]));
      const points = question.options.map((o) => o.points);
      // One choice: the best option earns the question's points; several: each option its share.
      const whole = question.multiple ? points.reduce((a, b) => a + b, 0) : Math.max(...points);
      const got = question.options
        .filter((o) => chosen.has(o.id))
        .reduce((a, o) => a + o.points, 0);
      return Math.min(1, got / whole);
    }
    case 'number': {
      const share = Math.min(
        1,
        Math.max(0, ((value as number) - question.min) / (question.max - question.min)),
      );
      return question.higherIsBetter ? share : 1 - share;
    }
    case 'text':
      return null;
    default:
      return assertUnreachable(question);
  }
}

const passes = (question: Question, share: number): boolean =>
  question.kind === 'yesNo'
    ? share === 1
    : question.kind === 'text'
      ? true
      : share >= question.passMark;

/** Why a value does not fit a question, or null when it does. */
function misfit(question: Question, value: Value): string | null {
  switch (question.kind) {
    case 'yesNo':
      return typeof value === 'boolean' ? null : 'must be yes (true) or no (false)';
    case 'scale':
      return Number.isInteger(value) &&
        (value as number) >= question.min &&
        (value as number) <= question.max
        ? null
        : `must be a whole number from ${question.min} to ${question.max}`;
    case 'choice': {
      const ids = new Set(question.options.map((o) => o.id));
      if (question.multiple) {
        if (!Array.isArray(value)) return 'must be a list of option ids';
        if (new Set(value).size !== value.length) return 'lists an option twice';
        const unknown = value.find((v) => !ids.has(v));
        return unknown === undefined ? null : `has no option "${unknown}"`;
      }
      return typeof value === 'string' && ids.has(value)
        ? null
        : `must be one of ${[...ids].map((i) => `"${i}"`).join(', ')}`;
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'text':
      return typeof value === 'string' ? null : 'must be text';
    default:
      return assertUnreachable(question);
  }
}

const answered = (a: Answer | undefined): a is Answer =>
  !!a && (a.na === true || (a.value !== undefined && a.value !== null && a.value !== ''));

function needsComment(question: Question, answer: Answer): boolean {
  if (answer.na) return false;
  if (question.commentWhen === 'always') return true;
  if (question.kind === 'choice') {
    const chosen = new Set(
      typeof answer.value === 'string' ? [answer.value] : (answer.value as string[]),
    );
    if (question.options.some((o) => o.requiresComment && chosen.has(o.id))) return true;
  }
  if (question.commentWhen === 'failing') {
    const share = earned(question, answer.value);
    return share !== null && !passes(question, share);
  }
  return false;
}

/** Every question of a form with the section it is in. */
export function questionsOf(form: FormDefinition): { question: Question; sectionId: string }[] {
  return form.sections.flatMap((s) =>
    s.questions.map((question) => ({ question, sectionId: s.id })),
  );
}

/**
 * Checks answers against the form they answer: known questions, values of the right type
 * and range, N/A only where allowed. `complete` (a submission) also needs every scored
 * question answered and every required comment written. Throws with each issue's path.
 */
export function checkAnswers(form: FormDefinition, answers: Answer[], complete: boolean): void {
  const issues: FieldIssue[] = [];
  const byId = new Map(questionsOf(form).map((q) => [q.question.id, q.question]));
  answers.forEach((answer, i) => {
    const question = byId.get(answer.questionId);
    const at = `answers.${i}`;
    if (!question)
      return issues.push({
        path: `${at}.questionId`,
        message: `no question "${answer.questionId}" on this form`,
      });
    if (answer.na) {
      if (!question.naAllowed)
        issues.push({ path: `${at}.na`, message: 'this question may not be answered N/A' });
      else if (answer.value !== undefined && answer.value !== null)
        issues.push({ path: `${at}.value`, message: 'an N/A answer has no value' });
      return;
    }
    if (answer.value === undefined || answer.value === null) return;
    const why = misfit(question, answer.value);
    if (why) issues.push({ path: `${at}.value`, message: why });
    else if (complete && needsComment(question, answer) && !answer.comment)
      issues.push({ path: `${at}.comment`, message: 'this answer needs a comment' });
  });
  if (complete) {
    const given = new Map(answers.map((a) => [a.questionId, a]));
    for (const { question } of questionsOf(form)) {
      if (question.kind === 'text' || answered(given.get(question.id))) continue;
      issues.push({
        path: `answers.${question.id}`,
        message: `"${question.text}" is not answered`,
      });
    }
  }
  if (issues.length) throw new ValidationError('the answers do not fit the form', issues);
}

const percent = (share: number) => Math.round(share * 1000) / 10;

/**
 * The score of checked, complete answers: each section the weighted mean of its questions'
 * earned shares, the total the weighted mean of its sections; N/A answers and all-N/A
 * sections leave the denominators; failing a fatal question makes the score 0; the
 * critical score is the share of critical questions passed.
 */
export function scoreAnswers(form: FormDefinition, answers: Answer[]): Score {
  const given = new Map(answers.map((a) => [a.questionId, a]));
  const questions: QuestionScore[] = [];
  const sections: Score['sections'] = [];
  let total = 0;
  let totalWeight = 0;
  let critical = 0;
  let criticalPassed = 0;
  const fatalFailed: string[] = [];
  for (const section of form.sections) {
    let sum = 0;
    let weights = 0;
    for (const question of section.questions) {
      const answer = given.get(question.id);
      const na = answer?.na === true;
      const share =
        !answer || na || answer.value === null || answer.value === undefined
          ? null
          : earned(question, answer.value);
      const passed = share === null ? null : passes(question, share);
      questions.push({ questionId: question.id, sectionId: section.id, earned: share, passed, na });
      if (share === null) continue;
      if (question.weight > 0) {
        sum += question.weight * share;
        weights += question.weight;
      }
      if (question.critical) {
        critical++;
        if (passed) criticalPassed++;
      }
      if (question.fatal && !passed) fatalFailed.push(question.id);
    }
    const score = weights > 0 ? sum / weights : null;
    sections.push({ sectionId: section.id, score: score === null ? null : percent(score) });
    if (score !== null && section.weight > 0) {
      total += section.weight * score;
      totalWeight += section.weight;
    }
  }
  const rawScore = totalWeight > 0 ? percent(total / totalWeight) : null;
  const failed = fatalFailed.length > 0;
  return {
    score: failed ? 0 : rawScore,
    rawScore,
    criticalScore: critical > 0 ? percent(criticalPassed / critical) : null,
    fatalFailed,
    failed,
    sections,
    questions,
  };
}
