import { useSyncExternalStore } from 'react';
import { listenEngine, type ListenState } from './listen-engine';

/** The listening engine's state (strips, focus, notice). */
export const useListen = (): ListenState =>
  useSyncExternalStore(listenEngine.subscribe, listenEngine.getSnapshot);
