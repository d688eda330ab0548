import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { PortNoticeView } from '../../../../shared/contract/station-api.js';
import { Icon, type IconName } from '../../common/components/Icon.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { PortLabel } from './PortLabel.js';
import './bench.css';

const ICON: Record<PortNoticeView['kind'], IconName> = {
  identifying: 'running',
  unsupported: 'cancelled',
  'no-access': 'failed',
  'driver-off': 'idle',
  'no-answer': 'waiting',
  'no-serial-port': 'waiting',
  'no-serial-number': 'waiting',
  duplicate: 'failed',
  unauthorized: 'waiting',
};

const HINTED: ReadonlySet<PortNoticeView['kind']> = new Set(['identifying', 'unsupported', 'no-access', 'driver-off']);

/**
 * A port with something in it that is not (yet) a device run: being identified, unsupported,
 * unreadable, or not answering. Same size and place as a device tile, so the technician sees at
 * the slot that something is there, what it is (its USB ids) and what to do.
 */
function PortTileView({ notice }: { notice: PortNoticeView }) {
  const { t } = useTranslation();
  const usb = notice.usb;
  const name = usb ? [usb.manufacturer, usb.product].filter(Boolean).join(' ') : '';
  const where = notice.slot ?? t('bench.unmappedPort', { port: notice.portPath });
  const kind = t(`bench.kind.${notice.kind}`);
  const ids = usb ? `${usb.vendorId}:${usb.productId}` : '';
  // What to do, in the technician's language where the kind says it all; the driver's message
  // where it carries the specifics (what the device answered, which port, which slot): its
  // catalogue text in the UI's language when it sent one, else the station's English.
  const specific = (notice.text && messageText(t, currentLanguage(), notice.text)) || notice.message;
  const hint = HINTED.has(notice.kind) ? t(`bench.hint.${notice.kind}`, { ids, port: notice.portPath }) : specific;
  return (
    <article
      className={`tile port-tile port-tile--${notice.kind}`}
      data-port={notice.portPath}
      data-kind={notice.kind}
      data-slot={notice.slot ?? ''}
      aria-label={t('bench.portTileLabel', { where, kind })}
    >
      <header className="tile__band">
        {notice.slot ? <span className="tile__slot">{notice.slot}</span> : <PortLabel port={notice.portPath} />}
        <span className="tile__state">
          <Icon name={ICON[notice.kind]} size={22} />
          <span>{kind}</span>
        </span>
      </header>
      <div className="tile__body">
        <div className="tile__name" title={name || undefined}>
          {name || t('bench.unknownDevice')}
        </div>
        <div className="tile__model port-tile__ids">
          {usb ? `USB ${usb.vendorId}:${usb.productId}` : notice.portPath}
          {usb?.serialNumber ? ` · ${usb.serialNumber}` : ''}
        </div>
        <p className="tile__instruction">{hint}</p>
      </div>
    </article>
  );
}

export const PortTile = memo(PortTileView);
