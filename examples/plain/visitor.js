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
  function showVisitor() {
    document.getElementById('visitor').textContent =
      'Visitor ' + client.clientId + ' · free-shipping ' + (client.isOn('free-shipping') ? 'on' : 'off');
  }
  client.ready().then(function () {
    whenParsed(function () {
      showVisitor();
      // Live: the payload stream changes what the visitor gets without a reload.
      client.subscribe(showVisitor);
      // The demo server's switch (examples/live-payload.ts): every open page follows it.
      var flip = document.getElementById('flip');
      if (flip) flip.addEventListener('click', function () {
        fetch('/api/features/plain/flip', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ feature: 'free-shipping', value: !client.isOn('free-shipping') }),
        });
      });
    });
  });
});
