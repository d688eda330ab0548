import { useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView, PortNoticeView } from '../../../../shared/contract/station-api.js';
import { PortTile } from '../bench/PortTile.js';
import { useStationState } from '../state/context.js';
import { gridLayout } from '../state/grid-layout.js';
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

/** The content box of the grid's scroll area (its parent), followed as the window or the header changes. */
function useAreaSize(): [React.RefObject<HTMLDivElement | null>, { width: number; height: number } | null] {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const area = ref.current?.parentElement;
    if (!area) return;
    const measure = () => {
      const style = getComputedStyle(area);
      const width = area.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const height = area.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      setSize((prev) => (prev && prev.width === width && prev.height === height ? prev : { width, height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(area);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

/** The bench: one section per hub with all its slots in order, sized to fit the screen; only changed tiles re-render. */
export function Grid({ devices, notices, order, focusedSerial, live, simulator, onAction, onSelect }: GridProps) {
  const { t } = useTranslation();
  const groups = useMemo(() => groupByHub([...devices.values()], [...(notices?.values() ?? [])]), [devices, notices]);
  const tabStop = focusedSerial && devices.has(focusedSerial) ? focusedSerial : (order[0] ?? null);
  const [ref, size] = useAreaSize();
  const layout = useMemo(
    () =>
      size
        ? gridLayout({ width: size.width, height: size.height, sections: groups.map((g) => g.cells.map((c) => c.devices.length + c.notices.length > 0)) })
        : null,
    [groups, size],
  );

  if (devices.size === 0 && (notices?.size ?? 0) === 0) {
    return (
      <div ref={ref} className="grid-empty" role="status">
        {t(simulator ? 'app.emptySimulator' : 'app.empty')}
      </div>
    );
  }
  const gridStyle = layout
    ? ({ '--cols': layout.columns, '--row-h': `${layout.rowHeight}px`, '--gap': `${layout.gap}px`, '--section-gap': `${layout.sectionGap}px` } as CSSProperties)
    : undefined;
  return (
    <div
      ref={ref}
      className={`grid grid--${layout?.density ?? 'normal'}${live ? '' : ' grid--stale'}`}
      style={gridStyle}
      role="region"
      aria-label={t('app.gridLabel')}
      data-columns={layout?.columns}
      data-fits={layout?.fits}
    >
      {groups.map((group, g) => (
        <section key={group.hub ?? '-'} className="hub" aria-label={group.hub ? t('app.hub', { hub: group.hub }) : t('app.otherPorts')}>
          <div
            className="hub__tiles"
            style={
              layout ? { gridTemplateRows: (layout.rows[g] ?? []).map((full) => (full ? 'var(--row-h)' : `${layout.freeRowHeight}px`)).join(' ') } : undefined
            }
          >
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
