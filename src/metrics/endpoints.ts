// Cronofy endpoints as metric labels: "METHOD /path" for the paths the client calls (none carries
// an id); any other path is "other" until it is listed here, so a label can never hold an id.
const TEMPLATES = new Set([
  'POST /oauth/token',
  'POST /oauth/token/revoke',
  'GET /v1/calendars',
  'GET /v1/userinfo',
  'POST /v1/permissions',
  'GET /v1/organizational_unit_members',
]);

export function endpointTemplate(method: string, path: string): string {
  const template = `${method} ${path}`;
  return TEMPLATES.has(template) ? template : 'other';
}
