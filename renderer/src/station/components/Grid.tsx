import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView, PortNoticeView } from '../../../../shared/contract/station-api.js';
import { PortTile } from '../bench/PortTile.js';
import { useStationState } from '../state/context.js';
import { groupByHub } from '../state/slots.js';
import { EmptySlot, Tile, type TileAction } from './Tile.js';

export interface GridProps {
  devices: ReadonlyMap<string, DeviceView>;
  /** Port tiles (unsupported, unreadable, unidentified devices) by port path. */
  notices?: ReadonlyMap<string, PortNoticeView>;
  order: readonly string[];
  focusedSerial: string | null;
  live: boolean;
  simulator: boolean;
  onAction: (action: TileAction, device: DeviceView) => void;
  onSelect: (serial: string) => void;
}

/** The bench: one section per hub with all its slots in order; only changed tiles re-render. */
export function Grid({ devices, notices, order, focusedSerial, live, simulator, onAction, onSelect }: GridProps) {
  const { t } = useTranslation();
  const groups = useMemo(() => groupByHub([...devices.values()], [...(notices?.values() ?? [])]), [devices, notices]);
  const tabStop = focusedSerial && devices.has(focusedSerial) ? focusedSerial : (order[0] ?? null);

  if (devices.size === 0 && (notices?.size ?? 0) === 0) {
    return (
      <div className="grid-empty" role="status">
        {t(simulator ? 'app.emptySimulator' : 'app.empty')}
      </div>
    );
  }
  return (
    <div className={`grid${live ? '' : ' grid--stale'}`} role="region" aria-label={t('app.gridLabel')}>
      {groups.map((group) => (
        <section key={group.hub ?? '-'} className="hub" aria-label={group.hub ? t('app.hub', { hub: group.hub }) : t('app.otherPorts')}>
          <div className="hub__tiles">
            {group.cells.map((cell) =>
              cell.devices.length === 0 && cell.notices.length === 0 ? (
                <EmptySlot key={`free-${cell.slot}`} slot={cell.slot} />
              ) : cell.devices.length === 0 ? (
                cell.notices.map((notice) => <PortTile key={`port-${notice.portPath}`} notice={notice} />)
              ) : (
                cell.devices.map((device) => (
                  <Tile
                    key={device.serial}
                    device={device}
                    focused={device.serial === focusedSerial}
                    tabStop={device.serial === tabStop}
                    live={live}
                    onAction={onAction}
                    onSelect={onSelect}
                  />
                ))
              ),
            )}
          </div>
        </section>
      ))}
    </div>
  );
}

/** The grid over the station's live devices and port tiles: only this re-renders when a device changes, not the whole app. */
export function LiveGrid(props: Omit<GridProps, 'devices' | 'notices' | 'order'>) {
  const devices = useStationState((s) => s.devices);
  const notices = useStationState((s) => s.notices);
  const order = useStationState((s) => s.order);
  return <Grid devices={devices} notices={notices} order={order} {...props} />;
}
