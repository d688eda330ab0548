import { message } from '../../../../shared/messages/catalogue.js';
import { normalizeComponent } from '../device-output.js';
import { buildQrProvisioning } from '../qr-provisioning.js';
import type { AndroidStepTable } from './android-step.js';

/**
 * qr-provisioning: the tablet enrolls over the air. The step shows the provisioning payload and
 * waits for the technician's confirmation (a scan) once the tablet has enrolled.
 *
 * Where the payload is: the run's wait, `waiting.text` = {code: 'android.qr-scan', params:
 * {dpc, payload}}, `payload` being the JSON text to put into the QR code (AOSP keys; the Wi-Fi
 * password in clear, as the tablet needs it). The run controller redacts secrets from what it
 * stores and sends to the hub; the live wait keeps them for the tile.
 */
export const provisioningSteps: AndroidStepTable = {
  'qr-provisioning': async (ctx) => {
    if (ctx.step.type !== 'qr-provisioning') return {};
    const params = ctx.step.params;
    const payload = await buildQrProvisioning(params, ctx);
    await ctx.confirmByTechnician(message('android.qr-scan', { dpc: params.dpc, payload: JSON.stringify(payload) }));
    return { captured: { deviceOwner: normalizeComponent(params.component) }, message: 'enrolled by QR code (confirmed by the technician)' };
  },
};
