import { EnvHttpProxyAgent, request } from 'undici';
import { StepAbortedError } from '../../step-errors.js';

/**
 * The HTTP half of an activation (pymobiledevice3 services/mobile_activation.py): the device's
 * session blob goes to `drmHandshake`, its activation info (form field `activation-info`) to
 * `deviceActivation`, siblings in one directory as on Apple's server. The configured URL names
 * either endpoint or their directory (`--ios-activation-url http://host/deviceservices`).
 *
 * Proxies: undici's EnvHttpProxyAgent reads HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case) on
 * every station, under Node or Electron; Node's own fetch would do so only when the station was
 * started with NODE_USE_ENV_PROXY=1 (Node 22.21+, experimental). NODE_EXTRA_CA_CERTS (a
 * company's TLS-inspecting proxy) is read by Node at start into the CA store undici's TLS uses.
 */
export const APPLE_ACTIVATION_URL = 'https://albert.apple.com/deviceservices/deviceActivation';

const USER_AGENT = 'iOS Device Activator (MobileActivation-20 built on Jan 15 2012 at 19:07:28)';

/** The server could not be reached or answered with an error status: worth retrying once the network is fixed. */
export class ActivationServerError extends Error {
  override name = 'ActivationServerError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`activation server ${url}: ${reason}`);
  }
}

export interface ServerAnswer {
  body: Buffer;
  contentType: string;
  /** Every response header, as the device wants them back in ActivationResponseHeaders. */
  headers: Record<string, string>;
}

/** The two endpoints for a configured URL: either endpoint names its sibling; anything else is their directory. */
export function activationEndpoints(configured: string): { handshake: string; activation: string } {
  const url = new URL(configured);
  const path = url.pathname.replace(/\/+$/, '');
  const directory = /\/(deviceActivation|drmHandshake)$/.test(path) ? path.slice(0, path.lastIndexOf('/')) : path;
  const at = (endpoint: string) => new URL(`${directory}/${endpoint}${url.search}`, url).toString();
  return { handshake: at('drmHandshake'), activation: at('deviceActivation') };
}

export class ActivationServer {
  private readonly endpoints: { handshake: string; activation: string };

  constructor(
    readonly activationUrl: string,
    private readonly signal: AbortSignal,
  ) {
    this.endpoints = activationEndpoints(activationUrl);
  }

  /** POSTs the device's session blob (a plist) to drmHandshake. */
  handshake(sessionBlob: Buffer): Promise<ServerAnswer> {
    return this.post(this.endpoints.handshake, sessionBlob, 'application/x-apple-plist');
  }

  /** POSTs the activation info (an XML plist) as the form field `activation-info`. */
  activate(activationInfo: Buffer): Promise<ServerAnswer> {
    const form = new URLSearchParams({ 'activation-info': activationInfo.toString('utf8') }).toString();
    return this.post(this.endpoints.activation, Buffer.from(form, 'utf8'), 'application/x-www-form-urlencoded');
  }

  private async post(url: string, body: Buffer, contentType: string): Promise<ServerAnswer> {
    // Made per request so a changed proxy setting applies at the next activation; closed after.
    const dispatcher = new EnvHttpProxyAgent();
    try {
      const response = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType, accept: 'application/xml', 'user-agent': USER_AGENT },
        dispatcher,
        signal: this.signal,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const answer = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode >= 400) throw new ActivationServerError(url, `HTTP ${response.statusCode}`);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { body: answer, contentType: (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(), headers };
    } catch (err) {
      if (this.signal.aborted) throw new StepAbortedError();
      if (err instanceof ActivationServerError) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const code = (err as { code?: string }).code;
      throw new ActivationServerError(url, [cause ?? code, (err as Error).message].filter(Boolean).join(': '));
    } finally {
      void dispatcher.close().catch(() => {});
    }
  }
}
