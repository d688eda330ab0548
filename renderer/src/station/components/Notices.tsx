import { useTranslation } from 'react-i18next';
import { Icon } from '../../common/components/Icon.js';

export interface Notice {
  id: number;
  tone: 'info' | 'error';
  text: string;
}

/** Short messages about what just happened (a scan that matched nothing, an action refused). */
export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  const { t } = useTranslation();
  return (
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
}
