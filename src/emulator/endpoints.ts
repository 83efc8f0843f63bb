// Every endpoint the emulator serves, as one table: the router is built from it (index.ts), and
// docs/emulator.md's endpoint list is checked against it (test/emulator/endpoints.test.ts), so the
// two cannot drift apart.
// Roles: "app" pages people see and "api" calls applications make, both on one origin (as
// Cronofy's two hosts); "playground" only with the option playground; "control" only with controlApi.
import { Router, type RequestHandler } from 'express';
import { listCalendars, listMembers, listProfiles, readAccount, userInfo } from './api';
import { answerConsent, showConsent } from './authorize';
import { closeChannel, createChannel, listChannels } from './channels';
import type { EmulatorContext, Handler } from './context';
import * as control from './control';
import type { ControlHandler, Controls } from './control';
import { answerAdministratorConsent, requestServiceAccountAuthorizations, showAdministratorConsent } from './enterprise';
import { deleteEvent, readEvents, readEventsPage, upsertEvent } from './events';
import { showHome, stylesheet } from './home';
import { issueLinkToken } from './link-tokens';
import { answerApproval, requestPermissions, showApproval } from './permissions';
import { playChangeEvent, playDisconnectProfile, showPlayground } from './playground';
import { answerRelink, showRelink } from './profiles';
import { issueToken, revokeToken } from './token';

export type Method = 'GET' | 'POST' | 'DELETE';
export type Role = 'app' | 'api' | 'playground' | 'control';

interface Described {
  method: Method;
  /** An Express path; `:name` is a path parameter (docs write it `{name}`). */
  path: string;
  /** One line for docs/emulator.md. */
  summary: string;
}

export type Endpoint = Described & ({ role: 'app' | 'api' | 'playground'; handle: Handler } | { role: 'control'; handle: ControlHandler });

export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: '/', role: 'app', handle: showHome, summary: 'Says the emulator is running.' },
  { method: 'GET', path: '/__assets/emulator.css', role: 'app', handle: stylesheet, summary: "The emulator pages' stylesheet." },
  { method: 'GET', path: '/oauth/authorize', role: 'app', handle: showConsent, summary: 'The consent page (authorize.ts; implicit account linking, linking.ts).' },
  { method: 'POST', path: '/oauth/authorize', role: 'app', handle: answerConsent, summary: 'Allow or Deny: a redirect with a code or an error.' },
  { method: 'POST', path: '/oauth/token', role: 'api', handle: issueToken, summary: 'The authorization_code and refresh_token grants (token.ts).' },
  { method: 'POST', path: '/oauth/token/revoke', role: 'api', handle: revokeToken, summary: 'Revokes by token or by sub.' },
  { method: 'GET', path: '/v1/userinfo', role: 'api', handle: userInfo, summary: 'Who the token is for (api.ts).' },
  { method: 'GET', path: '/v1/account', role: 'api', handle: readAccount, summary: 'The account.' },
  { method: 'GET', path: '/v1/profiles', role: 'api', handle: listProfiles, summary: 'Calendar profiles, with their health.' },
  { method: 'GET', path: '/v1/calendars', role: 'api', handle: listCalendars, summary: 'Calendars.' },
  { method: 'GET', path: '/v1/organizational_unit_members', role: 'api', handle: listMembers, summary: "An organizational unit's members, first page only." },
  { method: 'GET', path: '/v1/events', role: 'api', handle: readEvents, summary: 'Read events, paged (events.ts).' },
  { method: 'GET', path: '/v1/events/pages/:id', role: 'api', handle: readEventsPage, summary: 'A later page of a read (next_page).' },
  { method: 'POST', path: '/v1/calendars/:calendar_id/events', role: 'api', handle: upsertEvent, summary: 'Create or update an event.' },
  { method: 'DELETE', path: '/v1/calendars/:calendar_id/events', role: 'api', handle: deleteEvent, summary: 'Delete an event.' },
  { method: 'POST', path: '/v1/permissions', role: 'api', handle: requestPermissions, summary: 'Ask for Extended Permissions (permissions.ts).' },
  { method: 'GET', path: '/permissions/requests/:id', role: 'app', handle: showApproval, summary: 'The approval page.' },
  { method: 'POST', path: '/permissions/requests/:id', role: 'app', handle: answerApproval, summary: "The approval page's answer." },
  { method: 'POST', path: '/v1/channels', role: 'api', handle: createChannel, summary: 'Open a push notification channel (channels.ts; deliveries, notify.ts).' },
  { method: 'GET', path: '/v1/channels', role: 'api', handle: listChannels, summary: "The account's open channels." },
  { method: 'DELETE', path: '/v1/channels/:channel_id', role: 'api', handle: closeChannel, summary: 'Close a channel.' },
  { method: 'POST', path: '/v1/link_tokens', role: 'api', handle: issueLinkToken, summary: 'A link token for explicit linking (link-tokens.ts).' },
  { method: 'GET', path: '/relink/:profile_id', role: 'app', handle: showRelink, summary: 'The relink page of a disconnected profile (profiles.ts).' },
  { method: 'POST', path: '/relink/:profile_id', role: 'app', handle: answerRelink, summary: 'Reconnects the profile.' },
  { method: 'GET', path: '/enterprise_connect/oauth/authorize', role: 'app', handle: showAdministratorConsent, summary: "The administrator's Enterprise Connect page (enterprise.ts)." },
  { method: 'POST', path: '/enterprise_connect/oauth/authorize', role: 'app', handle: answerAdministratorConsent, summary: "The administrator's answer." },
  { method: 'POST', path: '/v1/service_account_authorizations', role: 'api', handle: requestServiceAccountAuthorizations, summary: 'Ask for people\'s calendars; each answer is a signed callback (callbacks.ts).' },
  { method: 'GET', path: '/playground', role: 'playground', handle: showPlayground, summary: 'The sandbox demo: change a calendar, disconnect a profile (playground.ts).' },
  { method: 'POST', path: '/playground/change-event', role: 'playground', handle: playChangeEvent, summary: 'Adds an event to a primary calendar.' },
  { method: 'POST', path: '/playground/disconnect-profile', role: 'playground', handle: playDisconnectProfile, summary: 'Disconnects a calendar profile.' },
  { method: 'POST', path: '/__emulator/expire-access-tokens', role: 'control', handle: control.expireAccessTokens, summary: '`expireAccessTokens()`.' },
  { method: 'POST', path: '/__emulator/revoke', role: 'control', handle: control.revokeGrant, summary: '`revokeGrant()`; body `{"token_or_sub"}`.' },
  { method: 'POST', path: '/__emulator/fail-next', role: 'control', handle: control.failNext, summary: '`failNext()`; body `{"path", "times", "method", "status", "body", "headers", "dropAnswer"}`, any other field refused (400).' },
  { method: 'POST', path: '/__emulator/hold', role: 'control', handle: control.placeHold, summary: '`hold()`; body `{"path", "method"}`; answers 201 `{"id"}`.' },
  { method: 'GET', path: '/__emulator/hold/:id/arrived', role: 'control', handle: control.holdArrived, summary: 'Answers with the parked request (as recorded) once it has arrived.' },
  { method: 'POST', path: '/__emulator/hold/:id/release', role: 'control', handle: control.releaseHold, summary: '`release()`; body `{}` (its normal answer) or `{"status", "body", "headers"}`.' },
  { method: 'POST', path: '/__emulator/permissions-url', role: 'control', handle: control.overridePermissionsUrl, summary: '`overridePermissionsUrl()`; body `{"url"}` (none: restore).' },
  { method: 'GET', path: '/__emulator/grants', role: 'control', handle: control.liveGrants, summary: '`liveGrants()`.' },
  { method: 'GET', path: '/__emulator/requests', role: 'control', handle: control.recordedRequests, summary: '`requests()`.' },
  { method: 'DELETE', path: '/__emulator/requests', role: 'control', handle: control.clearRequests, summary: '`clearRequests()`.' },
  { method: 'GET', path: '/__emulator/callbacks', role: 'control', handle: control.sentCallbacks, summary: '`callbacks()`.' },
  { method: 'POST', path: '/__emulator/disconnect-profile', role: 'control', handle: control.disconnectProfile, summary: '`disconnectProfile()`; body `{"profile_id"}`.' },
  { method: 'POST', path: '/__emulator/change-event', role: 'control', handle: control.changeEvent, summary: '`changeEvent()`; body `{"account", "summary"}`; answers `{"event_uid"}`.' },
  { method: 'POST', path: '/__emulator/notify', role: 'control', handle: control.sendNotification, summary: '`sendNotification()`; body `{"account", "type"}`.' },
  { method: 'GET', path: '/__emulator/push-deliveries', role: 'control', handle: control.pushDeliveries, summary: '`pushDeliveries()`.' },
  { method: 'POST', path: '/__emulator/reset', role: 'control', handle: control.reset, summary: '`reset()`.' },
];

/** A router serving the endpoints of these roles: each handler gets the context, or the control for role "control". */
export function routesFor(roles: readonly Role[], ctx: EmulatorContext, controls: Controls): Router {
  const router = Router();
  for (const endpoint of ENDPOINTS) {
    if (!roles.includes(endpoint.role)) continue;
    const handler: RequestHandler =
      endpoint.role === 'control' ? (req, res) => endpoint.handle(controls, req, res) : (req, res) => endpoint.handle(ctx, req, res);
    if (endpoint.method === 'GET') router.get(endpoint.path, handler);
    else if (endpoint.method === 'POST') router.post(endpoint.path, handler);
    else router.delete(endpoint.path, handler);
  }
  return router;
}
