import type { TFunction } from 'i18next';
import type { ScanResult } from '../../../../shared/contract/floor-api.js';

/**
 * What the technician reads after a scan the station resolved (an order, a badge, a device that is
 * not plugged in, a code it does not know). Units and packed devices are the packing mode's to say.
 */
export function scanText(t: TFunction, r: ScanResult): { tone: 'info' | 'error'; text: string } | null {
  switch (r.kind) {
    case 'order':
      return {
        tone: 'info',
        text: t('batch.chosen', { order: r.batch.orderId ?? r.batch.blueprint, school: r.batch.school, blueprint: r.batch.blueprint, count: r.started }),
      };
    case 'badge':
      return { tone: 'info', text: t('floor.signedIn', { name: r.operator }) };
    case 'device':
      return { tone: 'error', text: t('notice.notPlugged', { code: r.serial }) };
    case 'unknown':
      return { tone: 'error', text: t('notice.unknownCode', { code: r.code }) };
    default:
      return null;
  }
}
