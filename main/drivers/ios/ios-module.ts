import { AppError } from '../../../shared/contract/errors.js';
import { message } from '../../../shared/messages/catalogue.js';
import type { DriverModule } from '../registry.js';
import { IosDriver } from './ios-driver.js';
import { UsbmuxdAddressError, formatUsbmuxdAddress, parseUsbmuxdAddress, socketDialer } from './usbmux/usbmux-address.js';
import { UsbmuxClient } from './usbmux/usbmux-client.js';

/** What usbmuxd is told we are (ProgName, ClientVersionString), as each libimobiledevice tool names itself. */
const CLIENT_IDENTITY = { progName: 'benchline', clientVersionString: 'benchline-ios-driver' };

/** `--drivers ios`: iPads and iPhones through usbmuxd at USBMUXD_SOCKET_ADDRESS or the platform's default. */
export const iosDriverModule: DriverModule = {
  build: (ctx) => {
    let address;
    try {
      address = parseUsbmuxdAddress(process.env.USBMUXD_SOCKET_ADDRESS, process.platform);
    } catch (err) {
      if (err instanceof UsbmuxdAddressError) throw new AppError('bad_request', message('ios.usbmuxd-address', { value: err.value }));
      throw err;
    }
    const client = new UsbmuxClient(socketDialer(address), CLIENT_IDENTITY, formatUsbmuxdAddress(address));
    return new IosDriver({
      client,
      usbPorts: ctx.usbPorts,
      activationUrl: ctx.iosActivationUrl,
      log: (level, text, fields) => ctx.log(level, text, fields),
    });
  },
};
