// Server-measured leg levels of every live call, refreshed by each board update. Kept out
// of React state: meters read it every frame.
const levels = new Map<string, [number, number]>();

export function setBoardLevels(next: Record<string, [number, number]>): void {
  levels.clear();
  for (const [callId, pair] of Object.entries(next)) levels.set(callId, pair);
}

/** The latest server level of a call's leg (0..1). */
export const boardLevel = (callId: string, leg: 'agent' | 'customer'): number =>
  levels.get(callId)?.[leg === 'agent' ? 0 : 1] ?? 0;
