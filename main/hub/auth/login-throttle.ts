/**
 * Slows down password guessing per account, on top of the per-address limit, without letting an
 * attacker lock the supervisor out from a shared address:
 *
 * - An (account, address) pair that failed FREE_FAILURES times in a row waits 1 s, 2 s, 4 s ... up to
 *   15 minutes before its next try: the guessing address slows down for good.
 * - The account as a whole, after FREE_FAILURES failures in a row from any address, waits the same
 *   doubling but at most ACCOUNT_MAX_MS (30 s): guessing from many addresses stays slow, while the
 *   right password from another address gets in after that short wait at most. Because the guessing
 *   address itself is held back, it cannot keep renewing the account's wait.
 * - A blocked try is not checked and not counted; a successful login clears the account and its address.
 *
 * The state is in memory, per hub instance (a restart forgets it; the per-address limit still holds).
 */

export const FREE_FAILURES = 5;
export const PAIR_MAX_MS = 15 * 60_000;
export const ACCOUNT_MAX_MS = 30_000;
const FIRST_WAIT_MS = 1000;
/** Entries unused this long are forgotten. */
const FORGET_AFTER_MS = 60 * 60_000;
/** At most this many accounts and pairs are remembered (user names are whatever an attacker sends). */
const MAX_ENTRIES = 10_000;

interface Failures {
  count: number;
  blockedUntil: number;
  lastAt: number;
}

export interface LoginThrottleOptions {
  /** The clock (tests move it instead of sleeping). */
  now?: () => number;
}

export class LoginThrottle {
  private readonly accounts = new Map<string, Failures>();
  private readonly pairs = new Map<string, Failures>();
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds this address must wait before trying this account again; 0 to go ahead. */
  waitMs(username: string, address: string): number {
    const now = this.now();
    const account = this.fresh(this.accounts, accountKey(username), now);
    const pair = this.fresh(this.pairs, pairKey(username, address), now);
    return Math.max(0, (account?.blockedUntil ?? 0) - now, (pair?.blockedUntil ?? 0) - now);
  }

  failed(username: string, address: string): void {
    const now = this.now();
    this.count(this.accounts, accountKey(username), now, ACCOUNT_MAX_MS);
    this.count(this.pairs, pairKey(username, address), now, PAIR_MAX_MS);
  }

  succeeded(username: string, address: string): void {
    this.accounts.delete(accountKey(username));
    this.pairs.delete(pairKey(username, address));
  }

  private fresh(map: Map<string, Failures>, key: string, now: number): Failures | undefined {
    const f = map.get(key);
    if (f && now - f.lastAt > FORGET_AFTER_MS && now >= f.blockedUntil) {
      map.delete(key);
      return undefined;
    }
    return f;
  }

  private count(map: Map<string, Failures>, key: string, now: number, maxMs: number): void {
    const f = this.fresh(map, key, now) ?? { count: 0, blockedUntil: 0, lastAt: now };
    f.count += 1;
    f.lastAt = now;
    if (f.count >= FREE_FAILURES) {
      const wait = Math.min(maxMs, FIRST_WAIT_MS * 2 ** Math.min(30, f.count - FREE_FAILURES));
      f.blockedUntil = now + wait;
    }
    // Re-inserted last, so the oldest entry is the first one evicted.
    map.delete(key);
    map.set(key, f);
    if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as string);
  }
}

function accountKey(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

function pairKey(username: string, address: string): string {
  return `${accountKey(username)}\u0001${address}`;
}
