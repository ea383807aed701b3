// A live call as the board has it, for tests of what the console does with calls.
import { EMPTY_CALL_AUDIO, type Call } from '@earshot/shared';

const leg = {
  ip: '127.0.0.1',
  port: 1,
  packets: 0,
  bytes: 0,
  dropped: 0,
  lost: 0,
  level: 0,
  lastPacketAt: null,
};
export const call = (id: string, startedAt: string, over: Partial<Call> = {}): Call => ({
  id,
  externalId: null,
  center: 'mn-minneapolis',
  region: 'upper-midwest',
  team: 'minneapolis-care-1',
  agent: { id: `agent-${id}`, name: `Agent ${id}` },
  customer: { number: null, name: null },
  participants: [],
  unmatched: false,
  codec: 'PCMU',
  payloadType: 0,
  state: 'talking',
  startedAt,
  endedAt: null,
  endReason: null,
  legs: { agent: leg, customer: leg },
  listeners: 0,
  audio: EMPTY_CALL_AUDIO,
  flags: [],
  discrepancies: 0,
  episodes: [],
  acd: { queue: null, holds: 0, disposition: null },
  ...over,
});
