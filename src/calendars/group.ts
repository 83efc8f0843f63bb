import type { Calendar } from '../cronofy/types';

export interface ProfileGroup {
  provider_name: string;
  profile_id: string;
  profile_name: string;
  calendars: Calendar[];
}

/** Calendars grouped by the calendar profile (provider account) they belong to, primary first. */
export function groupByProfile(calendars: Calendar[]): ProfileGroup[] {
  const groups = new Map<string, ProfileGroup>();
  for (const calendar of calendars) {
    if (calendar.calendar_deleted) continue;
    let group = groups.get(calendar.profile_id);
    if (!group) {
      group = { provider_name: calendar.provider_name, profile_id: calendar.profile_id, profile_name: calendar.profile_name, calendars: [] };
      groups.set(calendar.profile_id, group);
    }
    group.calendars.push(calendar);
  }
  for (const group of groups.values()) {
    group.calendars.sort((a, b) => Number(b.calendar_primary) - Number(a.calendar_primary) || a.calendar_name.localeCompare(b.calendar_name));
  }
  return [...groups.values()];
}
