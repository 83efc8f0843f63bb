// Events (docs/cronofy-notes.md, Events): read with paging, create or update, delete.
// - GET /v1/events needs tzid (422 otherwise); from, to and last_modified are dates or times (with
//   "T" or a space, as the SDKs send them); events returned start before `to`, end on or after
//   `from` and, with last_modified, changed on or after it. Managed events (created through the
//   API) only with include_managed or only_managed; only_managed needs no read_events scope.
//   include_deleted adds deleted events (deleted: true); include_moved adds events that were in the
//   window before they moved out of it. pages.next_page is absolute, present only when there is more.
// - POST /v1/calendars/{id}/events: 202 and no body; by event_id (managed) or event_uid (an external
//   event); 422 `{"errors":{field:[{key,description}]}}` for the body (event-body.ts), a read-only
//   or a deleted calendar; 404 for a calendar the account does not have.
// - DELETE /v1/calendars/{id}/events with {"event_id"} or {"event_uid"}: 202.
// - By event_uid only with Extended Permissions on the calendar (permission_level unrestricted), as
//   the C# SDK's CanUpsertExternalEvent has it for an update (docs/cronofy-notes.md, Events); a
//   delete is a change too (our reading). Without them: 403, the documented status for recognized
//   credentials lacking a privilege (what Cronofy answers is unconfirmed, docs/emulator.md choice 11).
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { accountWith, actorOf } from './bearer';
import { bodyOf, one, type EmulatorContext, type EmulatorResponse, type Errors, type Handler } from './context';
import { forbidden, invalid, notFound } from './errors';
import { parseEventBody } from './event-body';
import { calendarsOf, type SeedAccount } from './seed';
import type { Grant, KeptEvent } from './state';
import { parseInstant } from './times';

const MAX_PAGES_KEPT = 1000;

interface EventPage {
  grant: Grant;
  events: unknown[];
  current: number;
}

/** The later pages of each read, until they are read or crowded out (the oldest go past MAX_PAGES_KEPT). */
export function createEventPages() {
  const pages = new Map<string, EventPage>();
  return {
    /** Keeps a page for later; its id goes into next_page. */
    keep(page: EventPage): string {
      const id = randomBytes(8).toString('hex');
      pages.set(id, page);
      if (pages.size > MAX_PAGES_KEPT) pages.delete(pages.keys().next().value ?? id);
      return id;
    },
    find: (id: string): EventPage | undefined => pages.get(id),
  };
}

export type EventPages = ReturnType<typeof createEventPages>;

function eventJson(event: KeptEvent, managed: boolean, owner: SeedAccount) {
  return {
    calendar_id: event.calendar_id,
    event_uid: event.event_uid,
    ...('event_id' in event ? { event_id: event.event_id } : {}),
    summary: event.summary,
    description: event.description,
    start: event.start,
    end: event.end,
    deleted: event.deleted === true,
    created: event.created,
    updated: event.updated,
    ...(event.location ? { location: event.location } : {}),
    participation_status: managed ? 'accepted' : 'needs_action',
    attendees: [],
    organizer: event.organizer ?? { email: owner.email, display_name: owner.name },
    transparency: 'opaque',
    status: event.deleted ? 'cancelled' : 'confirmed',
    categories: [],
    recurring: false,
    event_private: false,
    options: { delete: managed, update: managed, change_participation_status: !managed },
  };
}

/** A date or time as ms, for comparing (a bare date is midnight UTC); NaN when malformed. */
const instant = (value: string, tzid?: string): number => parseInstant(value, tzid) ?? NaN;

function page(ctx: EmulatorContext, grant: Grant, events: unknown[], current: number) {
  const total = Math.max(1, Math.ceil(events.length / ctx.pageSize));
  const answer: { pages: Record<string, unknown>; events: unknown[] } = {
    pages: { current, total },
    events: events.slice((current - 1) * ctx.pageSize, current * ctx.pageSize),
  };
  if (current < total) answer.pages.next_page = `${ctx.publicUrl}/v1/events/pages/${ctx.eventPages.keep({ grant, events, current: current + 1 })}`;
  return answer;
}

export const readEvents: Handler = (ctx, req, res) => {
  const onlyManaged = one(req.query.only_managed) === 'true';
  // "you do not need [read_events] so long as you pass a only_managed parameter of true"
  // (https://docs.cronofy.com/developers/api/authorization/request-authorization/).
  const account = accountWith(res, onlyManaged ? null : 'read_events');
  const errors: Errors = {};
  const tzid = one(req.query.tzid);
  if (!tzid) errors.tzid = [{ key: 'errors.required', description: 'required' }];
  const bound = (field: 'from' | 'to' | 'last_modified'): number | undefined => {
    const value = one(req.query[field]);
    if (value === undefined) return undefined;
    const ms = instant(value, tzid);
    if (Number.isNaN(ms)) errors[field] = [{ key: 'errors.invalid', description: 'must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ)' }];
    return ms;
  };
  const from = bound('from');
  const to = bound('to');
  const lastModified = bound('last_modified');
  if (Object.keys(errors).length > 0) throw invalid(errors);

  const today = new Date();
  const day = (offset: number) => Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset);
  const fromMs = from ?? day(-16);
  const toMs = to ?? day(201);
  const wanted = [req.query['calendar_ids[]'], req.query.calendar_ids].flat().filter((v): v is string => typeof v === 'string');
  const includeManaged = onlyManaged || one(req.query.include_managed) === 'true';
  const includeDeleted = one(req.query.include_deleted) === 'true';
  const includeMoved = one(req.query.include_moved) === 'true';

  const overlaps = (start: string, end: string, window: { from?: number; to?: number }) =>
    (window.to === undefined || instant(start) < window.to) && (window.from === undefined || instant(end) >= window.from);
  const wantedEvent = (event: KeptEvent, window: { from?: number; to?: number }) =>
    (includeDeleted || !event.deleted) &&
    (lastModified === undefined || instant(event.updated) >= lastModified) &&
    (overlaps(event.start, event.end, window) || (includeMoved && (event.previous ?? []).some((p) => overlaps(p.start, p.end, window))));

  const events: { start: number; json: unknown }[] = [];
  for (const calendar of calendarsOf(account)) {
    if (wanted.length > 0 && !wanted.includes(calendar.calendar_id)) continue;
    if (!onlyManaged) {
      for (const event of ctx.state.externalEvents(calendar.calendar_id)) {
        if (wantedEvent(event, { from: fromMs, to: toMs })) events.push({ start: instant(event.start), json: eventJson(event, false, account) });
      }
    }
    if (includeManaged) {
      for (const event of ctx.state.managedEvents(calendar.calendar_id)) {
        // Managed events are not held to the default window, only to one the caller gives.
        if (wantedEvent(event, { from, to })) events.push({ start: instant(event.start), json: eventJson(event, true, account) });
      }
    }
  }
  events.sort((a, b) => a.start - b.start);
  res.json(page(ctx, actorOf(res).grant, events.map((e) => e.json), 1));
};

export const readEventsPage: Handler = (ctx, req, res) => {
  const entry = ctx.eventPages.find(one(req.params.id) ?? '');
  if (!entry || entry.grant !== actorOf(res).grant) throw notFound();
  res.json(page(ctx, entry.grant, entry.events, entry.current));
};

/** The account's calendar named in the path, where the token may do `capability`; 404 when the account has none such. */
function writableCalendar(req: Request, res: EmulatorResponse, capability: 'create_event' | 'delete_event') {
  const account = accountWith(res, capability);
  const calendar = calendarsOf(account).find((c) => c.calendar_id === one(req.params.calendar_id));
  if (!calendar) throw notFound('No calendar with this id in the account');
  return { account, calendar };
}

/** An external event's calendar must have Extended Permissions before it is changed by event_uid. */
function requireUnrestricted(ctx: EmulatorContext, calendarId: string): void {
  if (ctx.state.permissionLevel(calendarId) === 'unrestricted') return;
  throw forbidden(
    'Changing an event by event_uid needs Extended Permissions on its calendar: ask with POST /v1/permissions (permission_level unrestricted) and have the person allow it',
  );
}

export const upsertEvent: Handler = (ctx, req, res) => {
  const { account, calendar } = writableCalendar(req, res, 'create_event');
  const parsed = parseEventBody(req.body);
  const errors: Errors = parsed.ok ? {} : { ...parsed.errors };
  if (calendar.calendar_readonly) errors.calendar_id = [{ key: 'errors.calendar_readonly', description: 'the calendar is read-only' }];
  if (calendar.calendar_deleted) errors.calendar_id = [{ key: 'errors.calendar_deleted', description: 'the calendar has been deleted' }];
  if (!parsed.ok || Object.keys(errors).length > 0) throw invalid(errors);
  const { eventId, eventUid, change } = parsed;
  if (eventId !== undefined) {
    ctx.state.upsertEvent({
      calendar_id: calendar.calendar_id,
      event_id: eventId,
      event_uid: `evt_managed_${createHash('sha256').update(`${calendar.calendar_id}:${eventId}`).digest('hex').slice(0, 24)}`,
      ...change,
    });
  } else if (eventUid !== undefined) {
    requireUnrestricted(ctx, calendar.calendar_id);
    // An event_uid the calendar does not have is accepted and changes nothing (unconfirmed).
    ctx.state.changeExternalEvent(calendar.calendar_id, eventUid, change);
  }
  res.status(202).end();
  // The account whose calendar changed (the member's, under Cronofy-Impersonate): its channels hear of it.
  ctx.channels.changed(account.account_id, calendar.calendar_id, true);
};

export const deleteEvent: Handler = (ctx, req, res) => {
  const { account, calendar } = writableCalendar(req, res, 'delete_event');
  const body = bodyOf(req);
  const eventId = one(body.event_id);
  const eventUid = one(body.event_uid);
  if (!eventId && !eventUid) throw invalid({ event_id: [{ key: 'errors.required', description: 'required' }] });
  if (!eventId && eventUid) requireUnrestricted(ctx, calendar.calendar_id);
  if (eventId) ctx.state.deleteEvent(calendar.calendar_id, eventId);
  else if (eventUid) ctx.state.changeExternalEvent(calendar.calendar_id, eventUid, null);
  res.status(202).end();
  ctx.channels.changed(account.account_id, calendar.calendar_id, true);
};
