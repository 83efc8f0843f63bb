// Cronofy's date and time values, as the official SDKs send them (docs/emulator.md, "Times").
// - A date "2014-08-05"; a UTC or offset time with "T" or a space before the clock
//   ("2014-08-05T15:30:00Z" from Ruby and Node, "2014-08-05 15:30:00Z" from C#'s "u" format,
//   "2016-01-15T09:08:00+0000" from Python's %z); seconds and fractions optional.
// - A local time with no offset ("2014-08-05T15:30:00") only where a tzid says where it is.
// - A tzid is an IANA zone name the runtime knows ("Etc/UTC", "Europe/London").
// Values are compared as epoch milliseconds; a date is midnight UTC (our reading: the docs give
// no rule for comparing an all-day date with a time).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export const isDate = (value: string): boolean => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

export function isTzid(tzid: unknown): tzid is string {
  if (typeof tzid !== 'string' || tzid === '' || tzid.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tzid });
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds the zone is ahead of UTC at this instant. */
function offsetAt(instant: number, tzid: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tzid,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a date or time names, in epoch ms; undefined when it is not one of the forms above.
 * `tzid` places a time that has no offset; without it such a time is not accepted.
 */
export function parseInstant(value: unknown, tzid?: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (isDate(value)) return Date.parse(`${value}T00:00:00Z`);
  const m = CLOCK.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.round(Number(`0${fraction || '.0'}`) * 1000));
  if (Number.isNaN(wall) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone === 'Z') return wall;
  if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (!isTzid(tzid)) return undefined;
  const guess = wall - offsetAt(wall, tzid);
  return wall - offsetAt(guess, tzid);
}

/** How Cronofy answers a time in Read Events: UTC, second precision ("2014-09-13T19:00:00Z"). */
export const utcTime = (instant: number): string => new Date(Math.floor(instant / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export type EventTime = { kind: 'date'; value: string; instant: number } | { kind: 'time'; value: string; instant: number };

/**
 * An event's start or end as Create or Update Event takes it: a date, a time, or
 * {"time", "tzid"} (C#); a local time needs that tzid or the event's own `tzid`.
 */
export function parseEventTime(value: unknown, eventTzid?: string): EventTime | undefined {
  let raw: unknown = value;
  let tzid = eventTzid;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if (object.tzid !== undefined && !isTzid(object.tzid)) return undefined;
    raw = object.time;
    tzid = typeof object.tzid === 'string' ? object.tzid : eventTzid;
  }
  if (typeof raw !== 'string') return undefined;
  const instant = parseInstant(raw, tzid);
  if (instant === undefined) return undefined;
  return isDate(raw) ? { kind: 'date', value: raw, instant } : { kind: 'time', value: utcTime(instant), instant };
}
