import type {
  AuditRecord,
  Call,
  SiprecPeer,
  SiprecStatus,
  CreateAudioHookIntegration,
  CreateTwilioAccount,
  CreatedAudioHookIntegration,
  StreamIntegration,
  CreatedIngestToken,
  IngestToken,
  RoleGrant,
  User,
} from '@earshot/shared';
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { apiFetch, jsonInit as json } from '../../../lib/api-fetch';

export const getUsers = async (): Promise<User[]> =>
  (await apiFetch<{ users: User[] }>('/api/v1/users')).users;

export const useUsers = () =>
  useQuery(queryOptions({ queryKey: ['admin', 'users'], queryFn: getUsers }));

export interface UserDraft {
  username: string;
  name: string;
  password: string;
  roles: RoleGrant[];
}

export async function saveUser(client: QueryClient, draft: UserDraft, id?: string): Promise<User> {
  const body = id
    ? {
        name: draft.name,
        roles: draft.roles,
        ...(draft.password ? { password: draft.password } : {}),
      }
    : { ...draft, name: draft.name || undefined };
  const user = await apiFetch<User>(
    id ? `/api/v1/users/${id}` : '/api/v1/users',
    json(id ? 'PATCH' : 'POST', body),
  );
  void client.invalidateQueries({ queryKey: ['admin'] });
  return user;
}

export async function deleteUser(client: QueryClient, id: string): Promise<void> {
  await apiFetch<User>(`/api/v1/users/${id}`, json('DELETE'));
  void client.invalidateQueries({ queryKey: ['admin'] });
}

export const getTokens = async (): Promise<IngestToken[]> =>
  (await apiFetch<{ tokens: IngestToken[] }>('/api/v1/tokens')).tokens;

export const useTokens = () =>
  useQuery(queryOptions({ queryKey: ['admin', 'tokens'], queryFn: getTokens }));

export async function createToken(client: QueryClient, name: string): Promise<CreatedIngestToken> {
  const token = await apiFetch<CreatedIngestToken>('/api/v1/tokens', json('POST', { name }));
  void client.invalidateQueries({ queryKey: ['admin'] });
  return token;
}

export async function revokeToken(client: QueryClient, id: string): Promise<void> {
  await apiFetch<IngestToken>(`/api/v1/tokens/${id}`, json('DELETE'));
  void client.invalidateQueries({ queryKey: ['admin'] });
}

export interface AuditFilter {
  actor: string;
  action: string;
  target: string;
  from: string;
  to: string;
}

/** The audit query string for a filter (datetime-local inputs are local time). */
export function auditSearch(filter: AuditFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (filter.actor.trim()) params.set('actor', filter.actor.trim());
  if (filter.action) params.set('action', filter.action);
  if (filter.target.trim()) params.set('target', filter.target.trim());
  if (filter.from) params.set('from', new Date(filter.from).toISOString());
  if (filter.to) params.set('to', new Date(filter.to).toISOString());
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

export const getAudit = async (
  filter: AuditFilter,
  before: number | undefined,
): Promise<AuditRecord[]> => {
  const page = { limit: '100', ...(before ? { before: String(before) } : {}) };
  return (await apiFetch<{ records: AuditRecord[] }>(`/api/v1/audit?${auditSearch(filter, page)}`))
    .records;
};

/** A page of the audit trail (the newest page refreshes itself). */
export const useAudit = (filter: AuditFilter, before: number | undefined) =>
  useQuery({
    queryKey: ['admin', 'audit', filter, before],
    queryFn: () => getAudit(filter, before),
    placeholderData: keepPreviousData,
    refetchInterval: before ? false : 5000,
  });

export const verifyAudit = () =>
  apiFetch<{ ok: true; records: number } | { ok: false; brokenAt: number }>('/api/v1/audit/verify');

export const getSiprec = () => apiFetch<SiprecStatus>('/api/v1/siprec');

export const useSiprec = () =>
  useQuery(
    queryOptions({ queryKey: ['admin', 'siprec'], queryFn: getSiprec, refetchInterval: 5000 }),
  );

export async function addPeer(
  client: QueryClient,
  cidr: string,
  label: string,
): Promise<SiprecPeer> {
  const peer = await apiFetch<SiprecPeer>('/api/v1/siprec/peers', json('POST', { cidr, label }));
  void client.invalidateQueries({ queryKey: ['admin', 'siprec'] });
  return peer;
}

export async function removePeer(client: QueryClient, id: string): Promise<void> {
  await apiFetch<SiprecPeer>(`/api/v1/siprec/peers/${id}`, json('DELETE'));
  void client.invalidateQueries({ queryKey: ['admin', 'siprec'] });
}

export const getUnmatched = async (): Promise<Call[]> =>
  (await apiFetch<{ calls: Call[] }>('/api/v1/calls/unmatched')).calls;

export const useUnmatched = () =>
  useQuery(
    queryOptions({
      queryKey: ['admin', 'unmatched'],
      queryFn: getUnmatched,
      refetchInterval: 3000,
    }),
  );

export async function assignCall(
  client: QueryClient,
  callId: string,
  agentId: string,
): Promise<Call> {
  const call = await apiFetch<Call>(`/api/v1/calls/${callId}/assign`, json('POST', { agentId }));
  void client.invalidateQueries({ queryKey: ['admin', 'unmatched'] });
  return call;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  reasons?: string[];
}

/** The server's health as an admin sees it (with the reasons), every 5 s. */
export const useHealth = () =>
  useQuery(
    queryOptions({
      queryKey: ['admin', 'health'],
      // NOTE: a 503 (no media worker) carries the same body: read it whatever the status.
      queryFn: async () => (await (await fetch('/healthz')).json()) as Health,
      refetchInterval: 5000,
    }),
  );

export const getStreamIntegrations = async (): Promise<StreamIntegration[]> =>
  (await apiFetch<{ integrations: StreamIntegration[] }>('/api/v1/integrations/streams'))
    .integrations;

export const useStreamIntegrations = () =>
  useQuery(
    queryOptions({
      queryKey: ['admin', 'streams'],
      queryFn: getStreamIntegrations,
      refetchInterval: 5000,
    }),
  );

export async function createAudioHook(
  client: QueryClient,
  body: CreateAudioHookIntegration,
): Promise<CreatedAudioHookIntegration> {
  const made = await apiFetch<CreatedAudioHookIntegration>(
    '/api/v1/integrations/audiohook',
    json('POST', body),
  );
  void client.invalidateQueries({ queryKey: ['admin', 'streams'] });
  return made;
}

export async function createTwilio(
  client: QueryClient,
  body: CreateTwilioAccount,
): Promise<StreamIntegration> {
  const made = await apiFetch<StreamIntegration>('/api/v1/integrations/twilio', json('POST', body));
  void client.invalidateQueries({ queryKey: ['admin', 'streams'] });
  return made;
}

export async function removeStreamIntegration(client: QueryClient, id: string): Promise<void> {
  await apiFetch<StreamIntegration>(`/api/v1/integrations/streams/${id}`, json('DELETE'));
  void client.invalidateQueries({ queryKey: ['admin', 'streams'] });
}
