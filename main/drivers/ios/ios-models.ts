/**
 * Marketing names of the iPads and iPhones a rollout meets, by the ProductType lockdownd reports
 * (Apple's model identifiers; Wi-Fi and cellular variants share a name). A type not listed (a model
 * newer than this table) shows as "iPad (iPad99,1)", so a tile never goes blank.
 */
const MODELS: readonly (readonly [name: string, types: readonly string[]])[] = [
  ['iPad (6th generation)', ['iPad7,5', 'iPad7,6']],
  ['iPad (7th generation)', ['iPad7,11', 'iPad7,12']],
  ['iPad (8th generation)', ['iPad11,6', 'iPad11,7']],
  ['iPad (9th generation)', ['iPad12,1', 'iPad12,2']],
  ['iPad (10th generation)', ['iPad13,18', 'iPad13,19']],
  ['iPad (A16)', ['iPad15,7', 'iPad15,8']],
  ['iPad Air (3rd generation)', ['iPad11,3', 'iPad11,4']],
  ['iPad Air (4th generation)', ['iPad13,1', 'iPad13,2']],
  ['iPad Air (5th generation)', ['iPad13,16', 'iPad13,17']],
  ['iPad Air 11-inch (M2)', ['iPad14,8', 'iPad14,9']],
  ['iPad Air 13-inch (M2)', ['iPad14,10', 'iPad14,11']],
  ['iPad Air 11-inch (M3)', ['iPad15,3', 'iPad15,4']],
  ['iPad Air 13-inch (M3)', ['iPad15,5', 'iPad15,6']],
  ['iPad mini (5th generation)', ['iPad11,1', 'iPad11,2']],
  ['iPad mini (6th generation)', ['iPad14,1', 'iPad14,2']],
  ['iPad mini (A17 Pro)', ['iPad16,1', 'iPad16,2']],
  ['iPad Pro 11-inch (1st generation)', ['iPad8,1', 'iPad8,2', 'iPad8,3', 'iPad8,4']],
  ['iPad Pro 11-inch (2nd generation)', ['iPad8,9', 'iPad8,10']],
  ['iPad Pro 11-inch (3rd generation)', ['iPad13,4', 'iPad13,5', 'iPad13,6', 'iPad13,7']],
  ['iPad Pro 11-inch (4th generation)', ['iPad14,3', 'iPad14,4']],
  ['iPad Pro 11-inch (M4)', ['iPad16,3', 'iPad16,4']],
  ['iPad Pro 12.9-inch (3rd generation)', ['iPad8,5', 'iPad8,6', 'iPad8,7', 'iPad8,8']],
  ['iPad Pro 12.9-inch (4th generation)', ['iPad8,11', 'iPad8,12']],
  ['iPad Pro 12.9-inch (5th generation)', ['iPad13,8', 'iPad13,9', 'iPad13,10', 'iPad13,11']],
  ['iPad Pro 12.9-inch (6th generation)', ['iPad14,5', 'iPad14,6']],
  ['iPad Pro 13-inch (M4)', ['iPad16,5', 'iPad16,6']],
  ['iPhone XR', ['iPhone11,8']],
  ['iPhone 11', ['iPhone12,1']],
  ['iPhone 11 Pro', ['iPhone12,3']],
  ['iPhone 11 Pro Max', ['iPhone12,5']],
  ['iPhone SE (2nd generation)', ['iPhone12,8']],
  ['iPhone 12 mini', ['iPhone13,1']],
  ['iPhone 12', ['iPhone13,2']],
  ['iPhone 12 Pro', ['iPhone13,3']],
  ['iPhone 12 Pro Max', ['iPhone13,4']],
  ['iPhone 13 Pro', ['iPhone14,2']],
  ['iPhone 13 Pro Max', ['iPhone14,3']],
  ['iPhone 13 mini', ['iPhone14,4']],
  ['iPhone 13', ['iPhone14,5']],
  ['iPhone SE (3rd generation)', ['iPhone14,6']],
  ['iPhone 14', ['iPhone14,7']],
  ['iPhone 14 Plus', ['iPhone14,8']],
  ['iPhone 14 Pro', ['iPhone15,2']],
  ['iPhone 14 Pro Max', ['iPhone15,3']],
  ['iPhone 15', ['iPhone15,4']],
  ['iPhone 15 Plus', ['iPhone15,5']],
  ['iPhone 15 Pro', ['iPhone16,1']],
  ['iPhone 15 Pro Max', ['iPhone16,2']],
  ['iPhone 16 Pro', ['iPhone17,1']],
  ['iPhone 16 Pro Max', ['iPhone17,2']],
  ['iPhone 16', ['iPhone17,3']],
  ['iPhone 16 Plus', ['iPhone17,4']],
  ['iPhone 16e', ['iPhone17,5']],
];

const BY_TYPE: ReadonlyMap<string, string> = new Map(MODELS.flatMap(([name, types]) => types.map((type) => [type, name] as const)));

/** "iPad (10th generation)" for "iPad13,18"; the family and the type for one not in the table; "iOS device" for none. */
export function marketingName(productType: string | null): string {
  if (!productType) return 'iOS device';
  const known = BY_TYPE.get(productType);
  if (known) return known;
  const family = /^(iPad|iPhone|iPod)/.exec(productType)?.[1];
  return family ? `${family} (${productType})` : productType;
}
