import { parseBuffer } from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';

export class PlistError extends Error {
  override name = 'PlistError';
}

export type PlistDict = Readonly<Record<string, unknown>>;

/** Parses an XML or binary property list whose top level is a dictionary. */
export function parsePlistDict(data: Buffer): PlistDict {
  let value: unknown;
  try {
    if (data.subarray(0, 8).toString('latin1') === 'bplist00') value = parseBuffer(data)[0];
    else value = parseXmlPlist(data.toString('utf8'));
  } catch (err) {
    throw new PlistError(`not a readable property list (${(err as Error).message.split('\n')[0]})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) throw new PlistError('the property list is not a dictionary');
  return value as PlistDict;
}

/** A string field, or null when absent or not a string. */
export function plistString(dict: PlistDict, key: string): string | null {
  const v = dict[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}
