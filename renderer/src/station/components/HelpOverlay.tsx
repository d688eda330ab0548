import { useTranslation } from 'react-i18next';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { NEW_DEVICE_CODE } from '../state/new-device.js';

/** Key names (and the scanned command code) are symbols, not text: they stay the same in every language. */
const SHORTCUTS: [keys: string[], text: string][] = [
  [['←', '↑', '→', '↓'], 'help.arrows'],
  [['Enter'], 'help.enter'],
  [['R'], 'help.retry'],
  [['S'], 'help.skip'],
  [['D'], 'help.details'],
  [['N'], 'help.next'],
  [['P'], 'help.pack'],
  [['E'], 'help.export'],
  [['/'], 'help.find'],
  [['Esc'], 'help.escape'],
  [['?'], 'help.help'],
  [[NEW_DEVICE_CODE], 'help.newDevice'],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal variant="dialog" label={t('help.title')} onClose={onClose} className="help">
      <div className="dialog__head">
        <h2>{t('help.title')}</h2>
        <button type="button" className="btn btn--small" onClick={onClose} data-autofocus>
          <Icon name="close" />
          {t('help.close')}
        </button>
      </div>
      <p>{t('help.intro')}</p>
      <table className="shortcuts">
        <tbody>
          <tr>
            <th scope="row">
              <kbd>{t('help.scanKey')}</kbd>
            </th>
            <td>{t('help.scan')}</td>
          </tr>
          <tr>
            <th scope="row">
              <kbd>{t('help.scanKey')}</kbd> <kbd>{t('help.scanKey')}</kbd>
            </th>
            <td>{t('help.scanConfirm')}</td>
          </tr>
          {SHORTCUTS.map(([keys, text]) => (
            <tr key={text}>
              <th scope="row">
                {keys.map((k) => (
                  <kbd key={k}>{k}</kbd>
                ))}
              </th>
              <td>{t(text)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
