// The body of Create or Update Event, checked field by field
// (https://docs.cronofy.com/developers/api/events/upsert-event/).
// - event_id (a managed event) or event_uid (an existing external event) is required.
// - summary is required, at most 1,024 characters; description optional, at most 4,096.
// - start and end are required: a date, a time ("T" or a space before the clock, as C# sends
//   it), or {"time", "tzid"}; a local time needs a tzid there or in the body's own tzid.
// - location, when given, is an object whose description is a string.
// Every problem is reported at once, as {"errors": {field: [{key, description}]}}.
import type { Errors } from './context';
import type { EventChange } from './state';
import { isTzid, parseEventTime } from './times';

export type EventBody =
  | { ok: true; eventId?: string; eventUid?: string; change: EventChange }
  | { ok: false; errors: Errors };

const required = [{ key: 'errors.required', description: 'required' }];

export function parseEventBody(raw: unknown): EventBody {
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const errors: Errors = {};
  const text = (field: string, max: number, needed: boolean): string | undefined => {
    const value = body[field];
    if (value === undefined || value === '') {
      if (needed) errors[field] = required;
      return undefined;
    }
    if (typeof value !== 'string') errors[field] = [{ key: 'errors.invalid', description: 'must be a string' }];
    else if (value.length > max) errors[field] = [{ key: 'errors.too_long', description: `must be at most ${max} characters` }];
    else return value;
    return undefined;
  };

  const eventId = text('event_id', 1024, false);
  const eventUid = text('event_uid', 1024, false);
  if (body.event_id === undefined && body.event_uid === undefined) errors.event_id = required;
  const summary = text('summary', 1024, true);
  const description = text('description', 4096, false);

  if (body.tzid !== undefined && !isTzid(body.tzid)) errors.tzid = [{ key: 'errors.invalid', description: 'must be a time zone identifier, like Etc/UTC' }];
  const tzid = isTzid(body.tzid) ? body.tzid : undefined;
  const times = (['start', 'end'] as const).map((field) => {
    if (body[field] === undefined || body[field] === '') {
      errors[field] = required;
      return undefined;
    }
    const time = parseEventTime(body[field], tzid);
    if (!time) errors[field] = [{ key: 'errors.invalid', description: 'must be a date, a time, or {"time", "tzid"}; a time without an offset needs a tzid' }];
    return time;
  });
  const [start, end] = times;

  let location: { description: string } | undefined;
  if (body.location !== undefined) {
    const place = body.location as Record<string, unknown> | null;
    if (typeof place !== 'object' || place === null || Array.isArray(place) || (place.description !== undefined && typeof place.description !== 'string')) {
      errors.location = [{ key: 'errors.invalid', description: 'must be an object like {"description": "Board room"}' }];
    } else if (typeof place.description === 'string') location = { description: place.description };
  }

  if (Object.keys(errors).length > 0 || !start || !end || summary === undefined) return { ok: false, errors };
  return {
    ok: true,
    eventId,
    eventUid: eventId === undefined ? eventUid : undefined,
    change: { summary, description: description ?? '', start: start.value, end: end.value, ...(location ? { location } : {}) },
  };
}
