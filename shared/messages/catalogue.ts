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
  'serial.no-answer': ['command'],
  'serial.garbled': ['command'],
  'serial.partial': ['command'],
  'serial.unexpected': ['command', 'answer'],
  'serial.device-error': ['command', 'answer'],
  'serial.template': ['field'],
  'serial.slow-pattern': ['pattern'],
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
  // Generic API answers.
  'api.internal': [],
  // Station side (issue 9 phase B): the core's refusals, the run's actions and step events, API answers.
  'api.invalid-params': ['method', 'issues'],
  'api.malformed-frame': [],
  'api.method-name': [],
  'api.page-not-found': [],
  'api.token': [],
  'api.ui-only': [],
  'api.unknown-method': ['method'],
  'api.usb-test-empty': ['port'],
  'api.usb-test-loopback': [],
  'device.not-plugged': ['serial'],
  'device.running': ['serial'],
  'event.device-back': [],
  'event.retried': [],
  'event.skipped': [],
  'event.station-restarted': [],
  'label.kind-box': [],
  'label.kind-cart': [],
  'label.no-template': ['template', 'known'],
  'operator.badge-other': ['badge', 'owner', 'name'],
  'operator.badge-unknown': ['badge'],
  'operator.name-missing': [],
  'operator.name-reserved': ['name'],
  'operator.not-signed-in': ['name', 'shiftId'],
  'order-file.body': [],
  'order-file.invalid': ['count'],
  'order.blueprint-missing': ['orderId', 'blueprint'],
  'order.device-quarantined': ['serial'],
  'order.in-other-order': ['serial', 'orderId'],
  'order.no-batch': ['serial'],
  'order.not-found': ['orderId'],
  'order.other-batch': ['serial', 'blueprint', 'platform'],
  'order.platform-mismatch': ['serial', 'orderId', 'blueprint', 'blueprintPlatform', 'platform'],
  'order.unknown-blueprint': ['blueprint', 'known'],
  'quarantine.already': ['serial'],
  'quarantine.check-failed': ['step'],
  'quarantine.not-in': ['serial'],
  'quarantine.unknown-device': ['serial'],
  'run.already-has-run': ['serial'],
  'run.finished': ['runId'],
  'run.not-active': ['runId'],
  'run.not-failed-retry': ['runId'],
  'run.not-failed-skip': ['runId'],
  'run.not-found': ['runId'],
  'run.not-waiting': [],
  'run.recovering': [],
  'run.save-failed': [],
  'run.step-mandatory': ['step'],
  'save.write-failed': ['detail'],
  'shift.closed-already': ['shiftId'],
  'shift.none-open': [],
  'shift.not-found': ['shiftId'],
  'shift.window-empty': ['window'],
  'shift.window-hours': ['window'],
  'shift.window-invalid': ['window'],
  'slot.not-found': ['label'],
  'station.drivers-unbuilt': ['drivers'],
  'station.listen-failed': ['host', 'port', 'detail'],
  'station.no-serial-driver': [],
  'station.no-serial-port': ['port'],
  'station.no-simulator': [],
  'station.port-in-use': ['port', 'host'],
  'unit.empty': ['unitId'],
  'unit.from-no-school': ['serial'],
  'unit.from-other-school': ['serial', 'school', 'given'],
  'unit.from-unfinished': ['serial'],
  'unit.locked': ['unitId'],
  'unit.not-found': ['unitId'],
  'unit.not-in-unit': ['serial', 'unitId'],
  'unit.school-missing': [],
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
