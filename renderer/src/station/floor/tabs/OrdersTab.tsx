import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OrderImportReportView, OrderProgressView } from '../../../../../shared/contract/floor-api.js';
import type { DeviceView } from '../../../../../shared/contract/station-api.js';
import { formatDate } from '../../../common/format.js';
import { currentLanguage } from '../../../common/i18n/index.js';
import { useStation } from '../../state/context.js';
import { errorText as deviceErrorText } from '../../state/device-text.js';
import { attempt, errorText, type Say } from '../floor-feedback.js';
import { useStationQuery } from '../use-station-query.js';

/** Order import (with its refused lines), devices waiting for an order, progress per order, the current batch, goods receipt. */
export function OrdersTab({ devices, notify }: { devices: ReadonlyMap<string, DeviceView>; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const onError = (err: unknown) => notify('error', errorText(err));
  const orders = useStationQuery((api) => api.listOrders({}), { initial: [], onError });
  const batch = useStationQuery((api) => api.currentBatch({}), { initial: null, onError });
  const [report, setReport] = useState<OrderImportReportView | null>(null);
  const [receiptOrder, setReceiptOrder] = useState('');
  const [serial, setSerial] = useState('');
  const [lastReceipt, setLastReceipt] = useState<string | null>(null);
  const reload = () => {
    orders.reload();
    batch.reload();
  };

  const onFile = (file: File | undefined) => {
    if (!file) return;
    void attempt(notify, async () => {
      const r = await client.api.importOrders({ csv: await file.text(), fileName: file.name });
      setReport(r);
      notify(
        r.ok ? 'info' : 'error',
        r.ok ? t('floor.orders.imported', { file: file.name, ...r }) : t('floor.orders.refused', { file: file.name, count: r.issues.length }),
      );
      reload();
    });
  };

  const receive = (e: FormEvent) => {
    e.preventDefault();
    const s = serial.trim();
    if (!s) return;
    setSerial('');
    void attempt(notify, async () => {
      const r = await client.api.receiveSerial(receiptOrder ? { serial: s, orderId: receiptOrder } : { serial: s });
      const text = t(`floor.orders.receiptResult.${r.status}`, { serial: r.serial, order: r.orderId ?? '' });
      setLastReceipt(text);
      notify(r.status === 'unexpected' ? 'error' : 'info', text);
      reload();
    });
  };

  const waiting = [...devices.values()].filter((d) => d.runId === null && d.error?.code === 'needs_assignment');

  return (
    <>
      <section className="drawer__section">
        <h3>{t('floor.orders.import')}</h3>
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label={t('floor.orders.import')}
          data-testid="order-file"
          onChange={(e) => onFile(e.currentTarget.files?.[0])}
        />
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
            <AssignRow key={d.serial} device={d} orders={orders.data} notify={notify} />
          ))}
        </section>
      ) : null}

      <section className="drawer__section">
        <h3>{t('floor.orders.order')}</h3>
        {orders.data.length === 0 ? <p className="muted">{t('floor.orders.none')}</p> : null}
        {orders.data.length ? (
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
              {orders.data.map((o) => (
                <tr key={o.id}>
                  <td>
                    {o.id}
                    <br />
                    <span className="muted">{o.customer}</span>
                  </td>
                  <td>{o.school}</td>
                  <td>{formatDate(o.deadline, currentLanguage())}</td>
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
          {batch.data && !batch.data.orderId ? (
            <span className="field__hint" data-testid="batch-blueprint">
              {t('floor.orders.batchBlueprint', { blueprint: batch.data.blueprint, school: batch.data.school })}
            </span>
          ) : null}
          <select
            className="input"
            value={batch.data?.orderId ?? ''}
            onChange={(e) => {
              const orderId = e.target.value;
              void attempt(notify, async () => batch.setData(await client.api.setCurrentBatch(orderId ? { orderId } : { clear: true })));
            }}
          >
            <option value="">{t('floor.orders.batchNone')}</option>
            {orders.data.map((o) => (
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
          <input
            className="input"
            value={serial}
            onChange={(e) => setSerial(e.target.value)}
            aria-label={t('floor.orders.receipt')}
            autoComplete="off"
            spellCheck={false}
          />
          <select className="input" value={receiptOrder} onChange={(e) => setReceiptOrder(e.target.value)} aria-label={t('floor.orders.receiptOrder')}>
            <option value="">{t('floor.orders.receiptAny')}</option>
            {orders.data.map((o) => (
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

/** A device the core could not match to an order: pick one and assign it. */
function AssignRow({ device, orders, notify }: { device: DeviceView; orders: OrderProgressView[]; notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  // The first order until another is picked (the list arrives after the row: a fixed start value stayed empty).
  const [picked, setOrder] = useState('');
  const order = picked || orders[0]?.id || '';
  return (
    <div className="field-row">
      <span>
        <strong>{device.slot ?? '?'}</strong> {device.serial} – {deviceErrorText(device, t, currentLanguage())}
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
        onClick={() =>
          void attempt(
            notify,
            () => client.api.assignDevice({ serial: device.serial, orderId: order }),
            t('floor.orders.assigned', { serial: device.serial, order }),
          )
        }
      >
        {t('floor.orders.assign')}
      </button>
    </div>
  );
}
