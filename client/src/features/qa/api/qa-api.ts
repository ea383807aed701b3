import type {
  Assignment,
  CalibrationReport,
  CalibrationSummary,
  CreateCalibrationRequest,
  CreatePlanRequest,
  Draw,
  Form,
  FormSummary,
  Plan,
  Results,
  SaveFormRequest,
} from '@earshot/shared';
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { apiFetch, jsonInit } from '../../../lib/api-fetch';

const get = <T>(key: unknown[], path: string, pick: (body: never) => T, enabled = true) =>
  queryOptions({
    queryKey: key,
    queryFn: () => apiFetch<never>(path).then(pick),
    enabled,
  });

export const useForms = () =>
  useQuery(get(['qa-forms'], '/api/v1/qa/forms', (b: { forms: FormSummary[] }) => b.forms));
export const useForm = (id: string | undefined) =>
  useQuery(get(['qa-form', id], `/api/v1/qa/forms/${id}`, (b: Form) => b, !!id));
export const usePlans = () =>
  useQuery(get(['qa-plans'], '/api/v1/qa/plans', (b: { plans: Plan[] }) => b.plans));
export const useQueue = () =>
  useQuery(
    get(['qa-queue'], '/api/v1/qa/queue', (b: { assignments: Assignment[] }) => b.assignments),
  );
export const useCalibrations = () =>
  useQuery(
    get(
      ['qa-calibrations'],
      '/api/v1/qa/calibrations',
      (b: { calibrations: CalibrationSummary[] }) => b.calibrations,
    ),
  );
export const useCalibration = (id: string | undefined) =>
  useQuery(
    get(['qa-calibration', id], `/api/v1/qa/calibrations/${id}`, (b: CalibrationReport) => b, !!id),
  );
export const useResults = (query: string) =>
  useQuery(get(['qa-results', query], `/api/v1/qa/results?${query}`, (b: Results) => b));
export const useEvaluators = (enabled: boolean) =>
  useQuery(
    get(
      ['qa-evaluators'],
      '/api/v1/qa/evaluators',
      (b: { evaluators: { id: string; name: string; lead: boolean }[] }) => b.evaluators,
      enabled,
    ),
  );

function refresh(client: QueryClient, ...keys: string[]) {
  for (const key of keys) void client.invalidateQueries({ queryKey: [key] });
}

export async function saveForm(
  client: QueryClient,
  id: string | undefined,
  body: SaveFormRequest,
): Promise<Form> {
  const form = await apiFetch<Form>(
    id ? `/api/v1/qa/forms/${id}` : '/api/v1/qa/forms',
    jsonInit(id ? 'PUT' : 'POST', body),
  );
  client.setQueryData(['qa-form', form.id], form);
  refresh(client, 'qa-forms');
  return form;
}

export async function formAction(
  client: QueryClient,
  id: string,
  action: 'publish' | 'retire',
): Promise<Form> {
  const form = await apiFetch<Form>(`/api/v1/qa/forms/${id}/${action}`, jsonInit('POST'));
  client.setQueryData(['qa-form', form.id], form);
  refresh(client, 'qa-forms');
  return form;
}

export async function createPlan(client: QueryClient, body: CreatePlanRequest): Promise<Plan> {
  const plan = await apiFetch<Plan>('/api/v1/qa/plans', jsonInit('POST', body));
  refresh(client, 'qa-plans');
  return plan;
}

export async function drawPlan(client: QueryClient, id: string, seed: string): Promise<Draw> {
  const draw = await apiFetch<Draw>(
    `/api/v1/qa/plans/${id}/draws`,
    jsonInit('POST', seed ? { seed } : {}),
  );
  refresh(client, 'qa-plans', 'qa-queue');
  return draw;
}

export async function createCalibration(
  client: QueryClient,
  body: CreateCalibrationRequest,
): Promise<CalibrationReport> {
  const session = await apiFetch<CalibrationReport>(
    '/api/v1/qa/calibrations',
    jsonInit('POST', body),
  );
  refresh(client, 'qa-calibrations');
  return session;
}

export async function closeCalibration(client: QueryClient, id: string): Promise<void> {
  const report = await apiFetch<CalibrationReport>(
    `/api/v1/qa/calibrations/${id}/close`,
    jsonInit('POST'),
  );
  client.setQueryData(['qa-calibration', id], report);
  refresh(client, 'qa-calibrations', 'qa-results');
}

/** A participant's blind evaluation of the session's call: its id, to open on the replay page. */
export const calibrationEvaluation = (id: string) =>
  apiFetch<{ id: string; callId: string }>(
    `/api/v1/qa/calibrations/${id}/evaluation`,
    jsonInit('POST'),
  );
