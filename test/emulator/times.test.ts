// The emulator's reading of Cronofy's date and time values (src/emulator/times.ts).
import { isTzid, parseEventTime, parseInstant, utcTime } from '../../src/emulator/times';

const at = (iso: string) => Date.parse(iso);

describe('parseInstant', () => {
  it.each([
    ['2014-08-05', at('2014-08-05T00:00:00Z')],
    ['2014-08-05T15:30:00Z', at('2014-08-05T15:30:00Z')],
    ['2014-08-05 15:30:00Z', at('2014-08-05T15:30:00Z')],
    ['2014-08-05T15:30Z', at('2014-08-05T15:30:00Z')],
    ['2014-08-05T15:30:00.250Z', at('2014-08-05T15:30:00.250Z')],
    ['2016-01-15T09:08:00+0000', at('2016-01-15T09:08:00Z')],
    ['2016-01-15T09:08:00+01:00', at('2016-01-15T08:08:00Z')],
    ['2016-01-15T09:08:00-0530', at('2016-01-15T14:38:00Z')],
  ])('reads %s', (value, expected) => {
    expect(parseInstant(value)).toBe(expected);
  });

  it.each(['tomorrow', '2014-13-05', '2014-08-05T25:00:00Z', '2014-08-05T15:30:00', '2014/08/05', ''])('refuses %j without a tzid', (value) => {
    expect(parseInstant(value)).toBeUndefined();
  });

  it('places a local time in its tzid, across daylight saving time', () => {
    expect(parseInstant('2026-07-01T09:00:00', 'Europe/London')).toBe(at('2026-07-01T08:00:00Z'));
    expect(parseInstant('2026-01-15T09:00:00', 'Europe/London')).toBe(at('2026-01-15T09:00:00Z'));
    expect(parseInstant('2026-03-29T03:30:00', 'Europe/London')).toBe(at('2026-03-29T02:30:00Z'));
    expect(parseInstant('2026-01-15T09:00:00', 'Asia/Kolkata')).toBe(at('2026-01-15T03:30:00Z'));
    expect(parseInstant('2026-01-15T09:00:00', 'Not/AZone')).toBeUndefined();
  });
});

describe('parseEventTime', () => {
  it('takes a date as a date, and answers times in UTC to the second', () => {
    expect(parseEventTime('2014-09-06')).toEqual({ kind: 'date', value: '2014-09-06', instant: at('2014-09-06T00:00:00Z') });
    expect(parseEventTime({ time: '2014-08-05 15:30:00Z', tzid: 'Etc/UTC' })?.value).toBe('2014-08-05T15:30:00Z');
    expect(parseEventTime('2026-07-01T09:00:00', 'Europe/London')?.value).toBe('2026-07-01T08:00:00Z');
    expect(parseEventTime({ time: '2026-07-01T09:00:00', tzid: 'America/New_York' }, 'Europe/London')?.value).toBe('2026-07-01T13:00:00Z');
  });

  it('refuses an unknown tzid in the object, a missing time, and other types', () => {
    expect(parseEventTime({ time: '2026-07-01T09:00:00Z', tzid: 'Mars/Olympus' })).toBeUndefined();
    expect(parseEventTime({ tzid: 'Etc/UTC' })).toBeUndefined();
    expect(parseEventTime(1_700_000_000)).toBeUndefined();
    expect(parseEventTime(['2014-09-06'])).toBeUndefined();
  });
});

describe('isTzid and utcTime', () => {
  it('knows IANA zones and drops milliseconds', () => {
    expect(isTzid('Etc/UTC')).toBe(true);
    expect(isTzid('Europe/London')).toBe(true);
    expect(isTzid('Europe/Nowhere')).toBe(false);
    expect(isTzid(42)).toBe(false);
    expect(utcTime(at('2026-01-01T10:00:00.999Z'))).toBe('2026-01-01T10:00:00Z');
  });
});
