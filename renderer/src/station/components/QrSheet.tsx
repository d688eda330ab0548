import { useTranslation } from 'react-i18next';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import type { QrProvisioning } from '../state/qr-provisioning.js';
import { QrCode } from './QrCode.js';

/**
 * The QR provisioning sheet: the code large enough to scan from the screen, and printed on one A4
 * page with the DPC, the Wi-Fi name and the steps (qr.css hides everything else in print). It is
 * printed by the browser from what the tile already holds, so the payload with its Wi-Fi password
 * goes to no server, file or log; the sheet shows the password only inside the code.
 */
export function QrSheet({ qr, blueprint, onClose }: { qr: QrProvisioning; blueprint: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const security = qr.wifiSecurity ? t(`qr.security.${qr.wifiSecurity}`, { defaultValue: qr.wifiSecurity }) : null;
  return (
    <Modal variant="dialog" label={t('qr.sheetTitle')} onClose={onClose} className="qr-sheet-dialog">
      <article className="qr-sheet" data-testid="qr-sheet">
        <h2 className="qr-sheet__title">{t('qr.sheetTitle')}</h2>
        <QrCode text={qr.payload} label={t('qr.alt', { dpc: qr.dpc })} className="qr--sheet" />
        <dl className="qr-sheet__facts">
          <dt>{t('qr.dpc')}</dt>
          <dd className="mono">{qr.dpc}</dd>
          {qr.component ? (
            <>
              <dt>{t('qr.component')}</dt>
              <dd className="mono">{qr.component}</dd>
            </>
          ) : null}
          <dt>{t('qr.wifi')}</dt>
          <dd data-testid="qr-sheet-wifi">{qr.wifiSsid ? (security ? `${qr.wifiSsid} (${security})` : qr.wifiSsid) : t('qr.wifiNone')}</dd>
          {blueprint ? (
            <>
              <dt>{t('qr.blueprint')}</dt>
              <dd>{blueprint}</dd>
            </>
          ) : null}
        </dl>
        <ol className="qr-sheet__steps">
          <li>{t('qr.step1')}</li>
          <li>{t('qr.step2')}</li>
          <li>{t(qr.wifiSsid ? 'qr.step3' : 'qr.step3NoWifi', { dpc: qr.dpc })}</li>
          <li>{t('qr.step4')}</li>
        </ol>
        {qr.wifiSsid ? <p className="qr-sheet__secret">{t('qr.secretNote')}</p> : null}
        <div className="qr-sheet__actions">
          <button type="button" className="btn btn--primary" data-autofocus onClick={() => window.print()}>
            <Icon name="print" />
            {t('qr.printNow')}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            <Icon name="close" />
            {t('action.close')}
          </button>
        </div>
      </article>
    </Modal>
  );
}
