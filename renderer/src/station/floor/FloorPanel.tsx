import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { CurrentBatch, OrderImportReportView, OrderProgressView, UnitView, labelSettingsSchema } from '../../../../shared/contract/floor-api.js';
import type { DeviceView, ShiftView } from '../../../../shared/contract/station-api.js';
import { Modal } from '../../common/components/Modal.js';
import { useStation } from '../state/context.js';
import { saveDownload } from './downloads.js';
import type { SaveFileRequest } from '../../transport/save-file.js';
import './floor.css';

type Tab = 'orders' | 'pack' | 'labels' | 'export';
type Say = (tone: 'info' | 'error', text: string) => void;

export interface FloorPanelProps {
  devices: ReadonlyMap<string, DeviceView>;
  shift: ShiftView | null;
  onClose: () => void;
  notify: Say;
  /** Open this unit for packing (its label was scanned). */
  unit?: string | undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type T = ReturnType<typeof useTranslation>['t'];

/** A download button's action: saved by the app (says where), cancelled (says nothing), or the browser's download. */
function saveFile(t: T, notify: Say, request: SaveFileRequest, route: string, fallbackName: string, failed: (text: string) => string = (text) => text): void {
  void saveDownload(request, route, fallbackName).then(
    (outcome) => {
      if ('saved' in outcome) notify('info', t('floor.export.saved', { path: outcome.saved }));
    },
    (err: unknown) => notify('error', message(err) === 'no-download' ? t('floor.export.noDownload') : failed(message(err))),
  );
}

/** Orders (import, goods receipt, current batch, devices waiting for an order), packing units, exports. */
export function FloorPanel({ devices, shift, onClose, notify, unit }: FloorPanelProps) {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>(unit ? 'pack' : 'orders');
  return (
    <Modal variant="drawer" label={t('floor.title')} onClose={onClose} className="floor-panel">
      <div className="drawer__head">
        <div className="drawer__title">
          <h2>{t('floor.title')}</h2>
        </div>
        <button type="button" className="btn btn--quiet" onClick={onClose}>
          {t('floor.close')}
        </button>
      </div>
      <div className="floor-tabs" role="tablist">
        {(['orders', 'pack', 'labels', 'export'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={`btn${tab === k ? ' btn--primary' : ''}`} onClick={() => setTab(k)}>
            {t(`floor.tabs.${k}`)}
          </button>
        ))}
      </div>
      <div className="drawer__body">
        {tab === 'orders' ? <OrdersTab devices={devices} notify={notify} /> : null}
        {tab === 'pack' ? <PackTab notify={notify} initialUnit={unit} /> : null}
        {tab === 'labels' ? <LabelsTab devices={devices} notify={notify} /> : null}
        {tab === 'export' ? (
          <>
            <ExportTab shift={shift} notify={notify} />
            <QuarantineSection notify={notify} />
          </>
        ) : null}
      </div>
    </Modal>
  );
}

function OrdersTab({ devices, notify }: { devices: ReadonlyMap<string, DeviceView>; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [orders, setOrders] = useState<OrderProgressView[]>([]);
  const [report, setReport] = useState<OrderImportReportView | null>(null);
  const [batch, setBatch] = useState<CurrentBatch | null>(null);
  const [receiptOrder, setReceiptOrder] = useState('');
  const [serial, setSerial] = useState('');
  const [lastReceipt, setLastReceipt] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setOrders(await client.api.listOrders({}));
      setBatch(await client.api.currentBatch({}));
    } catch (err) {
      notify('error', message(err));
    }
  }, [client, notify]);
  useEffect(() => void reload(), [reload]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      const r = await client.api.importOrders({ csv: await file.text(), fileName: file.name });
      setReport(r);
      notify(r.ok ? 'info' : 'error', r.ok ? t('floor.orders.imported', { file: file.name, ...r }) : t('floor.orders.refused', { file: file.name, count: r.issues.length }));
      await reload();
    } catch (err) {
      notify('error', message(err));
    }
  };

  const receive = async (e: FormEvent) => {
    e.preventDefault();
    const s = serial.trim();
    if (!s) return;
    setSerial('');
    try {
      const r = await client.api.receiveSerial(receiptOrder ? { serial: s, orderId: receiptOrder } : { serial: s });
      const text = t(`floor.orders.receiptResult.${r.status}`, { serial: r.serial, order: r.orderId ?? '' });
      setLastReceipt(text);
      notify(r.status === 'unexpected' ? 'error' : 'info', text);
      await reload();
    } catch (err) {
      notify('error', message(err));
    }
  };

  const waiting = [...devices.values()].filter((d) => d.error?.code === 'needs_assignment');

  return (
    <>
      <section className="drawer__section">
        <h3>{t('floor.orders.import')}</h3>
        <input type="file" accept=".csv,text/csv" aria-label={t('floor.orders.import')} data-testid="order-file" onChange={(e) => void onFile(e.currentTarget.files?.[0])} />
        <p className="field__hint">{t('floor.orders.importHint')}</p>
        {report && !report.ok ? (
          <ul className="floor-issues" role="alert" data-testid="order-issues">
            {report.issues.map((i, n) => (
              <li key={n}>
                <strong>{t('floor.orders.line', { line: i.line })}</strong>
                {i.column ? ` (${i.column})` : ''}: {i.message}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      {waiting.length ? (
        <section className="drawer__section" data-testid="waiting-devices">
          <h3>{t('floor.orders.waiting')}</h3>
          {waiting.map((d) => (
            <AssignRow key={d.serial} device={d} orders={orders} notify={notify} />
          ))}
        </section>
      ) : null}

      <section className="drawer__section">
        <h3>{t('floor.orders.order')}</h3>
        {orders.length === 0 ? <p className="muted">{t('floor.orders.none')}</p> : null}
        {orders.length ? (
          <table className="floor-table" data-testid="orders-table">
            <thead>
              <tr>
                <th>{t('floor.orders.order')}</th>
                <th>{t('floor.orders.school')}</th>
                <th>{t('floor.orders.deadline')}</th>
                <th>{t('floor.orders.expected')}</th>
                <th>{t('floor.orders.received')}</th>
                <th>{t('floor.orders.missing')}</th>
                <th>{t('floor.orders.unexpected')}</th>
                <th>{t('floor.orders.configured')}</th>
                <th>{t('floor.orders.packed')}</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id}>
                  <td>
                    {o.id}
                    <br />
                    <span className="muted">{o.customer}</span>
                  </td>
                  <td>{o.school}</td>
                  <td>{o.deadline}</td>
                  <td>{o.expected}</td>
                  <td>{o.received}</td>
                  <td>{o.missing}</td>
                  <td>{o.unexpected}</td>
                  <td>{o.configured}</td>
                  <td>{o.packed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <section className="drawer__section">
        <label className="field">
          <span className="field__label">{t('floor.orders.batch')}</span>
          <select
            className="input"
            value={batch?.orderId ?? ''}
            onChange={async (e) => {
              try {
                setBatch(await client.api.setCurrentBatch(e.target.value ? { orderId: e.target.value } : { clear: true }));
              } catch (err) {
                notify('error', message(err));
              }
            }}
          >
            <option value="">{t('floor.orders.batchNone')}</option>
            {orders.map((o) => (
              <option key={o.id} value={o.id}>
                {o.id} – {o.school}
              </option>
            ))}
          </select>
        </label>
      </section>

      <section className="drawer__section">
        <h3>{t('floor.orders.receipt')}</h3>
        <form className="field-row" onSubmit={receive}>
          <input className="input" value={serial} onChange={(e) => setSerial(e.target.value)} aria-label={t('floor.orders.receipt')} autoComplete="off" spellCheck={false} />
          <select className="input" value={receiptOrder} onChange={(e) => setReceiptOrder(e.target.value)} aria-label={t('floor.orders.receiptOrder')}>
            <option value="">{t('floor.orders.receiptAny')}</option>
            {orders.map((o) => (
              <option key={o.id} value={o.id}>
                {o.id}
              </option>
            ))}
          </select>
        </form>
        {lastReceipt ? <p role="status">{lastReceipt}</p> : null}
      </section>
    </>
  );
}

function AssignRow({ device, orders, notify }: { device: DeviceView; orders: OrderProgressView[]; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [order, setOrder] = useState(orders[0]?.id ?? '');
  return (
    <div className="field-row">
      <span>
        <strong>{device.slot ?? '?'}</strong> {device.serial} – {device.error?.message}
      </span>
      <select className="input" value={order} onChange={(e) => setOrder(e.target.value)} aria-label={`${t('floor.orders.order')} ${device.serial}`}>
        {orders.map((o) => (
          <option key={o.id} value={o.id}>
            {o.id} – {o.school}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="btn"
        disabled={!order}
        onClick={async () => {
          try {
            await client.api.assignDevice({ serial: device.serial, orderId: order });
            notify('info', t('floor.orders.assigned', { serial: device.serial, order }));
          } catch (err) {
            notify('error', message(err));
          }
        }}
      >
        {t('floor.orders.assign')}
      </button>
    </div>
  );
}

function PackTab({ notify, initialUnit }: { notify: Say; initialUnit?: string | undefined }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [units, setUnits] = useState<UnitView[]>([]);
  const [unit, setUnit] = useState<UnitView | null>(null);
  const [items, setItems] = useState<{ serial: string; deviceName: string | null }[]>([]);
  const [kind, setKind] = useState<'box' | 'cart'>('box');
  const [school, setSchool] = useState('');
  const [first, setFirst] = useState('');
  const [scan, setScan] = useState('');
  const [result, setResult] = useState<{ tone: 'info' | 'error'; text: string } | null>(null);
  const [reason, setReason] = useState('');

  const reload = useCallback(
    async (id?: string) => {
      try {
        setUnits(await client.api.listUnits({ state: 'open' }));
        const target = id ?? unit?.id;
        if (target) {
          const detail = await client.api.unitDetail({ unitId: target });
          setUnit(detail.unit);
          setItems(detail.items);
        }
      } catch (err) {
        notify('error', message(err));
      }
    },
    [client, notify, unit?.id],
  );
  useEffect(() => void reload(initialUnit), [initialUnit]); // eslint-disable-line react-hooks/exhaustive-deps

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const u = await client.api.createUnit({ kind, ...(school.trim() ? { school: school.trim() } : {}), ...(first.trim() ? { fromSerial: first.trim() } : {}) });
      setSchool('');
      setFirst('');
      await reload(u.id);
    } catch (err) {
      notify('error', message(err));
    }
  };

  const pack = async (e: FormEvent) => {
    e.preventDefault();
    const serial = scan.trim();
    if (!serial || !unit) return;
    setScan('');
    try {
      const r = await client.api.packDevice({ unitId: unit.id, serial });
      const out = r.ok ? { tone: 'info' as const, text: t(r.already ? 'floor.pack.already' : 'floor.pack.packed', { serial, unit: unit.id }) } : { tone: 'error' as const, text: r.message };
      setResult(out);
      if (!r.ok) notify('error', r.message);
      await reload(unit.id);
    } catch (err) {
      notify('error', message(err));
    }
  };

  const act = async (fn: () => Promise<unknown>, done?: string) => {
    try {
      await fn();
      if (done) notify('info', done);
      await reload(unit?.id);
    } catch (err) {
      notify('error', message(err));
    }
  };

  const dl = (format: 'pdf' | 'csv') =>
    saveFile(t, notify, { kind: 'unitManifest', params: { unitId: unit!.id, format } }, `/api/v1/units/${encodeURIComponent(unit!.id)}/manifest?format=${format}`, `packliste-${unit!.id}.${format}`);

  return (
    <>
      <section className="drawer__section">
        <h3>{t('floor.pack.newUnit')}</h3>
        <form className="field-row" onSubmit={create}>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as 'box' | 'cart')} aria-label={t('floor.pack.kind')}>
            <option value="box">{t('floor.pack.box')}</option>
            <option value="cart">{t('floor.pack.cart')}</option>
          </select>
          <input className="input" value={school} onChange={(e) => setSchool(e.target.value)} placeholder={t('floor.pack.school')} aria-label={t('floor.pack.school')} />
          <input className="input" value={first} onChange={(e) => setFirst(e.target.value)} placeholder={t('floor.pack.orFirst')} aria-label={t('floor.pack.orFirst')} autoComplete="off" spellCheck={false} />
          <button type="submit" className="btn btn--primary" disabled={!school.trim() && !first.trim()}>
            {t('floor.pack.create')}
          </button>
        </form>
        {units.length ? (
          <div className="field-row" aria-label={t('floor.pack.openUnits')}>
            {units.map((u) => (
              <button key={u.id} type="button" className={`btn btn--small${unit?.id === u.id ? ' btn--primary' : ''}`} onClick={() => void reload(u.id)}>
                {u.id} · {u.school} · {u.count}
              </button>
            ))}
          </div>
        ) : null}
      </section>

      <section className="drawer__section" data-testid="unit">
        {unit ? (
          <>
            <h3>
              {t('floor.pack.unit')} <span data-testid="unit-id">{unit.id}</span> · {unit.school} · {t('floor.pack.count', { count: unit.count })}
              {unit.state === 'closed' ? ` · ${t('floor.pack.closed')}` : ''}
            </h3>
            {unit.state === 'open' ? (
              <form className="field-row" onSubmit={pack}>
                <input className="input" value={scan} onChange={(e) => setScan(e.target.value)} aria-label={t('floor.pack.scan')} placeholder={t('floor.pack.scan')} autoComplete="off" spellCheck={false} data-autofocus />
              </form>
            ) : null}
            {result ? (
              <p className={result.tone === 'error' ? 'drawer__error' : undefined} role={result.tone === 'error' ? 'alert' : 'status'} data-testid="pack-result">
                {result.text}
              </p>
            ) : null}
            <ul className="floor-items" data-testid="unit-items">
              {items.map((i) => (
                <li key={i.serial}>
                  {i.serial}
                  {i.deviceName ? ` – ${i.deviceName}` : ''}
                </li>
              ))}
            </ul>
            <div className="field-row">
              {unit.state === 'open' ? (
                <button type="button" className="btn" disabled={unit.count === 0} onClick={() => void act(() => client.api.closeUnit({ unitId: unit.id }))}>
                  {t('floor.pack.closeUnit')}
                </button>
              ) : (
                <>
                  <input className="input" value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('floor.pack.reason')} aria-label={t('floor.pack.reason')} />
                  <button type="button" className="btn" disabled={reason.trim().length < 3} onClick={() => void act(() => client.api.reopenUnit({ unitId: unit.id, reason: reason.trim() })).then(() => setReason(''))}>
                    {t('floor.pack.reopen')}
                  </button>
                </>
              )}
              <button type="button" className="btn" onClick={() => void act(() => client.api.printUnitLabel({ unitId: unit.id }), t('floor.pack.labelPrinted', { unit: unit.id }))}>
                {t('floor.pack.label')}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => dl('pdf')}>
                {t('floor.pack.manifestPdf')}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => dl('csv')}>
                {t('floor.pack.manifestCsv')}
              </button>
            </div>
          </>
        ) : (
          <p className="muted">{t('floor.pack.none')}</p>
        )}
      </section>
    </>
  );
}

function ExportTab({ shift, notify }: { shift: ShiftView | null; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [shifts, setShifts] = useState<ShiftView[]>([]);
  const [chosen, setChosen] = useState<string>(shift?.id ?? 'last');
  useEffect(() => {
    // The shift list is not part of the StationApi: read it over HTTP like the downloads.
    void (async () => {
      try {
        const token = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token') ?? window.sessionStorage.getItem('benchline.token');
        if (!token) return;
        const res = await fetch('/api/v1/shifts', { headers: { authorization: `Bearer ${token}` } });
        if (res.ok) setShifts((await res.json()) as ShiftView[]);
      } catch {
        // Only the current shift is offered then.
      }
    })();
  }, [client]);
  const go = (format: 'csv' | 'json' | 'pdf', dialect: 'excel-de' | undefined, name: string) =>
    saveFile(
      t,
      notify,
      { kind: 'shiftExport', params: { shiftId: chosen, format, ...(dialect ? { dialect } : {}) } },
      `/api/v1/shifts/${encodeURIComponent(chosen)}/export?format=${format}${dialect ? `&dialect=${dialect}` : ''}`,
      name,
      (text) => t('floor.export.failed', { message: text }),
    );
  return (
    <section className="drawer__section">
      <label className="field">
        <span className="field__label">{t('floor.export.shift')}</span>
        <select className="input" value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="export-shift">
          {shift ? <option value={shift.id}>{`${shift.id} (${t('floor.export.current')})`}</option> : <option value="last">{t('floor.export.last')}</option>}
          {shifts.filter((s) => s.id !== shift?.id).map((s) => (
            <option key={s.id} value={s.id}>
              {s.id}
            </option>
          ))}
        </select>
      </label>
      <div className="field-row">
        <button type="button" className="btn" onClick={() => go('csv', undefined, 'schicht.csv')}>
          {t('floor.export.csv')}
        </button>
        <button type="button" className="btn" onClick={() => go('csv', 'excel-de', 'schicht-excel.csv')}>
          {t('floor.export.excel')}
        </button>
        <button type="button" className="btn" onClick={() => go('json', undefined, 'schicht.json')}>
          {t('floor.export.json')}
        </button>
        <button type="button" className="btn" onClick={() => go('pdf', undefined, 'schicht.pdf')}>
          {t('floor.export.pdf')}
        </button>
      </div>
      <div className="field-row">
        <button
          type="button"
          className="btn btn--quiet"
          onClick={() =>
            saveFile(t, notify, { kind: 'quarantineList', params: { dialect: 'excel-de', all: true } }, '/api/v1/quarantine?format=csv&dialect=excel-de&all=1', 'quarantaene.csv')
          }
        >
          {t('floor.export.quarantine')}
        </button>
      </div>
    </section>
  );
}

/** The header's way into the panel (orders, packing, export). */
export function FloorButton({ onOpen }: { onOpen: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="btn floor-open" onClick={onOpen} data-testid="floor-open">
      {t('floor.open')}
    </button>
  );
}

type LabelSettings = z.infer<typeof labelSettingsSchema>;
type PrinterKind = LabelSettings['printer']['kind'];

/** Label templates with a live preview (the device's own values, or sample values), reprint, and the printer. */
function LabelsTab({ devices, notify }: { devices: ReadonlyMap<string, DeviceView>; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [settings, setSettings] = useState<LabelSettings | null>(null);
  const [template, setTemplate] = useState('device-asset');
  const [serial, setSerial] = useState('');
  const [svg, setSvg] = useState<string | null>(null);
  const [kind, setKind] = useState<PrinterKind>('pdf-file');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('9100');
  const [queue, setQueue] = useState('');
  const [dir, setDir] = useState('');
  const withRun = [...devices.values()].filter((d) => d.runId);
  const runId = serial ? devices.get(serial)?.runId ?? undefined : undefined;

  useEffect(() => {
    void (async () => {
      try {
        const s = await client.api.labelSettings({});
        setSettings(s);
        setKind(s.printer.kind);
        if (s.printer.kind === 'zpl-tcp') {
          setHost(s.printer.host);
          setPort(String(s.printer.port));
        } else if (s.printer.kind === 'system') setQueue(s.printer.queue);
        else if (s.printer.kind === 'pdf-file') setDir(s.printer.dir);
      } catch (err) {
        notify('error', message(err));
      }
    })();
  }, [client, notify]);

  useEffect(() => {
    let stale = false;
    void (async () => {
      try {
        const p = await client.api.labelPreview(runId ? { template, runId } : { template });
        if (!stale) setSvg(p.svg);
      } catch (err) {
        if (!stale) {
          setSvg(null);
          notify('error', message(err));
        }
      }
    })();
    return () => {
      stale = true;
    };
  }, [client, notify, template, runId]);

  const savePrinter = async (e: FormEvent) => {
    e.preventDefault();
    const printer =
      kind === 'zpl-tcp' ? { kind, host: host.trim(), port: Number(port) } : kind === 'system' ? { kind, queue: queue.trim(), format: 'pdf' as const } : kind === 'pdf-file' ? { kind, dir: dir.trim() } : { kind };
    try {
      setSettings(await client.api.setLabelPrinter({ printer }));
      notify('info', t('floor.labels.saved'));
    } catch (err) {
      notify('error', message(err));
    }
  };

  return (
    <>
      <section className="drawer__section">
        <div className="field-row">
          <label className="field">
            <span className="field__label">{t('floor.labels.template')}</span>
            <select className="input" value={template} onChange={(e) => setTemplate(e.target.value)} aria-label={t('floor.labels.template')}>
              {(settings?.templates ?? [template]).map((id) => (
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
            onClick={async () => {
              try {
                await client.api.reprintLabel({ runId: runId! });
                notify('info', t('floor.labels.reprinted', { serial }));
              } catch (err) {
                notify('error', message(err));
              }
            }}
          >
            {t('floor.labels.reprint')}
          </button>
        </div>
        {svg ? <img className="floor-label-preview" alt={t('floor.labels.preview')} data-testid="label-preview" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} /> : null}
      </section>
      <section className="drawer__section">
        <h3>{t('floor.labels.printer')}</h3>
        <p className="muted">{settings ? t('floor.labels.now', { printer: settings.description }) : null}</p>
        <form className="field-row" onSubmit={savePrinter}>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as PrinterKind)} aria-label={t('floor.labels.kind')}>
            <option value="zpl-tcp">{t('floor.labels.kinds.zpl')}</option>
            <option value="system">{t('floor.labels.kinds.system')}</option>
            <option value="pdf-file">{t('floor.labels.kinds.pdf')}</option>
            <option value="none">{t('floor.labels.kinds.none')}</option>
          </select>
          {kind === 'zpl-tcp' ? (
            <>
              <input className="input" value={host} onChange={(e) => setHost(e.target.value)} placeholder={t('floor.labels.host')} aria-label={t('floor.labels.host')} />
              <input className="input" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" aria-label={t('floor.labels.port')} />
            </>
          ) : null}
          {kind === 'system' ? <input className="input" value={queue} onChange={(e) => setQueue(e.target.value)} placeholder={t('floor.labels.queue')} aria-label={t('floor.labels.queue')} /> : null}
          {kind === 'pdf-file' ? <input className="input" value={dir} onChange={(e) => setDir(e.target.value)} placeholder={t('floor.labels.dir')} aria-label={t('floor.labels.dir')} /> : null}
          <button type="submit" className="btn btn--primary">
            {t('floor.labels.save')}
          </button>
        </form>
      </section>
    </>
  );
}

/** Set a device aside with a reason (it leaves the pipeline), see the quarantine / return list, release one. */
function QuarantineSection({ notify }: { notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [list, setList] = useState<{ serial: string; reason: string; kind: string; school: string | null }[]>([]);
  const [serial, setSerial] = useState('');
  const [reason, setReason] = useState('');
  const reload = useCallback(async () => {
    try {
      setList(await client.api.listQuarantine({ includeReleased: false }));
    } catch (err) {
      notify('error', message(err));
    }
  }, [client, notify]);
  useEffect(() => void reload(), [reload]);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.api.quarantineDevice({ serial: serial.trim(), reason: reason.trim() });
      notify('info', t('floor.quarantine.added', { serial: serial.trim() }));
      setSerial('');
      setReason('');
      await reload();
    } catch (err) {
      notify('error', message(err));
    }
  };
  return (
    <section className="drawer__section" data-testid="quarantine">
      <h3>{t('floor.quarantine.title')}</h3>
      <form className="field-row" onSubmit={add}>
        <input className="input" value={serial} onChange={(e) => setSerial(e.target.value)} placeholder={t('floor.quarantine.serial')} aria-label={t('floor.quarantine.serial')} autoComplete="off" spellCheck={false} />
        <input className="input" value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('floor.quarantine.reason')} aria-label={t('floor.quarantine.reason')} />
        <button type="submit" className="btn btn--danger" disabled={!serial.trim() || reason.trim().length < 3}>
          {t('floor.quarantine.add')}
        </button>
      </form>
      {list.length === 0 ? <p className="muted">{t('floor.quarantine.empty')}</p> : null}
      <ul className="floor-items">
        {list.map((q) => (
          <li key={q.serial}>
            <strong>{q.serial}</strong>
            {` – ${q.reason}${q.school ? ` (${q.school})` : ''} `}
            <button
              type="button"
              className="btn btn--small btn--quiet"
              onClick={async () => {
                try {
                  await client.api.releaseQuarantine({ serial: q.serial, note: t('floor.quarantine.releaseNote') });
                  await reload();
                } catch (err) {
                  notify('error', message(err));
                }
              }}
            >
              {t('floor.quarantine.release')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
