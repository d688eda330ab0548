import { useTranslation } from 'react-i18next';
import type { Dashboard } from '../../../../shared/contract/hub-api.js';
import { formatNumber } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatDate(isoDate: string, lang: string): string {
  let f = dateFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
    dateFormats.set(lang, f);
  }
  const ms = Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`);
  return Number.isFinite(ms) ? f.format(ms) : isoDate;
}

/** Orders over all stations: what came, what is configured and packed, and whether the deadline holds. */
export function Orders({ orders }: { orders: Dashboard['orders'] }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const n = (v: number, d = 0) => formatNumber(v, lang, d);
  return (
    <section className="panel" aria-labelledby="orders-title">
      <h2 id="orders-title">{t('orders.title')}</h2>
      {orders.length === 0 ? (
        <p className="muted">{t('orders.none')}</p>
      ) : (
        <div className="orders__scroll">
          <table className="orders">
            <thead>
              <tr>
                <th scope="col">{t('orders.order')}</th>
                <th scope="col">{t('orders.customer')}</th>
                <th scope="col" className="num">
                  {t('orders.expected')}
                </th>
                <th scope="col" className="num">
                  {t('orders.received')}
                </th>
                <th scope="col" className="num">
                  {t('orders.configured')}
                </th>
                <th scope="col" className="num">
                  {t('orders.packed')}
                </th>
                <th scope="col" className="num">
                  {t('orders.perDay')}
                </th>
                <th scope="col">{t('orders.deadline')}</th>
                <th scope="col">{t('orders.forecast')}</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.orderId} className={o.late ? 'orders__late' : undefined} data-testid="order-row">
                  <th scope="row">{o.orderId}</th>
                  <td>
                    {o.customer}
                    <br />
                    <span className="muted">{o.school}</span>
                  </td>
                  <td className="num">{n(o.expected)}</td>
                  <td className="num">{n(o.received)}</td>
                  <td className="num">{n(o.configured)}</td>
                  <td className="num">{n(o.packed)}</td>
                  <td className="num">{n(o.perDay)}</td>
                  <td>{formatDate(o.deadline, lang)}</td>
                  <td>
                    {o.forecast === null ? <span className="muted">{t('orders.noRate')}</span> : formatDate(o.forecast, lang)}{' '}
                    {o.late ? (
                      <strong className="orders__flag">
                        <span aria-hidden="true">⚠</span> {t('orders.late')}
                      </strong>
                    ) : (
                      o.forecast !== null && <span className="orders__ok">{t('orders.onTime')}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
