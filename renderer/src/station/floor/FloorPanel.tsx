import { useTranslation } from 'react-i18next';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { useStationState } from '../state/context.js';
import type { Say } from './floor-feedback.js';
import { ExportTab } from './tabs/ExportTab.js';
import { LabelsTab } from './tabs/LabelsTab.js';
import { LibraryTab } from './tabs/LibraryTab.js';
import { OrdersTab } from './tabs/OrdersTab.js';
import { PackTab } from './tabs/PackTab.js';
import type { Packing } from './use-packing.js';
import './floor.css';

export type FloorTab = 'orders' | 'pack' | 'labels' | 'export' | 'library';
const TABS: readonly FloorTab[] = ['orders', 'pack', 'labels', 'export', 'library'];

export interface FloorPanelProps {
  onClose: () => void;
  notify: Say;
  /** The tab shown; the app keeps it, as the packing tab is packing mode (scans go into the unit). */
  tab: FloorTab;
  onTab: (tab: FloorTab) => void;
  packing: Packing;
}

/** The floor panel's frame: its tabs (one file each under tabs/) for orders, packing, labels and export. */
export function FloorPanel({ onClose, notify, tab, onTab, packing }: FloorPanelProps) {
  const { t } = useTranslation();
  const devices = useStationState((s) => s.devices);
  const shift = useStationState((s) => s.shift);
  return (
    <Modal variant="drawer" label={t('floor.title')} onClose={onClose} className="floor-panel">
      <div className="drawer__head">
        <div className="drawer__title">
          <h2>{t('floor.title')}</h2>
          <button type="button" className="btn btn--small" onClick={onClose}>
            <Icon name="close" />
            {t('floor.close')}
          </button>
        </div>
        <div className="floor-tabs" role="tablist">
          {TABS.map((k) => (
            <button key={k} type="button" role="tab" aria-selected={tab === k} className={`btn${tab === k ? ' btn--primary' : ''}`} onClick={() => onTab(k)}>
              {t(`floor.tabs.${k}`)}
            </button>
          ))}
        </div>
      </div>
      <div className="drawer__body">
        {tab === 'orders' ? <OrdersTab devices={devices} notify={notify} /> : null}
        {tab === 'pack' ? <PackTab notify={notify} packing={packing} /> : null}
        {tab === 'labels' ? <LabelsTab devices={devices} notify={notify} /> : null}
        {tab === 'export' ? <ExportTab shift={shift} notify={notify} /> : null}
        {tab === 'library' ? <LibraryTab notify={notify} /> : null}
      </div>
    </Modal>
  );
}

/** The header's way into the panel (orders, packing, export). */
export function FloorButton({ onOpen }: { onOpen: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="btn btn--small floor-open" onClick={onOpen} data-testid="floor-open">
      {t('floor.open')}
    </button>
  );
}
