import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { Icon } from '../../common/components/Icon.js';
import { useTopModal } from '../../common/components/Modal.js';

export interface Notice {
  id: number;
  tone: 'info' | 'error';
  text: string;
}

/**
 * Short messages about what just happened (a scan that matched nothing, an action refused). While
 * a modal dialog is open they render inside it: the page behind it is inert and below it.
 */
export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  const { t } = useTranslation();
  const modal = useTopModal();
  const list = (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice--${n.tone}`}>
          <span>{n.text}</span>
          <button type="button" className="btn btn--small btn--quiet" aria-label={t('notice.dismiss')} onClick={() => onDismiss(n.id)}>
            <Icon name="close" size={16} />
          </button>
        </div>
      ))}
    </div>
  );
  return modal ? createPortal(list, modal) : list;
}
