import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';

const OPEN_KEY = 'benchline.simulatorOpen';

/** Whether the simulator panel was open last time (remembered per browser). */
export function storedSimulatorOpen(): boolean {
  try {
    return window.localStorage.getItem(OPEN_KEY) === '1';
  } catch {
    return false;
  }
}

export function storeSimulatorOpen(open: boolean): void {
  try {
    window.localStorage.setItem(OPEN_KEY, open ? '1' : '0');
  } catch {
    // Not remembered; fine.
  }
}

/** The header's switch for the simulator panel: a button among the others, never over a tile. */
export function SimulatorToggle({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="btn btn--small sim-toggle" onClick={onToggle} aria-expanded={open} aria-pressed={open}>
      <Icon name="plug" />
      <span className="narrow-hide">{t('sim.show')}</span>
    </button>
  );
}

/**
 * Training and demos: plug simulated devices (optionally failing at a step), unplug and replug the
 * selected one. Docked below the grid while open (the grid makes room), never over a tile.
 */
export function SimulatorPanel({
  selected,
  live,
  onPlug,
  onUnplug,
  onReplug,
}: {
  selected: DeviceView | undefined;
  live: boolean;
  onPlug: (count: number, failAt: string | undefined) => void;
  onUnplug: (serial: string) => void;
  onReplug: (serial: string) => void;
}) {
  const { t } = useTranslation();
  const [count, setCount] = useState('4');
  const [failAt, setFailAt] = useState('');
  const plug = (e: FormEvent) => {
    e.preventDefault();
    const n = Math.max(1, Math.min(256, Math.round(Number(count)) || 1));
    onPlug(n, failAt.trim() || undefined);
  };

  return (
    <aside className="sim" aria-label={t('sim.title')}>
      <h2 className="sim__head">
        <Icon name="plug" />
        {t('sim.training')}
      </h2>
      <form className="sim__row" onSubmit={plug}>
        <label className="field field--narrow">
          <span className="field__label">{t('sim.count')}</span>
          <input className="input" type="number" min={1} max={256} value={count} onChange={(e) => setCount(e.target.value)} name="count" />
        </label>
        <label className="field">
          <span className="field__label">{t('sim.failAt')}</span>
          <input
            className="input"
            value={failAt}
            placeholder={t('sim.failAtPlaceholder')}
            onChange={(e) => setFailAt(e.target.value)}
            name="failAt"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="btn btn--primary" disabled={!live}>
          <Icon name="plug" />
          {t('sim.plug')}
        </button>
      </form>
      <div className="sim__row">
        <span className="sim__selected">{selected ? t('sim.selected', { slot: selected.slot ?? '', serial: selected.serial }) : t('sim.noSelection')}</span>
        <button type="button" className="btn" disabled={!live || !selected || !selected.present} onClick={() => selected && onUnplug(selected.serial)}>
          {t('sim.unplug')}
        </button>
        <button type="button" className="btn" disabled={!live || !selected || selected.present} onClick={() => selected && onReplug(selected.serial)}>
          {t('sim.replug')}
        </button>
      </div>
    </aside>
  );
}
