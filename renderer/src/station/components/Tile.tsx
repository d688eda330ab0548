import { memo, type MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { instructionText, labelText, nameParts, tileState, transferText, waitsForTechnician } from '../state/device-text.js';
import { reidentifiablePort } from '../state/new-device.js';
import { qrProvisioningOf } from '../state/qr-provisioning.js';
import { PortLabel } from '../bench/PortLabel.js';
import { Elapsed } from './Elapsed.js';
import { QrCode } from './QrCode.js';
import { isRunClosed } from '../../../../shared/contract/run-state.js';

export type TileAction = 'retry' | 'skip' | 'cancel' | 'confirm' | 'details' | 'newDevice' | 'qrSheet';

export interface TileProps {
  device: DeviceView;
  focused: boolean;
  /** The roving tab stop: one tile of the grid is reachable with Tab. */
  tabStop: boolean;
  live: boolean;
  onAction: (action: TileAction, device: DeviceView) => void;
  onSelect: (serial: string) => void;
}

/**
 * One slot of the bench, readable from a metre away: slot, name or serial, model, step, progress,
 * elapsed time, and the state as colour, icon and word, with the one thing to do now.
 */
function TileView({ device, focused, tabStop, live, onAction, onSelect }: TileProps) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const state = tileState(device);
  const failed = state === 'failed';
  const confirmable = waitsForTechnician(device);
  const finished = isRunClosed(state);
  // A serial device sits on a fixed cable: the technician says when another one is on it.
  const swappable = reidentifiablePort(device) !== null;
  // A tablet enrolling over the air: the tile shows the provisioning QR code to scan from it.
  const qr = qrProvisioningOf(device);
  const stepLabel = labelText(device.stepLabel, language);
  const instruction = instructionText(device, t, language, focused);
  const transfer = transferText(device, t, language);
  const title = device.name ?? device.serial;
  const name = nameParts(title);
  const stepNumber = Math.min(device.stepIndex + 1, device.stepCount);
  // A device in a port the bench layout does not know keeps its tile, labelled with the port.
  const where = device.slot ?? (device.portPath ? t('bench.unmappedPort', { port: device.portPath }) : '–');
  const act = (action: TileAction) => (e: MouseEvent) => {
    e.stopPropagation();
    onAction(action, device);
  };

  return (
    <article
      className={`tile tile--${state}${focused ? ' tile--focused' : ''}${device.present ? '' : ' tile--absent'}${qr ? ' tile--qr' : ''}`}
      data-serial={device.serial}
      data-state={state}
      data-blueprint={device.blueprint ?? ''}
      data-slot={device.slot ?? ''}
      tabIndex={tabStop ? 0 : -1}
      data-port={device.portPath ?? ''}
      aria-label={t('tile.label', { slot: where, name: title, state: t(`state.${state}`) })}
      aria-current={focused ? 'true' : undefined}
      onFocus={(e) => {
        if (e.target === e.currentTarget) onSelect(device.serial);
      }}
      onClick={() => onAction('details', device)}
    >
      <header className="tile__band">
        {device.slot || !device.portPath ? <span className="tile__slot">{where}</span> : <PortLabel port={device.portPath} />}
        <span className="tile__state">
          <Icon name={state} size={22} />
          <span>{t(`state.${state}`)}</span>
        </span>
      </header>
      <div className="tile__body">
        <div className="tile__name" title={title}>
          <span className="tile__name-head">{name.head}</span>
          <span className="tile__name-tail">{name.tail}</span>
        </div>
        <div className="tile__model">
          {device.name ? <span className="tile__serial">{device.serial} · </span> : null}
          {device.model}
        </div>
        {device.runId && !finished ? (
          <div className="tile__step">
            <span className="tile__step-label">{stepLabel}</span>
            <span className="tile__step-count" aria-label={t('tile.stepOf', { index: stepNumber, count: device.stepCount })}>
              {t('tile.step', { index: stepNumber, count: device.stepCount })}
            </span>
          </div>
        ) : null}
        <div
          className="progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(device.progress * 100)}
          aria-label={stepLabel || t(`state.${state}`)}
        >
          <div className="progress__bar" style={{ transform: `scaleX(${device.progress})` }} />
        </div>
        {transfer ? <div className="tile__transfer">{transfer}</div> : null}
        {device.startedAt ? (
          <div className="tile__meta">
            <span className="tile__elapsed" aria-label={t(finished ? 'tile.duration' : 'tile.elapsed')}>
              <Icon name="queued" size={18} />
              {/* A failed run keeps counting: the device still holds its slot (and every browser shows the same). */}
              <Elapsed startedAt={device.startedAt} finishedAt={device.finishedAt} ticking={live && !finished} />
            </span>
            {device.attempts > 1 && !finished ? <span className="tile__attempts">{t('tile.attempts', { count: device.attempts })}</span> : null}
          </div>
        ) : null}
        {qr ? <QrCode text={qr.payload} label={t('qr.alt', { dpc: qr.dpc })} /> : null}
        <p className="tile__instruction">{instruction}</p>
        {failed || confirmable || swappable ? (
          <div className="tile__actions">
            {confirmable ? (
              <button type="button" className="btn btn--primary" disabled={!live} onClick={act('confirm')}>
                <Icon name="check" />
                {t('action.confirm')}
              </button>
            ) : null}
            {qr ? (
              <button type="button" className="btn" onClick={act('qrSheet')}>
                <Icon name="print" />
                {t('qr.openSheet')}
              </button>
            ) : null}
            {failed ? (
              <>
                <button type="button" className="btn btn--primary" disabled={!live} onClick={act('retry')}>
                  <Icon name="retry" />
                  {t('action.retry')}
                </button>
                <button type="button" className="btn" disabled={!live} onClick={act('skip')}>
                  <Icon name="skip" />
                  {t('action.skip')}
                </button>
              </>
            ) : null}
            {swappable ? (
              <button type="button" className="btn" data-testid="new-device" disabled={!live} onClick={act('newDevice')}>
                <Icon name="retry" />
                {t('action.newDevice')}
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
    </article>
  );
}

export const Tile = memo(TileView);

export function EmptySlot({ slot }: { slot: string }) {
  const { t } = useTranslation();
  return (
    <div className="tile tile--free" data-slot={slot} aria-hidden="true">
      <span className="tile__slot">{slot}</span>
      <span className="tile__free">{t('tile.free')}</span>
    </div>
  );
}
