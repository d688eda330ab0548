/**
 * Every message a person reads that the core, the drivers or the hub produce: its code and the
 * names of its parameters. The words live only in ./de.json and ./en.json (checked by
 * tests/unit/message-catalogue.test.ts); code sends `{code, params}` and each side renders it in
 * its reader's language (renderer: i18next namespace "messages"; main: formatMessage).
 *
 * Codes are stable: run records store them, so a code that older stations wrote stays here
 * (`timeout`, `sim.erase`, ...) even where a newer name would read better.
 */
export const MESSAGES = {
  // A step or run that failed (tile, drawer, shift log). `step` is the step's label in the reader's language.
  'run.failed': [],
  'step.failed': ['step'],
  timeout: ['step'],
  internal: [],
  no_blueprint: [],
  needs_assignment: [],
  quarantined: [],
  // The simulator's failures, one per step type it can fail with a specific cause.
  'sim.erase': [],
  'sim.supervise': [],
  'sim.install-profile': [],
  'sim.install-app': [],
  'sim.rename': [],
  'sim.verify': [],
  'sim.print-label': [],
  'sim.set-device-owner': [],
  // Waits the technician resolves at the device.
  'wait.trust-ios': [],
  'wait.trust-android': [],
  'wait.battery': ['percent'],
  // The label step (floor operations print labels as a pipeline step).
  'label.printer': [],
  'label.template': [],
  // The serial driver: the device or the port said no.
  'serial.other-device': ['port', 'found', 'expected'],
  'serial.verify-mismatch': ['fields'],
  'serial.unsupported-step': ['step', 'type'],
  'serial.open-missing': ['port'],
  'serial.open-permission': ['port'],
  'serial.open-busy': ['port'],
  'serial.open-not-serial': ['port'],
  'serial.open-other': ['port', 'detail'],
  'serial.no-answer': ['command', 'seconds'],
  'serial.garbled': ['command', 'answer', 'baudRate'],
  'serial.partial': ['command', 'answer'],
  'serial.unexpected': ['command', 'answer', 'line', 'expect'],
  'serial.device-error': ['command', 'answer', 'line'],
  'serial.template': ['line', 'fields'],
  'serial.slow-pattern': ['pattern', 'ms'],
  // Packing devices into units (cartons, carts).
  'unit.closed': ['unitId'],
  'unit.full': ['unitId', 'capacity'],
  'pack.no-run': ['serial'],
  'pack.quarantined': ['serial'],
  'pack.not-finished': ['serial', 'state'],
  'pack.other-school': ['serial', 'school', 'unitSchool'],
  'pack.no-school': ['serial', 'unitId', 'unitSchool'],
  'pack.in-other-unit': ['serial', 'unitId'],
  // A run's state as a word inside another message ("not finished (still running)").
  'run-state.queued': [],
  'run-state.running': [],
  'run-state.waiting': [],
  'run-state.interrupted': [],
  'run-state.done': [],
  'run-state.failed': [],
  'run-state.cancelled': [],
  // The simulator's refusals (technician's simulator panel, API).
  'simulator.no-profile': ['platform'],
  'simulator.unknown-model': ['model', 'known'],
  'simulator.serial-count': ['count', 'given'],
  'simulator.serials-taken': ['serials'],
  'simulator.no-device': ['serial'],
  // USB: the library or the computer.
  'usb.library-missing': ['detail'],
  'usb.init-failed': [],
  // Unit manifests (PDF).
  'manifest.box': [],
  'manifest.cart': [],
  'manifest.summary': ['kind', 'count', 'state'],
  'manifest.created': ['at'],
  'manifest.state-open': [],
  'manifest.state-closed': [],
  'manifest.title': ['unitId'],
  'manifest.school': ['school'],
  'manifest.customer': ['customer'],
  'manifest.order': ['orderId'],
  'manifest.col-serial': [],
  'manifest.col-name': [],
  'manifest.col-asset': [],
  'manifest.col-model': [],
  // Shift log PDF: a failure's cause in words.
  'cause.timeout': [],
  'cause.fail': [],
  'cause.interrupted': [],
  // The device library (apps, profiles, files): refusals and a run's missing item. `kind` is a library.kind.* word.
  'library.missing': ['kind', 'identifier'],
  'library.kind.app': [],
  'library.kind.profile': [],
  'library.kind.file': [],
  'library.refused': ['file', 'reason'],
  'library.reason.not-zip': [],
  'library.reason.no-app-plist': [],
  'library.reason.plist-field': ['field'],
  'library.reason.no-manifest': [],
  'library.reason.bad-manifest': ['detail'],
  'library.reason.no-package': [],
  'library.reason.not-profile': ['detail'],
  'library.reason.profile-field': ['field'],
  'library.reason.empty': [],
  'library.reason.unreadable': ['detail'],
  'library.not-found': ['id'],
  'library.ambiguous': ['id'],
  'library.no-name': [],
  'library.hash-mismatch': ['sha256', 'actual'],
  'library.hub-missing': ['sha256'],
  'library.hub-failed': ['sha256', 'detail'],
  // Generic API answers.
  'api.internal': [],
  // The hub, the HTTP layer and the serial driver (issue 9 phase B), sorted by code.
  'http.bad-request': ['detail'],
  'http.body-too-large': ['limit'],
  'http.foreign-origin': ['origin'],
  'http.internal': [],
  'http.invalid-input': ['what', 'issues'],
  'http.json-too-deep': ['depth'],
  'http.malformed-json': ['detail'],
  'http.media-type': ['contentType'],
  'http.no-route': ['method', 'path'],
  'http.not-found': ['detail'],
  'http.path-refused': ['detail'],
  'http.rate-limited': [],
  'http.wrong-host': ['host'],
  'hub.batch-invalid': ['detail'],
  'hub.cli-cannot-listen': ['host', 'port', 'detail'],
  'hub.cli-db-open': ['where', 'detail'],
  'hub.cli-db-refused': ['where'],
  'hub.cli-db-url': ['url'],
  'hub.cli-password-missing': [],
  'hub.cli-password-short': ['min'],
  'hub.cli-password-tty': [],
  'hub.cli-port': ['value'],
  'hub.cli-port-in-use': ['host', 'port'],
  'hub.cli-ready': ['url', 'db', 'dataDir'],
  'hub.cli-role': ['role'],
  'hub.cli-stall-minutes': ['value'],
  'hub.cli-station-registered': ['name'],
  'hub.cli-token-rotated': ['name'],
  'hub.cli-user-added': ['name', 'role'],
  'hub.cli-user-name': ['name'],
  'hub.cli-user-updated': ['name', 'role'],
  'hub.csv-dialect': ['detail'],
  'hub.events-rejected': ['count', 'first'],
  'hub.foreign-event': ['index', 'seq', 'claimed', 'stationId'],
  'hub.ingest-json': [],
  'hub.login-backoff': ['seconds'],
  'hub.login-first': [],
  'hub.login-wrong': [],
  'hub.needs-admin': ['username'],
  'hub.no-shift': ['shiftId', 'stationId'],
  'hub.not-built': [],
  'hub.seq-twice': ['index', 'seq'],
  'hub.station-exists': ['name'],
  'hub.station-id-taken': ['stationId', 'name', 'tokenName'],
  'hub.station-name': ['name'],
  'hub.station-token-missing': [],
  'hub.station-token-unknown': [],
  'hub.summary-range': ['from', 'to'],
  'hub.token-other-station': ['name', 'boundId', 'stationId'],
  'hub.too-many-requests': ['max', 'seconds'],
  'serial.asked': ['command'],
  'serial.awaited': ['pattern'],
  'serial.duplicate': ['serial', 'port'],
  'serial.gone': ['port'],
  'serial.identify-crashed': [],
  'serial.identify-failed': ['reason'],
  'serial.identify-no-serial': [],
  'serial.identifying': [],
  'serial.looking-for-port': [],
  'serial.no-own-serial': [],
  'serial.no-tty': ['usbId'],
  'serial.port-unknown': ['port'],
  'serial.verify-field': ['field', 'actual', 'expected'],
  'serial.verify-list': ['first', 'rest'],
  'serial.verify-unread': ['field'],
  // Secrets (identities, Wi-Fi passwords, enrollment tokens): names and kinds only, never a value.
  'secret.missing': ['name'],
  'secret.wrong-kind': ['name', 'kind', 'expected'],
  'secret.key-exposed': ['file', 'mode'],
  'secret.key-invalid': ['file'],
  'secret.undecryptable': ['name'],
  'secret.name-invalid': ['name'],
  'secret.empty-value': [],
  'secret.p12-unreadable': ['file'],
  'secret.p12-incomplete': ['file'],
  'secret.keystore-unavailable': [],
  'secret.saved': ['name', 'kind'],
  'secret.none': [],
} as const satisfies Record<string, readonly string[]>;

export type MessageCode = keyof typeof MESSAGES;
export type MessageParamName<C extends MessageCode> = (typeof MESSAGES)[C][number];
/** A parameter is text, a number, or another message (rendered in the same language, e.g. a state word). */
export type MessageParam = string | number | { code: MessageCode; params: Readonly<Record<string, MessageParam>> };
export type MessageParams<C extends MessageCode> = { readonly [K in MessageParamName<C>]: MessageParam };
/** What the core says to a person: a catalogue code and exactly its parameters, never prose. */
export type Message<C extends MessageCode = MessageCode> = C extends MessageCode ? { readonly code: C; readonly params: MessageParams<C> } : never;
/** Codes that take no parameters: `message('internal')` needs no second argument. */
type BareCode = { [C in MessageCode]: (typeof MESSAGES)[C] extends readonly [] ? C : never }[MessageCode];

/** Builds a message; the compiler checks the code exists and its parameters are exactly the catalogue's. */
export function message<C extends BareCode>(code: C): Message<C>;
export function message<C extends MessageCode>(code: C, params: MessageParams<C>): Message<C>;
export function message(code: MessageCode, params: Readonly<Record<string, MessageParam>> = {}): Message {
  return { code, params } as Message;
}

export function isMessageCode(code: string): code is MessageCode {
  return Object.hasOwn(MESSAGES, code);
}

export const LANGUAGES = ['de', 'en'] as const;
export type MessageLanguage = (typeof LANGUAGES)[number];
