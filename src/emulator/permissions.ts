// Extended Permissions (docs/cronofy-notes.md, Extended Permissions).
// - POST /v1/permissions: every calendar_id must be the account's and permission_level
//   `unrestricted` ("the only acceptable value"), and redirect_uri is required (both documented,
//   https://docs.cronofy.com/developers/api/authorization/extended-permissions/) and registered
//   (422 otherwise). An Enterprise-Connect-linked account is granted at once:
//   {"permissions_request":{"accepted":true}}. Any other gets {"permissions_request":{"url":…}},
//   the emulator's approval page.
// - The approval page answers once: Allow grants and redirects to redirect_uri; Deny redirects with
//   error=access_denied (documented on the same page; docs/cronofy-notes.md U3, now confirmed).
//   No redirect_uri: a page says it is done.
import { pagePolicy } from './authorize';
import { accountWith } from './bearer';
import { bodyOf, one, withQuery, type Errors, type Handler } from './context';
import { invalid, PageError } from './errors';
import { calendarsOf } from './seed';

export const requestPermissions: Handler = (ctx, req, res) => {
  const account = accountWith(res, null);
  const body = bodyOf(req);
  const owned = new Set(calendarsOf(account).map((c) => c.calendar_id));
  const errors: Errors = {};
  const requested: string[] = [];
  if (!Array.isArray(body.permissions) || body.permissions.length === 0) {
    errors.permissions = [{ key: 'errors.required', description: 'a non-empty list of permissions is required' }];
  } else {
    for (const entry of body.permissions as unknown[]) {
      const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      const calendarId = one(item.calendar_id);
      if (!calendarId || !owned.has(calendarId)) {
        errors.calendar_id = [{ key: 'errors.unknown_calendar', description: 'every calendar_id must be a calendar of this account' }];
      } else requested.push(calendarId);
      if (item.permission_level !== 'unrestricted') {
        errors.permission_level = [{ key: 'errors.invalid', description: 'permission_level must be unrestricted' }];
      }
    }
  }
  // redirect_uri is documented as required; the Ruby SDK's spec posts none for an account linked
  // to Enterprise Connect and is answered accepted: true. Our reading: required whenever a person
  // is to be sent back, so not for a linked account (unconfirmed, docs/emulator.md).
  const redirectUri = one(body.redirect_uri);
  const atOnce = ctx.state.permissionsAtOnce(account);
  if (body.redirect_uri === undefined && !atOnce) {
    errors.redirect_uri = [{ key: 'errors.required', description: 'required' }];
  } else if (body.redirect_uri !== undefined && (redirectUri === undefined || !ctx.redirectUris.includes(redirectUri))) {
    errors.redirect_uri = [{ key: 'errors.invalid', description: "redirect_uri must be one of the application's registered redirect URIs" }];
  }
  if (Object.keys(errors).length > 0) throw invalid(errors);

  if (atOnce) {
    ctx.state.grantUnrestricted(requested);
    return void res.json({ permissions_request: { accepted: true } });
  }
  const id = ctx.state.createPermissionsRequest(account, requested, redirectUri);
  res.json({ permissions_request: { url: ctx.overrides.permissionsUrl ?? `${ctx.publicUrl}/permissions/requests/${id}` } });
};

const expired = () =>
  new PageError({
    status: 404,
    heading: 'This request is no longer open',
    text: 'The permissions request was already answered or has expired (after 10 minutes). Go back to the application and ask again.',
  });

export const showApproval: Handler = (ctx, req, res) => {
  const pending = ctx.state.permissionsRequest(one(req.params.id) ?? '');
  if (!pending) throw expired();
  res.setHeader('Content-Security-Policy', pagePolicy(pending.redirectUri));
  res.render('approval', {
    applicationName: ctx.applicationName,
    account: pending.account,
    id: one(req.params.id),
    calendars: calendarsOf(pending.account).filter((c) => pending.calendarIds.includes(c.calendar_id)),
  });
};

export const answerApproval: Handler = (ctx, req, res) => {
  const pending = ctx.state.takePermissionsRequest(one(req.params.id) ?? '');
  if (!pending) throw expired();
  const allowed = one(bodyOf(req).decision) === 'allow';
  if (allowed) ctx.state.grantUnrestricted(pending.calendarIds);
  if (pending.redirectUri) return void res.redirect(allowed ? pending.redirectUri : withQuery(pending.redirectUri, { error: 'access_denied' }));
  res.render('message', allowed
    ? { heading: 'Access granted', text: 'The application now has unrestricted access to those calendars. You can close this page.' }
    : { heading: 'Access declined', text: 'Nothing changed. You can close this page.' });
};
