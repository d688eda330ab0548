import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import type { StationApi } from '../../../../shared/contract/station-api.js';
import { useStation } from '../state/context.js';

export interface StationQuery<T> {
  /** The last answer, or `initial` until the first one arrives. */
  data: T;
  /** Takes an answer an action already returned, without reading again. */
  setData: (value: T) => void;
  /** Reads again, e.g. after an action changed what the query shows. */
  reload: () => void;
}

export interface StationQueryOptions<T> {
  initial: T;
  /** Reads again whenever this changes (compared with Object.is), e.g. the selected unit. */
  key?: unknown;
  onError: (err: unknown) => void;
  /** Show `initial` again after a failed read instead of the last answer. */
  clearOnError?: boolean;
}

/**
 * One read from the station that a floor tab shows: read on mount, again when `key` changes or on
 * `reload()`. An answer that arrives after a newer read started is dropped, so a slow answer never
 * overwrites a fresh one. `read` always sees the component's current values (useEffectEvent).
 */
export function useStationQuery<T>(
  read: (api: StationApi) => Promise<T>,
  { initial, key, onError, clearOnError = false }: StationQueryOptions<T>,
): StationQuery<T> {
  const { client } = useStation();
  const [data, setData] = useState<T>(initial);
  const [version, setVersion] = useState(0);
  const readNow = useEffectEvent(() => read(client.api));
  const failed = useEffectEvent((err: unknown) => {
    if (clearOnError) setData(initial);
    onError(err);
  });

  useEffect(() => {
    let stale = false;
    readNow().then(
      (value) => {
        if (!stale) setData(value);
      },
      (err: unknown) => {
        if (!stale) failed(err);
      },
    );
    return () => {
      stale = true;
    };
  }, [client, key, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, setData, reload };
}
