// Live updates for the calendars page (progressive enhancement; the page works without it).
// The server sends an `update` event over Server-Sent Events when a push notification changed
// something; this script then fetches the page again and swaps in every element marked data-live.
(function () {
  'use strict';
  if (!('EventSource' in window) || !('fetch' in window) || !('DOMParser' in window)) return;
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (old) {
          var replacement = fresh.getElementById(old.id);
          if (replacement) old.replaceWith(document.importNode(replacement, true));
        });
        markLive();
      })
      .catch(function () {
        /* the next update or a reload shows it */
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function markLive() {
    var note = document.getElementById('live-note');
    if (note) note.textContent = 'This page updates by itself.';
  }

  var source = new EventSource('/calendars/live');
  source.addEventListener('open', markLive);
  source.addEventListener('update', refresh);
})();
