import { z } from 'zod';
import { wireMessageSchema } from '../messages/schema.js';
import { personText } from './text.js';

/**
 * The StationApi part of issue 3 (real hardware): port notice tiles (unsupported, unreadable or
 * unidentified devices), the bench layout (port paths mapped to slot labels) and its learn mode.
 * Spread into `stationMethods` in station-api.ts.
 */

const isoTime = z.string();

/** Why a port shows a notice tile instead of a device (drivers/driver.ts PortNotice). */
export const PORT_NOTICE_KINDS = [
  /** A device was plugged in and is being identified. */
  'identifying',
  /** A USB device no driver serves; its ids are shown. */
  'unsupported',
  /** libusb may not open the device: the udev rule is missing. */
  'no-access',
  /** Recognised, but its driver is not enabled on this station (--drivers). */
  'driver-off',
  /** A serial device that does not answer its identify script. */
  'no-answer',
  /** A USB-serial bridge whose serial port (tty) was not found. */
  'no-serial-port',
  /** A serial device that does not tell a serial number. */
  'no-serial-number',
  /** The same serial number is already plugged in at another port. */
  'duplicate',
  /** The device waits for the technician to allow this computer (Android's "Allow USB debugging?"). */
  'unauthorized',
] as const;
export type PortNoticeKind = (typeof PORT_NOTICE_KINDS)[number];

export const usbIdentitySchema = z.object({
  /** Four hex digits, "0403". */
  vendorId: z.string(),
  productId: z.string(),
  serialNumber: z.string().nullable(),
  manufacturer: z.string().nullable(),
  product: z.string().nullable(),
});
export type UsbIdentity = z.infer<typeof usbIdentitySchema>;

/** A port tile that is not a device run: what is there, and what the technician should do. */
export const portNoticeViewSchema = z.object({
  portPath: z.string(),
  /** The slot the port is mapped to; null: an unmapped port. */
  slot: z.string().nullable(),
  kind: z.enum(PORT_NOTICE_KINDS),
  message: z.string(),
  /** What the technician reads, from the catalogue, where the driver gave one (the tile shows it in the UI's language). */
  text: wireMessageSchema.optional(),
  usb: usbIdentitySchema.nullable(),
  since: isoTime,
});
export type PortNoticeView = z.infer<typeof portNoticeViewSchema>;

/** A slot label as technicians write it: "A1", "B16", "Tisch 2". */
export const slotLabelSchema = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, 'letters, digits, space, dot, dash or underscore, e.g. "A7"');

/** A port path: "1-4.2" for USB, a device path for a fixed serial port, "sim-3" for the simulator. */
export const portPathSchema = personText('port path', { max: 300 });

export const slotViewSchema = z.object({
  label: z.string(),
  portPath: z.string(),
  position: z.number().int(),
  /** The serial of the device in the slot now, if any. */
  occupant: z.string().nullable(),
});
export type SlotView = z.infer<typeof slotViewSchema>;

/** Learn mode: the technician plugs one device into each slot in turn; the station records the ports. */
export const learnStateSchema = z.object({
  labels: z.array(z.string()),
  /** Index in labels of the slot waiting for its device; labels.length when all are learned. */
  next: z.number().int(),
  learned: z.array(z.object({ label: z.string(), portPath: z.string() })),
});
export type LearnState = z.infer<typeof learnStateSchema>;

/** A port with something plugged in now: what the editor offers to map. */
export const activePortSchema = z.object({
  portPath: z.string(),
  slot: z.string().nullable(),
  /** What is in it: a device's model and serial, or a notice's summary. */
  what: z.string(),
});

export const slotLayoutSchema = z.object({
  slots: z.array(slotViewSchema),
  learn: learnStateSchema.nullable(),
  ports: z.array(activePortSchema),
});
export type SlotLayout = z.infer<typeof slotLayoutSchema>;

export const benchMethods = {
  slotLayout: { params: z.object({}), result: slotLayoutSchema },
  saveSlot: {
    params: z.object({ label: slotLabelSchema, portPath: portPathSchema, position: z.number().int().min(0).max(100_000).optional() }),
    result: slotLayoutSchema,
  },
  deleteSlot: { params: z.object({ label: personText('slot label', { max: 16 }) }), result: slotLayoutSchema },
  startLearn: {
    params: z.object({
      labels: z
        .array(slotLabelSchema)
        .min(1)
        .max(256)
        .refine((l) => new Set(l).size === l.length, 'each slot label once'),
    }),
    result: slotLayoutSchema,
  },
  stopLearn: { params: z.object({}), result: slotLayoutSchema },
} as const;

/** Pushed to renderers as port tiles and the layout change. */
export const benchEventSchemas = [
  z.object({ type: z.literal('notice'), notice: portNoticeViewSchema }),
  z.object({ type: z.literal('notice-removed'), portPath: z.string() }),
  z.object({ type: z.literal('layout'), layout: slotLayoutSchema }),
] as const;
