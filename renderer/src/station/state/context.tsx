import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { StationClient } from '../../transport/index.js';
import type { StationState, StationStore } from './station-store.js';

interface StationContextValue {
  client: StationClient;
  store: StationStore;
}

const StationContext = createContext<StationContextValue | null>(null);

export function StationProvider({ client, store, children }: StationContextValue & { children: ReactNode }) {
  return <StationContext.Provider value={{ client, store }}>{children}</StationContext.Provider>;
}

export function useStation(): StationContextValue {
  const value = useContext(StationContext);
  if (!value) throw new Error('useStation outside StationProvider');
  return value;
}

/** Subscribes to one slice of the station state; the selector must return stable values. */
export function useStationState<T>(selector: (state: StationState) => T): T {
  const { store } = useStation();
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
