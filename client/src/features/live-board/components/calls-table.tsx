import type { Call } from '@earshot/shared';
import { useCalls } from '../api/get-calls';
import { formatDuration, maskNumber } from '../format';

function Meter({ level, label }: { level: number; label: string }) {
  return (
    <span
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={level}
    >
      <span style={{ width: `${Math.round(level * 100)}%` }} />
    </span>
  );
}

function Row({ call }: { call: Call }) {
  return (
    <tr>
      <td>{call.center}</td>
      <td>{call.team}</td>
      <td>{call.agent.name}</td>
      <td>{maskNumber(call.customer.number)}</td>
      <td>{call.state}</td>
      <td className="num">{formatDuration(call.startedAt)}</td>
      <td>
        <Meter level={call.legs.agent.level} label={`agent level, ${call.agent.name}`} />
      </td>
      <td>
        <Meter level={call.legs.customer.level} label="customer level" />
      </td>
      <td className="num">{call.legs.agent.packets + call.legs.customer.packets}</td>
    </tr>
  );
}

/** Every live call with its legs' levels and packet counts. */
export function CallsTable() {
  const calls = useCalls();
  if (calls.isPending) return <p className="state">Loading live calls…</p>;
  if (calls.isError)
    return <p className="state error">Could not load calls: {calls.error.message}</p>;
  if (calls.data.length === 0) return <p className="state">No live calls right now.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Center</th>
          <th>Team</th>
          <th>Agent</th>
          <th>Customer</th>
          <th>State</th>
          <th className="num">Duration</th>
          <th>Agent</th>
          <th>Customer</th>
          <th className="num">Packets</th>
        </tr>
      </thead>
      <tbody>
        {calls.data.map((call) => (
          <Row key={call.id} call={call} />
        ))}
      </tbody>
    </table>
  );
}
