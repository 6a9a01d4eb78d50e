/*
 * The cookie banner pattern, in the smallest form: a consent management platform (CMP) does the
 * same. The visitor's answer is the banner's own memory (strictly necessary, so it needs no
 * consent); Splitflap is told it before it starts, through window.splitflapConfig, and told a new
 * answer with client.setConsent().
 */
(function () {
  var KEY = 'demo-consent';
  var answer = null;
  try {
    answer = localStorage.getItem(KEY);
  } catch (e) {}
  var consent = answer === 'granted' || answer === 'denied' ? answer : 'pending';
  window.splitflapConfig = Object.assign({}, window.splitflapConfig, { consent: consent });

  (window.splitflapQueue = window.splitflapQueue || []).push(function (client) {
    if (!client || consent !== 'pending') return;
    function whenParsed(fn) {
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
      else fn();
    }
    whenParsed(function () {
      var banner = document.getElementById('consent-banner');
      function decide(choice) {
        try {
          localStorage.setItem(KEY, choice);
        } catch (e) {}
        client.setConsent(choice);
        banner.hidden = true;
      }
      document.getElementById('consent-accept').addEventListener('click', function () { decide('granted'); });
      document.getElementById('consent-reject').addEventListener('click', function () { decide('denied'); });
      banner.hidden = false;
    });
  });
})();
