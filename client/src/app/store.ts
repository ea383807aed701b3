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
}

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
});

/** UI state: one store of slices; middleware only here, on the combined store. */
export const useAppStore = create<AppState>()(
  persist((...a) => ({ ...uiSlice(...a) }), {
    name: 'earshot.console',
    partialize: (s) => ({
      theme: s.theme,
      lastLabel: s.lastLabel,
      thresholds: s.thresholds,
    }),
  }),
);
