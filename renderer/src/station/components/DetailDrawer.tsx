import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView, Label, RunDetail } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { formatStepDuration, formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { useStation } from '../state/context.js';
import { eventMessageText, instructionText, labelText, tileState, waitsForTechnician } from '../state/device-text.js';
import { qrProvisioningOf } from '../state/qr-provisioning.js';
import { CancelButton } from './CancelButton.js';
import type { TileAction } from './Tile.js';
import { isRunClosed } from '../../../../shared/contract/run-state.js';

/** Re-reads the run at most this often while the device keeps changing. */
const REFRESH_MS = 400;

function useRunDetail(device: DeviceView | undefined, live: boolean) {
  const { client } = useStation();
  // What was read last, with the run it belongs to: a drawer that moved to another run shows nothing
  // of the previous one.
  const [loaded, setLoaded] = useState<{ runId: string; detail: RunDetail | null; error: string | null } | null>(null);
  const runId = device?.runId ?? null;
  // The run the drawer shows now (null once it closed): an answer for another run is dropped.
  const currentRun = useRef(runId);
  const lastLoad = useRef(0);

  useEffect(() => {
    currentRun.current = runId;
    lastLoad.current = 0;
    return () => void (currentRun.current = null);
  }, [runId]);

  // Throttled, not debounced: a device that changes every 50 ms still gets a fresh timeline.
  useEffect(() => {
    if (!runId || !live) return;
    const delay = Math.max(0, lastLoad.current + REFRESH_MS - Date.now());
    const timer = setTimeout(() => {
      lastLoad.current = Date.now();
      client.api.runDetail({ runId }).then(
        (d) => {
          if (currentRun.current === runId) setLoaded({ runId, detail: d, error: null });
        },
        (err: Error) => {
          // The last good timeline stays on screen beside the error.
          if (currentRun.current === runId) setLoaded((prev) => ({ runId, detail: prev?.runId === runId ? prev.detail : null, error: err.message }));
        },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [client, runId, live, device]);

  const current = loaded !== null && loaded.runId === runId ? loaded : null;
  return { detail: current?.detail ?? null, error: current?.error ?? null };
}

/** Everything about one device: step timeline with durations, captured values, log, next step. */
export function DetailDrawer({
  device,
  live,
  onClose,
  onAction,
}: {
  device: DeviceView | undefined;
  live: boolean;
  onClose: () => void;
  onAction: (action: TileAction, device: DeviceView) => void;
}) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const eventText = (e: Parameters<typeof eventMessageText>[0], label: Label | null) => eventMessageText(e, label, t, language);
  const { detail, error } = useRunDetail(device, live);
  if (!device) return null;
  const state = tileState(device);
  const title = device.name ?? device.serial;

  return (
    <Modal variant="drawer" label={`${t('detail.title')}: ${device.slot ?? ''} ${title}`} onClose={onClose} className="drawer">
      <header className={`drawer__head tile--${state}`}>
        <div className="drawer__band tile__band">
          <span className="tile__slot">{device.slot}</span>
          <span className="tile__state">
            <Icon name={state} size={22} />
            {t(`state.${state}`)}
          </span>
        </div>
        <div className="drawer__title">
          <h2>{title}</h2>
          <button type="button" className="btn btn--small" onClick={onClose} data-autofocus>
            <Icon name="close" />
            {t('action.close')}
            <kbd>Esc</kbd>
          </button>
        </div>
        <p className="drawer__instruction">{instructionText(device, t, language)}</p>
        <div className="drawer__actions">
          {waitsForTechnician(device) ? (
            <button type="button" className="btn btn--primary" disabled={!live} onClick={() => onAction('confirm', device)}>
              <Icon name="check" />
              {t('action.confirm')}
            </button>
          ) : null}
          {qrProvisioningOf(device) ? (
            <button type="button" className="btn" onClick={() => onAction('qrSheet', device)}>
              <Icon name="print" />
              {t('qr.openSheet')}
            </button>
          ) : null}
          {state === 'failed' ? (
            <>
              <button type="button" className="btn btn--primary" disabled={!live} onClick={() => onAction('retry', device)}>
                <Icon name="retry" />
                {t('action.retry')}
              </button>
              <button type="button" className="btn" disabled={!live} onClick={() => onAction('skip', device)}>
                <Icon name="skip" />
                {t('action.skip')}
              </button>
            </>
          ) : null}
          {device.runId && !isRunClosed(state) ? <CancelButton device={device} disabled={!live} onAction={onAction} /> : null}
        </div>
      </header>

      <div className="drawer__body">
        <dl className="facts">
          <dt>{t('detail.serial')}</dt>
          <dd className="mono">{device.serial}</dd>
          <dt>{t('detail.model')}</dt>
          <dd>{device.model}</dd>
          <dt>{t('detail.os')}</dt>
          <dd>{device.osVersion ?? '–'}</dd>
          <dt>{t('detail.blueprint')}</dt>
          <dd>{device.blueprint ?? '–'}</dd>
          <dt>{t('detail.started')}</dt>
          <dd>{formatTime(device.startedAt, language, true) || '–'}</dd>
        </dl>

        {!device.runId ? <p>{t('detail.noRun')}</p> : null}
        {error ? <p className="drawer__error">{t('detail.loadFailed', { message: error })}</p> : null}
        {device.runId && !detail && !error ? <p>{t('detail.loading')}</p> : null}

        {detail ? (
          <>
            <section className="drawer__section" aria-labelledby="next-step">
              <h3 id="next-step">{t('detail.next')}</h3>
              <p className="next-step">{detail.nextStep ? labelText(detail.nextStep, language) : t('detail.nextNone')}</p>
            </section>

            <section className="drawer__section" aria-labelledby="timeline">
              <h3 id="timeline">{t('detail.timeline')}</h3>
              <ol className="timeline">
                {detail.steps.map((step) => (
                  <li key={step.id} className={`timeline__step timeline__step--${step.status}`} data-step={step.id} data-status={step.status}>
                    <span className="timeline__index">{step.index + 1}</span>
                    <span className="timeline__label">{labelText(step.label, language)}</span>
                    <span className="timeline__status">{t(`detail.status.${step.status}`)}</span>
                    <span className="timeline__duration">{formatStepDuration(step.durationMs, language)}</span>
                    {step.attempts > 1 ? <span className="timeline__attempts">{t('detail.stepAttempts', { count: step.attempts })}</span> : null}
                    {step.message && (step.status === 'failed' || step.status === 'waiting') ? (
                      <span className="timeline__message">{eventText(step, step.label)}</span>
                    ) : null}
                  </li>
                ))}
              </ol>
            </section>

            <section className="drawer__section" aria-labelledby="captured">
              <h3 id="captured">{t('detail.captured')}</h3>
              {Object.keys(detail.captured).length === 0 ? (
                <p className="muted">{t('detail.noCaptured')}</p>
              ) : (
                <dl className="facts captured">
                  {Object.entries(detail.captured).map(([key, value]) => (
                    <div key={key} className="facts__row">
                      <dt>{t(`detail.capturedKeys.${key}`, { defaultValue: key })}</dt>
                      <dd className="mono">{value}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </section>

            <section className="drawer__section" aria-labelledby="log">
              <h3 id="log">{t('detail.log')}</h3>
              {detail.events.length === 0 ? (
                <p className="muted">{t('detail.noEvents')}</p>
              ) : (
                <ol className="log">
                  {detail.events.map((e, i) => (
                    <li key={i}>
                      <span className="log__time">{formatTime(e.at, language, true)}</span>
                      <span className="log__step">{e.step ?? ''}</span>
                      <span className="log__kind">{t(`detail.eventKinds.${e.kind}`, { defaultValue: e.kind })}</span>
                      <span className="log__message">{eventText(e, detail.steps.find((s) => s.id === e.step)?.label ?? null)}</span>
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </>
        ) : null}
      </div>
    </Modal>
  );
}
