// @ts-check
/*
 * The results page: sixpack-web's experiment view and django-bandits' admin chart in one page,
 * without a framework. Per experiment and KPI: participants, conversions, conversion rate with
 * its 80% interval as bars with whiskers (SVG), change against the control, and the G-test with
 * its confidence label, all from the server's /experiments/NAME JSON. DOM built with
 * createElement and textContent only (no innerHTML), so it runs under a strict CSP.
 */
(function () {
  var script = /** @type {HTMLScriptElement} */ (document.currentScript);
  var base = (script.dataset.sixpackUrl || '/sixpack').replace(/\/*$/, '/');
  var fixed = script.dataset.experiments;
  var only = new URLSearchParams(location.search).get('experiment');
  var SVG = 'http://www.w3.org/2000/svg';

  /** An element with attributes and children (strings become text). */
  function h(tag, attrs, children, ns) {
    var el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var name in attrs || {}) if (attrs[name] != null) el.setAttribute(name, String(attrs[name]));
    (children || []).forEach(function (child) {
      if (child != null) el.append(child);
    });
    return el;
  }
  function svg(tag, attrs, children) {
    return h(tag, attrs, children, SVG);
  }

  function getJson(path) {
    return fetch(base + path, { credentials: 'omit' }).then(function (res) {
      if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
      return res.json();
    });
  }

  function names() {
    if (only) return Promise.resolve([only]);
    if (fixed) return Promise.resolve(fixed.split(',').map(function (s) { return s.trim(); }).filter(Boolean));
    return getJson('experiments.json').then(function (body) { return body.experiments.map(function (e) { return e.name; }).sort(); });
  }

  var pct = function (x) { return (Math.round(x * 100) / 100).toFixed(2) + '%'; };
  var int = function (n) { return Number(n).toLocaleString('en'); };
  var plural = function (n, word) { return int(n) + ' ' + word + (n === 1 ? '' : 's'); };

  /** The smallest of 1, 2, 5 × 10^k that is ≥ x (the chart's axis maximum). */
  function niceMax(x) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 0.1))));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= x) return steps[i] * p;
    return 10 * p;
  }

  /** Bars of conversion rate with the 80% interval as whiskers, one row per alternative. */
  function chart(alternatives, bandit) {
    var label = 110, width = 380, right = 150, row = 34, top = 8, axis = 24;
    var max = niceMax(Math.max.apply(null, alternatives.map(function (a) { return a.conversion_rate + a.confidence_interval; }).concat([1])));
    var x = function (v) { return label + (Math.min(Math.max(v, 0), max) / max) * width; };
    var height = top + alternatives.length * row + axis;
    var g = [];
    [0, max / 2, max].forEach(function (tick) {
      g.push(svg('line', { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - axis + 4, class: 'grid' }));
      g.push(svg('text', { x: x(tick), y: height - 6, class: 'tick', 'text-anchor': 'middle' }, [tick + '%']));
    });
    alternatives.forEach(function (a, i) {
      var y = top + i * row;
      var mid = y + row / 2;
      var lo = a.conversion_rate - a.confidence_interval, hi = a.conversion_rate + a.confidence_interval;
      var kind = a.is_winner || (bandit && bandit.winner === a.name) ? 'winner' : a.is_control ? 'control' : 'alternative';
      g.push(svg('text', { x: label - 10, y: mid + 4, class: 'name', 'text-anchor': 'end' }, [a.name]));
      g.push(svg('rect', { x: label, y: y + 7, width: Math.max(x(a.conversion_rate) - label, 1), height: row - 14, rx: 3, class: 'bar ' + kind }, [
        svg('title', {}, [a.name + ': ' + pct(a.conversion_rate) + ' (80% interval ' + pct(Math.max(lo, 0)) + ' to ' + pct(Math.min(hi, 100)) + ')']),
      ]));
      if (a.participant_count > 0) {
        g.push(svg('line', { x1: x(lo), x2: x(hi), y1: mid, y2: mid, class: 'whisker' }));
        g.push(svg('line', { x1: x(lo), x2: x(lo), y1: mid - 6, y2: mid + 6, class: 'whisker' }));
        g.push(svg('line', { x1: x(hi), x2: x(hi), y1: mid - 6, y2: mid + 6, class: 'whisker' }));
      }
      g.push(svg('text', { x: label + width + 10, y: mid + 4, class: 'value' }, [pct(a.conversion_rate) + ' ± ' + pct(a.confidence_interval)]));
    });
    var total = label + width + right;
    return svg('svg', { viewBox: '0 0 ' + total + ' ' + height, width: total, height: height, class: 'chart', role: 'img', 'aria-label': 'conversion rate by alternative' }, g);
  }

  /** A bandit's weight for new participants: a small SVG bar (no style attributes: strict CSP) and the percentage. */
  function weightCell(w) {
    if (typeof w !== 'number') return h('td', { class: 'weight' }, ['—']);
    return h('td', { class: 'weight' }, [
      svg('svg', { width: 60, height: 10, class: 'weight-bar', 'aria-hidden': 'true' }, [
        svg('rect', { x: 0, y: 0, width: 60, height: 10, rx: 2, class: 'track' }),
        svg('rect', { x: 0, y: 0, width: Math.round(w * 600) / 10, height: 10, rx: 2, class: 'fill' }),
      ]),
      ' ' + (w * 100).toFixed(1) + '%',
    ]);
  }

  function table(alternatives, bandit) {
    var control = alternatives[0];
    var head = ['Alternative', 'Participants', 'Conversions', 'Rate', '80% interval', 'vs control', 'G-test', 'Confidence'];
    if (bandit) head.push('Bandit weight');
    var rows = alternatives.map(function (a) {
      var change = a.is_control || !a.participant_count || !control.conversion_rate ? '—' : ((a.conversion_rate / control.conversion_rate - 1) * 100).toFixed(1) + '%';
      if (change[0] !== '-' && change !== '—') change = '+' + change;
      var lo = Math.max(a.conversion_rate - a.confidence_interval, 0), hi = Math.min(a.conversion_rate + a.confidence_interval, 100);
      var name = [a.name];
      if (a.is_control) name.push(' ', h('span', { class: 'tag' }, ['control']));
      if (a.is_winner) name.push(' ', h('span', { class: 'tag winner' }, ['winner']));
      var banditWinner = bandit && bandit.winner === a.name;
      if (banditWinner) name.push(' ', h('span', { class: 'tag winner bandit' }, ['bandit winner']));
      return h('tr', { 'data-alternative': a.name, class: banditWinner ? 'bandit-winner' : null }, [
        h('th', { scope: 'row' }, name),
        h('td', {}, [int(a.participant_count)]),
        h('td', {}, [int(a.completed_count)]),
        h('td', {}, [pct(a.conversion_rate)]),
        h('td', {}, [a.participant_count ? pct(lo) + ' – ' + pct(hi) : '—']),
        h('td', {}, [change]),
        h('td', { class: 'statistic' }, [String(a.test_statistic)]),
        h('td', { class: 'confidence' }, [a.confidence_level]),
        bandit ? weightCell(bandit.weights && bandit.weights[a.name]) : null,
      ]);
    });
    return h('table', {}, [
      h('thead', {}, [h('tr', {}, head.map(function (t) { return h('th', { scope: 'col' }, [t]); }))]),
      h('tbody', {}, rows),
    ]);
  }

  /** The bandit line of a bandit experiment: policy, detected winner and its p-value. */
  function banditLine(bandit) {
    var text = 'Bandit: ' + bandit.policy + ' · weights are the share of new participants';
    if (bandit.winner) text += ' · winner ' + bandit.winner + ' (p = ' + Number(bandit.p_value).toPrecision(2) + ')';
    else if (bandit.p_value != null) text += ' · no winner yet (p = ' + Number(bandit.p_value).toPrecision(2) + ')';
    return h('p', { class: 'bandit' + (bandit.winner ? ' has-winner' : '') }, [text]);
  }

  function section(view, kpi) {
    // Bandits choose on the default KPI: their weights show in that section only.
    var bandit = kpi ? null : view.bandit;
    return h('section', { class: 'kpi', 'data-kpi': kpi || '' }, [
      h('h3', {}, [kpi ? 'KPI ' + kpi : 'Conversions (default KPI)', h('small', {}, [' · ' + plural(view.total_participants, 'participant') + ', ' + int(view.total_conversions) + ' converted'])]),
      bandit ? banditLine(bandit) : null,
      chart(view.alternatives, bandit),
      table(view.alternatives, bandit),
    ]);
  }

  function card(name) {
    return getJson('experiments/' + encodeURIComponent(name)).then(function (view) {
      return Promise.all(view.kpis.map(function (kpi) {
        return getJson('experiments/' + encodeURIComponent(name) + '?kpi=' + encodeURIComponent(kpi));
      })).then(function (kpiViews) {
        var state = !view.is_enabled ? 'disabled' : view.is_archived ? 'archived' : view.is_paused ? 'paused' : view.has_winner ? 'winner: ' + view.winner : 'running';
        return h('article', { class: 'experiment', 'data-experiment': name }, [
          h('h2', {}, [name, h('span', { class: 'state' }, [state])]),
          h('p', { class: 'meta' }, [
            'created ' + view.created_at + ' · traffic fraction ' + view.traffic_fraction + (view.description ? ' · ' + view.description : ''),
          ]),
          section(view, null),
        ].concat(kpiViews.map(function (v, i) { return section(v, view.kpis[i]); })));
      });
    });
  }

  var main = /** @type {HTMLElement} */ (document.getElementById('experiments'));
  var status = /** @type {HTMLElement} */ (document.getElementById('status'));

  function refresh() {
    return names()
      .then(function (list) { return Promise.all(list.map(card)); })
      .then(function (cards) {
        main.replaceChildren.apply(main, cards.length ? cards : [h('p', { class: 'empty' }, ['No experiments yet: open the plain page and click around.'])]);
        status.textContent = 'From ' + new URL(base, location.href).href + ' · updated ' + new Date().toLocaleTimeString('en-GB');
        document.documentElement.setAttribute('data-loaded', 'true');
      })
      .catch(function (error) {
        status.textContent = 'Could not read the Sixpack server (' + error.message + '); retrying.';
      });
  }

  refresh();
  setInterval(refresh, 2000);
})();
