// Events (docs/cronofy-notes.md, Events): read with paging, create or update, delete.
// - GET /v1/events needs tzid (422 otherwise); from/to are dates; events returned start before `to`
//   and end on or after `from`; managed events (created through the API) only with include_managed
//   or only_managed; pages.next_page is an absolute URL, present only when there is more.
// - POST /v1/calendars/{id}/events: 202 and no body; 422 `{"errors":{field:[{key,description}]}}`
//   when event_id, summary, start or end is missing; 404 for a calendar the account does not have.
// - DELETE /v1/calendars/{id}/events with {"event_id"}: 202.
import { createHash, randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { accountWith, actorOf } from './bearer';
import { one, type EmulatorContext, type Errors } from './context';
import { calendarsOf, type SeedEvent } from './seed';
import type { Grant, ManagedEvent } from './state';
import { cronofyTime } from './channels';

/** The account whose calendar a request changed (the member's, under Cronofy-Impersonate). */
const accountOf = (req: Request): string => {
  const actor = actorOf(req);
  return actor.kind === 'account' ? actor.account.account_id : '';
};

const invalid = (res: Response, errors: Errors) => res.status(422).json({ errors });

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_PAGES_KEPT = 1000;

function eventJson(event: SeedEvent | ManagedEvent, managed: boolean) {
  return {
    calendar_id: event.calendar_id,
    event_uid: event.event_uid,
    ...('event_id' in event ? { event_id: event.event_id } : {}),
    summary: event.summary,
    description: event.description,
    start: event.start,
    end: event.end,
    deleted: false,
    created: event.created ?? event.start,
    updated: event.updated ?? event.start,
    participation_status: managed ? 'accepted' : 'needs_action',
    attendees: [],
    transparency: 'opaque',
    status: 'confirmed',
    categories: [],
    recurring: false,
    event_private: false,
    options: { delete: managed, update: managed, change_participation_status: !managed },
  };
}

const TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Cronofy's event times: "2026-01-22", "2026-01-22T15:30:00Z", or {"time": …, "tzid": …}. */
function isTime(value: unknown): boolean {
  if (typeof value === 'string') return TIME.test(value) && !Number.isNaN(Date.parse(value));
  if (typeof value !== 'object' || value === null || !('time' in value)) return false;
  return typeof value.time === 'string' && TIME.test(value.time);
}

/** A date or time value as milliseconds, for comparing: a bare date is midnight UTC. */
const instant = (value: string): number => Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value);

export function eventRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  const pages = new Map<string, { grant: Grant; events: unknown[]; current: number; total: number }>();

  function page(grant: Grant, events: unknown[], current: number) {
    const total = Math.max(1, Math.ceil(events.length / ctx.pageSize));
    const answer: { pages: Record<string, unknown>; events: unknown[] } = {
      pages: { current, total },
      events: events.slice((current - 1) * ctx.pageSize, current * ctx.pageSize),
    };
    if (current < total) {
      const id = randomBytes(8).toString('hex');
      pages.set(id, { grant, events, current: current + 1, total });
      if (pages.size > MAX_PAGES_KEPT) pages.delete(pages.keys().next().value ?? id);
      answer.pages.next_page = `${ctx.publicUrl}/v1/events/pages/${id}`;
    }
    return answer;
  }

  router.get('/v1/events', (req: Request, res: Response) => {
    const account = accountWith(req, res, 'read_events');
    if (!account) return;
    const errors: Errors = {};
    const tzid = one(req.query.tzid);
    if (!tzid) errors.tzid = [{ key: 'errors.required', description: 'required' }];
    const from = one(req.query.from);
    const to = one(req.query.to);
    if (from !== undefined && !DATE.test(from)) errors.from = [{ key: 'errors.invalid_date', description: 'must be a date (YYYY-MM-DD)' }];
    if (to !== undefined && !DATE.test(to)) errors.to = [{ key: 'errors.invalid_date', description: 'must be a date (YYYY-MM-DD)' }];
    // last_modified: only events changed at or after it (push notifications' changes_since). Sample
    // events never changed, so they never match; changed ones carry `updated`.
    const lastModified = one(req.query.last_modified);
    if (lastModified !== undefined && !(TIME.test(lastModified) && !Number.isNaN(Date.parse(lastModified)))) {
      errors.last_modified = [{ key: 'errors.invalid_time', description: 'must be a UTC time (YYYY-MM-DDTHH:MM:SSZ)' }];
    }
    const changedSince = (event: SeedEvent): boolean => lastModified === undefined || (event.updated !== undefined && Date.parse(event.updated) >= Date.parse(lastModified));
    if (Object.keys(errors).length > 0) return void invalid(res, errors);

    const today = new Date();
    const day = (offset: number) => Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset);
    const fromMs = from ? instant(from) : day(-16);
    const toMs = to ? instant(to) : day(201);
    const wanted = [req.query['calendar_ids[]'], req.query.calendar_ids].flat().filter((v): v is string => typeof v === 'string');
    const onlyManaged = one(req.query.only_managed) === 'true';
    const includeManaged = onlyManaged || one(req.query.include_managed) === 'true';

    const events: { start: number; json: unknown }[] = [];
    for (const calendar of calendarsOf(account)) {
      if (wanted.length > 0 && !wanted.includes(calendar.calendar_id)) continue;
      if (!onlyManaged) {
        for (const event of ctx.state.world.events.get(calendar.calendar_id) ?? []) {
          if (changedSince(event) && instant(event.start) < toMs && instant(event.end) >= fromMs) events.push({ start: instant(event.start), json: eventJson(event, false) });
        }
      }
      if (includeManaged) {
        for (const event of ctx.state.managedEvents(calendar.calendar_id)) {
          // Managed events are not held to the default window, only to one the caller gives.
          const inWindow = (!to || instant(event.start) < toMs) && (!from || instant(event.end) >= fromMs);
          if (inWindow && changedSince(event)) events.push({ start: instant(event.start), json: eventJson(event, true) });
        }
      }
    }
    events.sort((a, b) => a.start - b.start);
    res.json(page(actorOf(req).grant, events.map((e) => e.json), 1));
  });

  router.get('/v1/events/pages/:id', (req: Request, res: Response) => {
    const entry = pages.get(one(req.params.id) ?? '');
    if (!entry || entry.grant !== actorOf(req).grant) return void res.status(404).json({ error: 'not_found' });
    res.json(page(entry.grant, entry.events, entry.current));
  });

  function writableCalendar(req: Request, res: Response, capability: 'create_event' | 'delete_event') {
    const account = accountWith(req, res, capability);
    if (!account) return undefined;
    const calendar = calendarsOf(account).find((c) => c.calendar_id === one(req.params.calendar_id));
    if (!calendar) {
      res.status(404).json({ error: 'not_found', error_description: 'No calendar with this id in the account' });
      return undefined;
    }
    return calendar;
  }

  router.post('/v1/calendars/:calendar_id/events', (req: Request, res: Response) => {
    const calendar = writableCalendar(req, res, 'create_event');
    if (!calendar) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors: Errors = {};
    for (const field of ['event_id', 'summary', 'start', 'end'] as const) {
      if (body[field] === undefined || body[field] === '') errors[field] = [{ key: 'errors.required', description: 'required' }];
    }
    const summary = one(body.summary);
    if (body.summary !== undefined && summary === undefined) errors.summary = [{ key: 'errors.invalid', description: 'must be a string' }];
    for (const field of ['start', 'end'] as const) {
      if (body[field] !== undefined && !isTime(body[field])) errors[field] = [{ key: 'errors.invalid', description: 'must be a date, a time, or {"time", "tzid"}' }];
    }
    if (summary !== undefined && summary.length > 1024) errors.summary = [{ key: 'errors.too_long', description: 'must be at most 1024 characters' }];
    if (calendar.calendar_readonly) errors.calendar_id = [{ key: 'errors.calendar_readonly', description: 'the calendar is read-only' }];
    if (Object.keys(errors).length > 0) return void invalid(res, errors);
    const time = (value: unknown): string => (typeof value === 'object' && value !== null && 'time' in value ? String(value.time) : String(value));
    const eventId = String(body.event_id);
    ctx.state.upsertEvent({
      calendar_id: calendar.calendar_id,
      event_id: eventId,
      event_uid: `evt_managed_${createHash('sha256').update(`${calendar.calendar_id}:${eventId}`).digest('hex').slice(0, 24)}`,
      summary: String(summary),
      description: one(body.description) ?? '',
      start: time(body.start),
      end: time(body.end),
      updated: cronofyTime(Date.now()),
    });
    res.status(202).end();
    ctx.channels.changed(accountOf(req), calendar.calendar_id, true);
  });

  router.delete('/v1/calendars/:calendar_id/events', (req: Request, res: Response) => {
    const calendar = writableCalendar(req, res, 'delete_event');
    if (!calendar) return;
    const eventId = one((req.body as Record<string, unknown> | undefined)?.event_id);
    if (!eventId) return void invalid(res, { event_id: [{ key: 'errors.required', description: 'required' }] });
    ctx.state.deleteEvent(calendar.calendar_id, eventId);
    res.status(202).end();
    ctx.channels.changed(accountOf(req), calendar.calendar_id, true);
  });

  return router;
}
