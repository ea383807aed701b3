import type {
  Answer,
  Evaluation,
  EvaluationSummary,
  FormSummary,
  QaSettings,
  ResolveDisputeRequest,
} from '@earshot/shared';
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { apiFetch, jsonInit as json } from './api-fetch';

/** Evaluations matching a query string (`callId=…`, `evaluator=me`, `status=…`). */
export const getEvaluations = (query = '') =>
  apiFetch<{ evaluations: EvaluationSummary[] }>(`/api/v1/evaluations?${query}`).then(
    (r) => r.evaluations,
  );
export const useEvaluations = (query = '', enabled = true) =>
  useQuery(
    queryOptions({
      queryKey: ['evaluations', query],
      queryFn: () => getEvaluations(query),
      enabled,
    }),
  );

export const getEvaluation = (id: string) =>
  apiFetch<Evaluation>(`/api/v1/evaluations/${encodeURIComponent(id)}`);
export const useEvaluation = (id: string | undefined) =>
  useQuery(
    queryOptions({
      queryKey: ['evaluation', id],
      queryFn: () => getEvaluation(id!),
      enabled: !!id,
    }),
  );

/** Published forms a reviewer may evaluate with (drafts and retired ones left out). */
export function usePublishedForms(enabled = true): FormSummary[] | undefined {
  const forms = useQuery(
    queryOptions({
      queryKey: ['qa-forms'],
      queryFn: async (): Promise<FormSummary[]> =>
        (await apiFetch<{ forms: FormSummary[] }>('/api/v1/qa/forms')).forms,
      enabled,
    }),
  ).data;
  return forms?.filter((f) => f.status === 'published');
}

export const useQaSettings = () =>
  useQuery(
    queryOptions({
      queryKey: ['qa-settings'],
      queryFn: () => apiFetch<QaSettings>('/api/v1/qa/settings'),
    }),
  );

/** Puts a changed evaluation into the cache and has the lists read again. */
function settle(client: QueryClient, evaluation: Evaluation): Evaluation {
  client.setQueryData(['evaluation', evaluation.id], evaluation);
  void client.invalidateQueries({ queryKey: ['evaluations'] });
  void client.invalidateQueries({ queryKey: ['qa-queue'] });
  return evaluation;
}

export const startEvaluation = async (client: QueryClient, callId: string, formId: string) =>
  settle(
    client,
    await apiFetch<Evaluation>(`/api/v1/calls/${callId}/evaluations`, json('POST', { formId })),
  );

export const saveDraft = async (client: QueryClient, id: string, answers: Answer[]) =>
  settle(
    client,
    await apiFetch<Evaluation>(`/api/v1/evaluations/${id}/draft`, json('PUT', { answers })),
  );

export const submitEvaluation = async (client: QueryClient, id: string, answers: Answer[]) =>
  settle(
    client,
    await apiFetch<Evaluation>(`/api/v1/evaluations/${id}/submit`, json('POST', { answers })),
  );

export const acknowledgeEvaluation = async (client: QueryClient, id: string) =>
  settle(client, await apiFetch<Evaluation>(`/api/v1/evaluations/${id}/acknowledge`, json('POST')));

export const disputeEvaluation = async (client: QueryClient, id: string, comment: string) =>
  settle(
    client,
    await apiFetch<Evaluation>(`/api/v1/evaluations/${id}/dispute`, json('POST', { comment })),
  );

export const resolveDispute = async (
  client: QueryClient,
  id: string,
  body: ResolveDisputeRequest,
) =>
  settle(
    client,
    await apiFetch<Evaluation>(`/api/v1/evaluations/${id}/resolve`, json('POST', body)),
  );

/** Admins: how long and how often agents may dispute. */
export async function setQaSettings(client: QueryClient, settings: QaSettings): Promise<void> {
  client.setQueryData(
    ['qa-settings'],
    await apiFetch<QaSettings>('/api/v1/qa/settings', json('PUT', settings)),
  );
}
