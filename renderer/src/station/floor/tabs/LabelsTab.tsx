import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { labelSettingsSchema } from '../../../../../shared/contract/floor-api.js';
import type { DeviceView } from '../../../../../shared/contract/station-api.js';
import { useStation } from '../../state/context.js';
import { attempt, errorText, type Say } from '../floor-feedback.js';
import { useStationQuery } from '../use-station-query.js';

type LabelSettings = z.infer<typeof labelSettingsSchema>;
type PrinterKind = LabelSettings['printer']['kind'];

/** Label templates with a live preview (the device's own values, or sample values), reprint, and the printer. */
export function LabelsTab({ devices, notify }: { devices: ReadonlyMap<string, DeviceView>; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const onError = (err: unknown) => notify('error', errorText(err));
  const [template, setTemplate] = useState('device-asset');
  const [serial, setSerial] = useState('');
  const [kind, setKind] = useState<PrinterKind>('pdf-file');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('9100');
  const [queue, setQueue] = useState('');
  const [dir, setDir] = useState('');
  const withRun = [...devices.values()].filter((d) => d.runId);
  const runId = serial ? (devices.get(serial)?.runId ?? undefined) : undefined;
  const settings = useStationQuery((api) => api.labelSettings({}), { initial: null, onError });
  const preview = useStationQuery(async (api) => (await api.labelPreview(runId ? { template, runId } : { template })).svg, {
    initial: null,
    key: `${template}\n${runId ?? ''}`,
    onError,
    clearOnError: true,
  });

  // The printer form starts from the saved printer, and follows it when it is saved or read again
  // (adjusted while rendering, the way React recommends for state that follows a prop).
  const printer = settings.data?.printer;
  const [formPrinter, setFormPrinter] = useState<typeof printer>(undefined);
  if (printer && printer !== formPrinter) {
    setFormPrinter(printer);
    setKind(printer.kind);
    if (printer.kind === 'zpl-tcp') {
      setHost(printer.host);
      setPort(String(printer.port));
    } else if (printer.kind === 'system') setQueue(printer.queue);
    else if (printer.kind === 'pdf-file') setDir(printer.dir);
  }

  const savePrinter = (e: FormEvent) => {
    e.preventDefault();
    const next =
      kind === 'zpl-tcp'
        ? { kind, host: host.trim(), port: Number(port) }
        : kind === 'system'
          ? { kind, queue: queue.trim(), format: 'pdf' as const }
          : kind === 'pdf-file'
            ? { kind, dir: dir.trim() }
            : { kind };
    void attempt(notify, async () => settings.setData(await client.api.setLabelPrinter({ printer: next })), t('floor.labels.saved'));
  };

  return (
    <>
      <section className="drawer__section">
        <div className="field-row">
          <label className="field">
            <span className="field__label">{t('floor.labels.template')}</span>
            <select className="input" value={template} onChange={(e) => setTemplate(e.target.value)} aria-label={t('floor.labels.template')}>
              {(settings.data?.templates ?? [template]).map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field__label">{t('floor.labels.device')}</span>
            <select className="input" value={serial} onChange={(e) => setSerial(e.target.value)} aria-label={t('floor.labels.device')}>
              <option value="">{t('floor.labels.sample')}</option>
              {withRun.map((d) => (
                <option key={d.serial} value={d.serial}>
                  {`${d.slot ?? '?'} ${d.name ?? d.serial}`}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="btn"
            disabled={!runId}
            onClick={() => runId && void attempt(notify, () => client.api.reprintLabel({ runId }), t('floor.labels.reprinted', { serial }))}
          >
            {t('floor.labels.reprint')}
          </button>
        </div>
        {preview.data ? (
          <img
            className="floor-label-preview"
            alt={t('floor.labels.preview')}
            data-testid="label-preview"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(preview.data)}`}
          />
        ) : null}
      </section>
      <section className="drawer__section">
        <h3>{t('floor.labels.printer')}</h3>
        <p className="muted">{settings.data ? t('floor.labels.now', { printer: settings.data.description }) : null}</p>
        <form className="field-row" onSubmit={savePrinter}>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as PrinterKind)} aria-label={t('floor.labels.kind')}>
            <option value="zpl-tcp">{t('floor.labels.kinds.zpl')}</option>
            <option value="system">{t('floor.labels.kinds.system')}</option>
            <option value="pdf-file">{t('floor.labels.kinds.pdf')}</option>
            <option value="none">{t('floor.labels.kinds.none')}</option>
          </select>
          {kind === 'zpl-tcp' ? (
            <>
              <input
                className="input"
                value={host}
                onChange={(e) => setHost(e.target.value)}
                placeholder={t('floor.labels.host')}
                aria-label={t('floor.labels.host')}
              />
              <input className="input" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" aria-label={t('floor.labels.port')} />
            </>
          ) : null}
          {kind === 'system' ? (
            <input
              className="input"
              value={queue}
              onChange={(e) => setQueue(e.target.value)}
              placeholder={t('floor.labels.queue')}
              aria-label={t('floor.labels.queue')}
            />
          ) : null}
          {kind === 'pdf-file' ? (
            <input
              className="input"
              value={dir}
              onChange={(e) => setDir(e.target.value)}
              placeholder={t('floor.labels.dir')}
              aria-label={t('floor.labels.dir')}
            />
          ) : null}
          <button type="submit" className="btn btn--primary">
            {t('floor.labels.save')}
          </button>
        </form>
      </section>
    </>
  );
}
