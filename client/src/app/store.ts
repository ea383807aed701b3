import { create, type StateCreator } from 'zustand';
import { persist } from 'zustand/middleware';

export type Theme = 'dark' | 'light';

interface UiSlice {
  theme: Theme;
  toggleTheme(): void;
  /** The board row the keyboard is on. */
  selectedCallId: string | undefined;
  select(callId: string | undefined): void;
  /** KPI thresholds the user changed, by metric: [green, amber]. */
  thresholds: Record<string, [number, number]>;
  setThreshold(metric: string, value: [number, number] | undefined): void;
  /** The label `t` tags with: the last one used. */
  lastLabel: string;
  setLastLabel(label: string): void;
  /** Seconds after which an agent's hold, wrap-up or absence stands out on the agents board. */
  agentLimits: AgentLimits;
  setAgentLimit(state: keyof AgentLimits, seconds: number): void;
}

export interface AgentLimits {
  held: number;
  wrap_up: number;
  away: number;
}
export const DEFAULT_AGENT_LIMITS: AgentLimits = { held: 120, wrap_up: 90, away: 900 };

export type AppState = UiSlice;

const uiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  theme: window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark',
  toggleTheme: () => set((s) => ({ theme: s.theme === 'dark' ? 'light' : 'dark' })),
  selectedCallId: undefined,
  select: (selectedCallId) => set({ selectedCallId }),
  thresholds: {},
  setThreshold: (metric, value) =>
    set((s) => {
      const thresholds = { ...s.thresholds };
      if (value) thresholds[metric] = value;
      else delete thresholds[metric];
      return { thresholds };
    }),
  lastLabel: 'coaching',
  setLastLabel: (lastLabel) => set({ lastLabel }),
  agentLimits: DEFAULT_AGENT_LIMITS,
  setAgentLimit: (state, seconds) =>
    set((s) => ({ agentLimits: { ...s.agentLimits, [state]: Math.max(1, seconds) } })),
});

/** UI state: one store of slices; middleware only here, on the combined store. */
export const useAppStore = create<AppState>()(
  persist((...a) => ({ ...uiSlice(...a) }), {
    name: 'earshot.console',
    partialize: (s) => ({
      theme: s.theme,
      lastLabel: s.lastLabel,
      thresholds: s.thresholds,
      agentLimits: s.agentLimits,
    }),
  }),
);
