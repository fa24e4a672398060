/**
 * String formats used by the OpenAPI document (`date`, `date-time`), as RFC 3339 defines them and as
 * the Prism mock (the contract's reference implementation) checks them: a `T`, `t` or space between
 * date and time, and a time zone (`Z` or an offset) required on a date-time.
 *
 * The generated validator (`src/generated/validate.js`) imports these by name; `scripts/generate.ts`
 * registers the same functions with Ajv when it compiles the document's schemas.
 */

const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d)(\.\d+)?(z|[+-]\d\d(?::?\d\d)?)?$/i;
const OFFSET = /^[+-](?:[01]\d|2[0-4])(?::?[0-5]\d)?$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** `YYYY-MM-DD`, a real calendar day. */
export function date(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!);
}

function time(value: string, withTimeZone: boolean): boolean {
  const m = TIME.exec(value);
  if (!m) return false;
  const hour = +m[1]!;
  const minute = +m[2]!;
  const second = +m[3]!;
  const zone = m[5];
  const clock = (hour <= 23 && minute <= 59 && second <= 59) || (hour === 23 && minute === 59 && second === 60);
  if (!clock) return false;
  if (!withTimeZone) return true;
  if (zone === undefined) return false;
  return /^z$/i.test(zone) || time(`${zone.slice(1)}:00`, false) || OFFSET.test(zone);
}

/** The usual form (what `Date#toISOString` writes), accepted in one pass; other forms take the full path. */
const COMMON_DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** The two-digit number at `at`, or -1. */
function two(value: string, at: number): number {
  const a = value.charCodeAt(at) - 48;
  const b = value.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, what `Date#toISOString` writes, read character by character: the
 * form almost every call has. `true` only when the full rules agree; anything else is for them to judge.
 */
function isoUtc(value: string): boolean {
  const n = value.length;
  if (n < 20 || n > 30 || value.charCodeAt(n - 1) !== 90 /* Z */) return false;
  if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return false;
  const century = two(value, 0);
  const yy = two(value, 2);
  const month = two(value, 5);
  const day = two(value, 8);
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1) return false;
  if (day > (month === 2 && isLeapYear(century * 100 + yy) ? 29 : DAYS[month]!)) return false;
  const hour = two(value, 11);
  const minute = two(value, 14);
  const second = two(value, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (n === 20) return true;
  if (value.charCodeAt(19) !== 46 /* . */ || n === 21) return false;
  for (let i = 20; i < n - 1; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** RFC 3339 `date-time`, e.g. `2024-01-15T10:30:00Z` or `2024-01-15T10:30:00.123+05:30`. */
export function dateTime(value: string): boolean {
  if (isoUtc(value)) return true;
  const m = COMMON_DATE_TIME.exec(value);
  if (m) {
    const month = +m[2]!;
    const day = +m[3]!;
    if (month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && isLeapYear(+m[1]!) ? 29 : DAYS[month]!)) return true;
  }
  const parts = value.split(/t|\s/i);
  return parts.length === 2 && date(parts[0]!) && time(parts[1]!, true);
}

/** The formats by the names the OpenAPI document uses. */
export const formats = { date, 'date-time': dateTime } as const;
