/*
 * Page code that uses the client, loaded before the Splitflap tag: it queues a callback in
 * window.splitflapQueue, which runs once Splitflap has started, with (client, Splitflap).
 * An external file, so the page needs no inline script (Content-Security-Policy: script-src 'self').
 */
(window.splitflapQueue = window.splitflapQueue || []).push(function (client) {
  if (!client) return;
  // The body may still be loading: render once it is there.
  function whenParsed(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }
  // Conversions, from a click on data-convert or a goal URL.
  document.addEventListener('splitflap:convert', function (event) {
    var text = 'conversion sent: ' + event.detail.experiment + (event.detail.kpi ? ' (KPI ' + event.detail.kpi + ')' : '');
    whenParsed(function () {
      var item = document.createElement('li');
      item.textContent = text;
      document.getElementById('events').appendChild(item);
    });
  });
  client.ready().then(function () {
    whenParsed(function () {
      document.getElementById('visitor').textContent =
        'Visitor ' + client.clientId + ' · free-shipping ' + (client.isOn('free-shipping') ? 'on' : 'off');
    });
  });
});
