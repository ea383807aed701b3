import type {
  CreatedAudioHookIntegration,
  StreamIntegration,
  TwilioInbound,
} from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormError } from '../../../components/form-error';
import { ShownOnce } from './shown-once';
import {
  createAudioHook,
  createTwilio,
  removeStreamIntegration,
  useStreamIntegrations,
} from '../api/admin-api';

const when = (at: string) => new Date(at).toLocaleString();
const wsBase = () =>
  `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}`;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Cloud contact centers that stream calls in: Genesys AudioHook and Twilio Media Streams. */
export function StreamsPanel() {
  const list = useStreamIntegrations();
  const integrations = list.data ?? [];
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>Cloud streams</h2>
        <span className="muted">
          Genesys Cloud and Twilio stream both sides of each call over WebSocket. Streamed calls are
          calls like any other: board, listening, recording, tags, KPIs.
        </span>
      </div>
      <AudioHookForm />
      <TwilioForm />
      <h3>Integrations</h3>
      <table className="review-table">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Name</th>
            <th>Key</th>
            <th>Streaming now</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {integrations.map((i) => (
            <IntegrationRow key={i.id} integration={i} />
          ))}
          {integrations.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                None yet: every AudioHook and Twilio upgrade is refused.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function IntegrationRow({ integration: i }: { integration: StreamIntegration }) {
  const client = useQueryClient();
  const [error, setError] = useState<string>();
  return (
    <tr>
      <td>{i.kind === 'audiohook' ? 'Genesys AudioHook' : 'Twilio Media Streams'}</td>
      <td>
        {i.name}
        <div className="muted">
          {i.fromConfig ? 'from the configuration' : `added ${when(i.createdAt)} by ${i.createdBy}`}
          {i.organizationId ? ` · organization ${i.organizationId}` : ''}
          {i.inbound ? ` · inbound track = ${i.inbound}` : ''}
        </div>
      </td>
      <td className="mono">{i.kind === 'audiohook' ? `${i.keyHint}…` : i.keyHint}</td>
      <td>
        <strong>{i.liveSessions}</strong> <span className="muted">({i.sessions} since start)</span>
      </td>
      <td>
        {i.lastError ? (
          <>
            {i.lastError.message}
            <div className="muted">{when(i.lastError.at)}</div>
          </>
        ) : (
          <span className="muted">none</span>
        )}
        <FormError error={error} />
      </td>
      <td className="row-actions">
        {!i.fromConfig && (
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(`Refuse new streams from ${i.name}? Streams running now go on.`))
                removeStreamIntegration(client, i.id).catch((e: unknown) => setError(message(e)));
            }}
          >
            Remove
          </button>
        )}
      </td>
    </tr>
  );
}

function AudioHookForm() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [organizationId, setOrganizationId] = useState('');
  const [made, setMade] = useState<CreatedAudioHookIntegration>();
  const [error, setError] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const org = organizationId.trim();
      setMade(
        await createAudioHook(client, {
          name: name.trim(),
          ...(org ? { organizationId: org } : {}),
        }),
      );
      setName('');
      setOrganizationId('');
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <>
      <h3>Genesys Cloud AudioHook</h3>
      <p className="muted">
        In Genesys Cloud, install the AudioHook Monitor integration with the connection URI{' '}
        <code className="mono">{wsBase()}/api/v1/ingest/audiohook</code> (wss:// behind your TLS
        proxy) and the API key and client secret made here.
      </p>
      <form className="inline-form" onSubmit={(e) => void submit(e)}>
        <input
          aria-label="AudioHook integration name"
          placeholder="Name, e.g. Genesys US East"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <input
          aria-label="Genesys organization id"
          placeholder="Genesys organization id (optional)"
          value={organizationId}
          onChange={(e) => setOrganizationId(e.target.value)}
        />
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create integration
        </button>
      </form>
      <FormError error={error} />
      {made && (
        <ShownOnce
          name={made.name}
          secrets={[
            { label: 'API key', value: made.apiKey },
            { label: 'Client secret', value: made.clientSecret },
          ]}
          onDone={() => setMade(undefined)}
        />
      )}
    </>
  );
}

function TwilioForm() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [accountSid, setAccountSid] = useState('');
  const [authToken, setAuthToken] = useState('');
  const [inbound, setInbound] = useState<TwilioInbound>('customer');
  const [error, setError] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await createTwilio(client, {
        name: name.trim(),
        accountSid: accountSid.trim(),
        authToken: authToken.trim(),
        inbound,
      });
      setName('');
      setAccountSid('');
      setAuthToken('');
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <>
      <h3>Twilio Media Streams</h3>
      <p className="muted">
        In your TwiML,{' '}
        <code className="mono">{`<Start><Stream url="${wsBase()}/api/v1/ingest/twilio" track="both_tracks">`}</code>
        ; a <code className="mono">agentId</code> custom parameter names the agent. The auth token
        checks each stream&apos;s signature and is stored encrypted.
      </p>
      <form className="inline-form" onSubmit={(e) => void submit(e)}>
        <input
          aria-label="Twilio account name"
          placeholder="Name, e.g. Flex production"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <input
          aria-label="Account SID"
          placeholder="Account SID (AC…)"
          value={accountSid}
          onChange={(e) => setAccountSid(e.target.value)}
        />
        <input
          aria-label="Auth token"
          type="password"
          autoComplete="off"
          placeholder="Auth token"
          value={authToken}
          onChange={(e) => setAuthToken(e.target.value)}
        />
        <select
          aria-label="Inbound track"
          value={inbound}
          onChange={(e) => setInbound(e.target.value as TwilioInbound)}
        >
          <option value="customer">Inbound track is the customer (a Flex customer leg)</option>
          <option value="agent">Inbound track is the agent</option>
        </select>
        <button
          type="submit"
          className="primary"
          disabled={!name.trim() || !accountSid.trim() || !authToken.trim()}
        >
          Register account
        </button>
      </form>
      <FormError error={error} />
    </>
  );
}
