// Values printed the way ZooKeeper's Java code prints them, so scripts written against ZooKeeper's
// four-letter words parse Meerkat's: doubles as Double.toString, longs as Long.toHexString (two's
// complement for negatives), dates as Date.toString. Pure functions.

/** `Double.toString`: `0.0`, `4.375`, `1.0E7`, `5.0E-4` (plain notation only within [1e-3, 1e7)). */
export function javaDouble(value: number): string {
  const magnitude = Math.abs(value);
  if (value === 0 || (magnitude >= 1e-3 && magnitude < 1e7)) {
    return Number.isInteger(value) ? `${value}.0` : String(value);
  }
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** Rounded to four decimals, half up, as ZooKeeper's AvgMinMaxCounter.getAvg. */
export function fourDecimals(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** `Long.toHexString`, without a prefix: -1 is `ffffffffffffffff`. */
export function javaHex(value: number | bigint): string {
  return BigInt.asUintN(64, BigInt(value)).toString(16);
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (value: number): string => String(value).padStart(2, '0');

/**
 * `Date.toString` (`EEE MMM dd HH:mm:ss zzz yyyy`), always in UTC: a JVM prints its own time zone,
 * but one fixed zone is what a parser can rely on.
 */
export function javaDate(ms: number): string {
  const date = new Date(ms);
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${twoDigits(date.getUTCDate())} ` +
    `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
}
