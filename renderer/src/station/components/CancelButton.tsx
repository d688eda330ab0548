import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView } from '../../../../shared/contract/station-api.js';
import type { TileAction } from './Tile.js';

/** Cancelling a run cannot be undone: the first press arms the button, the second (within 4 s) cancels. */
export function CancelButton({
  device,
  disabled,
  onAction,
}: {
  device: DeviceView;
  disabled: boolean;
  onAction: (action: TileAction, device: DeviceView) => void;
}) {
  const { t } = useTranslation();
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 4000);
    return () => clearTimeout(timer);
  }, [armed]);
  return (
    <button
      type="button"
      className={`btn btn--quiet${armed ? ' btn--danger' : ''}`}
      disabled={disabled}
      onClick={(e) => {
        e.stopPropagation();
        if (armed) {
          setArmed(false);
          onAction('cancel', device);
        } else setArmed(true);
      }}
    >
      {armed ? t('action.cancelConfirm') : t('action.cancel')}
    </button>
  );
}
