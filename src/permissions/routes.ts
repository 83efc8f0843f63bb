// Extended Permissions: https://docs.cronofy.com/developers/api/authorization/extended-permissions/
// - GET /permissions: the calendars, a checkbox for each not yet unrestricted (CSRF-protected form).
// - POST /permissions: only calendar ids of this account (else 400, no call to Cronofy), then
//   POST /v1/permissions. `accepted: true` (Enterprise Connect): granted at once. A `url`: followed
//   only when it is on the Cronofy app host (or the emulator's), with a pending request remembered.
// - GET /permissions/callback: needs that pending request; the calendars are read again: the API,
//   not the query string, says what was granted. The return carries no state (and Cronofy's
//   redirect_uri is matched as registered, so it cannot carry a nonce of ours), so anyone can send
//   a person to it, with error=access_denied or with nothing (K3, M8): whatever the query says, the
//   pending request is used up only once the API shows every requested calendar granted, so the
//   real return still completes after a forged one.
import { Router } from 'express';
import type { AppContext } from '../context';
import type { Calendar } from '../cronofy/types';
import { connectionOf } from '../session/access';
import { redirectHomeWith } from '../web/notices';
import { PageError } from '../web/errors';
import { ERROR_CHARSET, singleParam } from '../web/params';
import { flowNotCounted, flowOutcome } from '../metrics/flows';
import { ageOf, type Cached } from '../cache/read-cache';

const MAX_CALENDARS_PER_REQUEST = 50;
const CALENDAR_ID = /^[A-Za-z0-9_@.=+-]{1,200}$/;

export function permissionRoutes(ctx: AppContext): Router {
  const router = Router();
  const pending = ctx.pendingPermissions;

  /** A connection's calendars, from the read cache (CRONOFY_CACHE_SECONDS) when it holds them. */
  const cachedCalendars = (connectionId: string): Promise<Cached<Calendar[]>> =>
    ctx.cache.read(connectionId, 'calendars', async () => {
      const { result } = await ctx.accessTokens.withAccessToken(connectionId, (c) =>
        ctx.clientFor(c.data_center).listCalendars({ accessToken: c.access_token }),
      );
      return result;
    });
  const calendarsOf = async (connectionId: string): Promise<Calendar[]> => (await cachedCalendars(connectionId)).value;

  router.get('/permissions', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) return redirectHomeWith(res, 'connect-for-permissions');
    const cached = await cachedCalendars(id);
    res.render('permissions', { calendars: cached.value.filter((c) => !c.calendar_deleted), fetched: ageOf(cached, ctx.now()) });
  });

  router.post('/permissions', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) return redirectHomeWith(res, 'connect-for-permissions');
    const requested = selectedIds(req.body);
    if (requested.length === 0) {
      throw new PageError({
        status: 400,
        code: 'no_calendar_chosen',
        title: 'No calendar was chosen',
        message: 'Tick at least one calendar to ask for unrestricted access to it.',
        next: [{ href: '/permissions', label: 'Choose calendars' }],
      });
    }
    const owned = new Set((await calendarsOf(id)).map((c) => c.calendar_id));
    if (requested.length > MAX_CALENDARS_PER_REQUEST || !requested.every((calendarId) => owned.has(calendarId))) {
      throw new PageError({
        status: 400,
        code: 'not_your_calendars',
        title: 'Those calendars are not yours',
        message: 'The request named calendars that do not belong to the connected account. Nothing was sent to Cronofy. Choose from the list.',
        next: [{ href: '/permissions', label: 'Choose calendars' }],
      });
    }

    await ctx.cache.invalidate(id); // whatever Cronofy answers, the permission levels may change
    const { result: answer, connection } = await ctx.accessTokens.withAccessToken(id, (c) =>
      ctx.clientFor(c.data_center).elevatedPermissions(
        { accessToken: c.access_token },
        {
          permissions: requested.map((calendar_id) => ({ calendar_id, permission_level: 'unrestricted' as const })),
          redirect_uri: ctx.redirectUris.permissions,
        },
      ),
    );
    // The approval page belongs to the connection's data center, recorded when it was made.
    const cronofyAppOrigin = new URL(ctx.clientFor(connection.data_center).hosts.appUrl).origin;

    await ctx.cache.invalidate(id); // and again: a page read meanwhile may have cached the old levels
    ctx.inspector.record(req, 'Permissions requested: POST /v1/permissions', {
      calendars: requested.join(', '),
      permission_level: 'unrestricted',
      redirect_uri: ctx.redirectUris.permissions,
      answer: answer.accepted ? 'accepted: true (Enterprise Connect)' : answer.url ? `url on ${safeOrigin(answer.url)}` : 'nothing usable',
    });
    if (answer.accepted) {
      const result = await outcome(id, requested, 'accepted');
      flowOutcome(res, 'started');
      flowOutcome(res, 'connected');
      return res.render('permissions-result', result);
    }
    if (!answer.url || !isOn(answer.url, cronofyAppOrigin)) {
      throw new PageError({
        status: 502,
        code: 'untrusted_approval_url',
        title: 'Cronofy sent an approval link the app does not trust',
        message: `The approval page must be on ${cronofyAppOrigin}; the link pointed elsewhere, so the app did not follow it. Nothing was granted.`,
        next: [{ href: '/permissions', label: 'Back to permissions' }],
      });
    }
    await pending.put(req.sessionID, { connection_id: id, calendar_ids: requested, created_at: ctx.now() });
    flowOutcome(res, 'started');
    res.redirect(answer.url);
  });

  router.get('/permissions/callback', async (req, res) => {
    const error = singleParam(req, 'error', 64, ERROR_CHARSET);
    const request = await pending.peek(req.sessionID);
    if (!request || request.connection_id !== connectionOf(req, 'individual')) {
      throw new PageError({
        status: 400,
        code: 'no_pending_permissions',
        title: 'No permissions request is waiting',
        message: 'This return from Cronofy does not match a request made from this browser in the last 10 minutes (it may have been used already). Nothing was changed.',
        next: [{ href: '/permissions', label: 'Request permissions' }],
      });
    }
    ctx.inspector.record(req, 'Back from the approval page', { error: error.ok ? (error.value ?? 'none') : 'malformed' });
    if (!error.ok || (error.value !== undefined && error.value !== 'access_denied')) {
      throw new PageError({
        status: 400,
        code: 'permissions_error',
        title: 'Cronofy could not complete the permissions request',
        message: `Cronofy reported a problem${error.ok ? ` (${error.value})` : ''}. Nothing was granted; you can ask again.`,
        next: [{ href: '/permissions', label: 'Request permissions' }],
      });
    }
    await ctx.cache.invalidate(request.connection_id);
    const result = await outcome(request.connection_id, request.calendar_ids, 'approved');
    ctx.inspector.record(req, 'Back from the approval page; calendars read again', {
      granted: result.granted.map((c) => c.calendar_id).join(', ') || 'none',
    });
    if (result.notGranted.length === 0) {
      // Done: the API shows it all granted, whatever the query said. Two returns at once: one counts.
      if (await pending.take(req.sessionID)) flowOutcome(res, 'connected');
      else flowNotCounted(res);
      return res.render('permissions-result', result);
    }
    if (error.value === 'access_denied') {
      flowOutcome(res, 'declined');
      return res.render('permissions-declined');
    }
    flowNotCounted(res); // not (yet) all granted: the request stays pending, and counts when it ends
    res.render('permissions-result', { ...result, stillPending: true });
  });

  async function outcome(connectionId: string, requested: string[], how: 'accepted' | 'approved') {
    const wanted = new Set(requested);
    const calendars = (await calendarsOf(connectionId)).filter((c) => wanted.has(c.calendar_id));
    return {
      how,
      granted: calendars.filter((c) => c.permission_level === 'unrestricted'),
      notGranted: calendars.filter((c) => c.permission_level !== 'unrestricted'),
    };
  }

  return router;
}

/** calendar_id from the form: one value or several (repeated key), each a plausible id. */
function selectedIds(body: unknown): string[] {
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).calendar_id : undefined;
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const ids = values.filter((v): v is string => typeof v === 'string' && CALENDAR_ID.test(v));
  return ids.length === values.length ? [...new Set(ids)] : ['<invalid>'];
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an unreadable URL';
  }
}

function isOn(url: string, origin: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.origin === origin && (parsed.protocol === 'https:' || parsed.protocol === 'http:');
  } catch {
    return false;
  }
}
