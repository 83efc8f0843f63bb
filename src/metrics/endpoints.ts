// Cronofy endpoints as metric labels: "METHOD /path" for the paths the client calls (none carries
// an id); any other path is "other" until it is listed here, so a label can never hold an id.
const TEMPLATES = new Set([
  'POST /oauth/token',
  'POST /oauth/token/revoke',
  'GET /v1/calendars',
  'GET /v1/userinfo',
  'POST /v1/permissions',
  'GET /v1/organizational_unit_members',
  'GET /v1/profiles',
  'GET /v1/events',
  'GET /v1/channels',
  'POST /v1/channels',
  'POST /v1/link_tokens',
  'POST /v1/service_account_authorizations',
]);
/** Paths with an id, each mapped to its template. */
const WITH_ID: readonly [RegExp, string][] = [[/^\/v1\/channels\/[^/]+$/, '/v1/channels/{channel_id}']];

export function endpointTemplate(method: string, path: string): string {
  const template = `${method} ${path}`;
  if (TEMPLATES.has(template)) return template;
  const withId = WITH_ID.find(([pattern]) => pattern.test(path));
  return withId ? `${method} ${withId[1]}` : 'other';
}
