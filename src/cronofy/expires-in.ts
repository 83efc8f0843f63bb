// A token answer's expires_in is believed only within 60 s .. 90 days: Cronofy documents 3600 and
// 1800, and development tokens last "a few hours". Outside that the answer is broken or hostile
// (1e13 would overflow a Date), and the grant is given back rather than kept.
export const MIN_EXPIRES_IN_S = 60;
export const MAX_EXPIRES_IN_S = 90 * 24 * 60 * 60;

export const saneExpiresIn = (seconds: number): boolean =>
  Number.isInteger(seconds) && seconds >= MIN_EXPIRES_IN_S && seconds <= MAX_EXPIRES_IN_S;
