// Plays a person at an HTML form page (the emulator's consent and approval pages) the way a
// browser without JavaScript would: hidden fields, the chosen radio button, the clicked button.
import { parse } from 'node-html-parser';

export interface ConsentChoice {
  /** Text the sample account's label contains (e.g. "Google", "Microsoft", "Enterprise"); default: the first. */
  account?: string;
  decision?: 'Allow' | 'Deny';
}

/**
 * Plays the person at Cronofy's consent page: loads `authorizeUrl`, fills the form like a browser
 * (hidden fields, the chosen radio button, the clicked button) and returns the redirect it answers with.
 */
export async function consent(authorizeUrl: string, choice: ConsentChoice = {}, jar?: CookieJar): Promise<URL> {
  const page = await fetch(authorizeUrl, { redirect: 'manual', headers: jar?.cookie ? { cookie: jar.cookie } : {} });
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}`);
  return submitForm(authorizeUrl, await page.text(), choice.decision ?? 'Allow', choice.account, jar);
}

/** The Cronofy-side cookies of one browser (the emulator's linking cookie); none: a fresh browser each time. */
export interface CookieJar {
  cookie?: string;
}

/**
 * What a browser would send for the page's form when the button labelled `button` is clicked and the
 * radio whose label contains `radioLabel` is picked (the first one without a label). No I/O: the
 * benchmark's flow driver (bench/flow-driver.ts) sends it with its own HTTP client.
 */
export function formSubmission(pageUrl: string, html: string, button: string, radioLabel?: string): { action: URL; body: URLSearchParams } {
  const root = parse(html);
  const form = root.querySelector('form[method="post"]') ?? root.querySelector('form');
  if (!form) throw new Error('no form on the page');
  const body = new URLSearchParams();
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (!name) continue;
    const type = input.getAttribute('type') ?? 'text';
    if (type === 'radio' || type === 'checkbox') continue;
    body.append(name, input.getAttribute('value') ?? '');
  }
  const radios = form.querySelectorAll('input[type="radio"]');
  if (radios.length > 0) {
    const chosen =
      radios.find((radio) => {
        const id = radio.getAttribute('id');
        const label = id ? root.querySelector(`label[for="${id}"]`)?.text : radio.parentNode?.text;
        return radioLabel === undefined || (label ?? '').includes(radioLabel);
      }) ?? (radioLabel === undefined ? radios[0] : undefined);
    if (!chosen) throw new Error(`no option labelled "${radioLabel}"`);
    body.append(chosen.getAttribute('name') ?? '', chosen.getAttribute('value') ?? '');
  }
  for (const checkbox of form.querySelectorAll('input[type="checkbox"]')) {
    if (checkbox.hasAttribute('checked')) body.append(checkbox.getAttribute('name') ?? '', checkbox.getAttribute('value') ?? 'on');
  }
  const clicked = form.querySelectorAll('button').find((b) => b.text.trim().startsWith(button));
  if (!clicked) throw new Error(`no "${button}" button`);
  const buttonName = clicked.getAttribute('name');
  if (buttonName) body.append(buttonName, clicked.getAttribute('value') ?? '');

  return { action: new URL(form.getAttribute('action') ?? pageUrl, pageUrl), body };
}

/** Submits the page's form by clicking the button labelled `button`, picking the radio whose label contains `radioLabel`. */
export async function submitForm(pageUrl: string, html: string, button: string, radioLabel?: string, jar?: CookieJar): Promise<URL> {
  const { action, body } = formSubmission(pageUrl, html, button, radioLabel);
  const answer = await fetch(action, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(jar?.cookie ? { cookie: jar.cookie } : {}) },
    redirect: 'manual',
  });
  const set = answer.headers.getSetCookie();
  if (jar && set.length > 0) jar.cookie = set.map((c) => c.split(';')[0]).join('; ');
  const location = answer.headers.get('location');
  if (answer.status !== 302 && answer.status !== 303) throw new Error(`form answered ${answer.status}`);
  if (!location) throw new Error('redirect without Location');
  return new URL(location, action);
}

