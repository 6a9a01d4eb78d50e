// @ts-check
/*
 * The admin dashboard (sixpack-web's job): the experiment list with a chart each, and an
 * experiment's page with KPI and period, rates, intervals, the G-test, the bandit state,
 * description, winner, archive, pause, reset, delete (each confirmed) and CSV export.
 * DOM built with createElement and textContent only, styles by class: it runs under the admin
 * listener's strict CSP. With an admin token, the page asks for it once per tab (sessionStorage).
 */
(function () {
  'use strict';
  var TOKEN_KEY = 'splitflap-admin-token';
  var SVG = 'http://www.w3.org/2000/svg';
  var app = /** @type {HTMLElement} */ (document.getElementById('app'));
  var statusLine = /** @type {HTMLElement} */ (document.getElementById('status'));

  /** An element with attributes and children (strings become text). */
  function h(tag, attrs, children, ns) {
    var el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var name in attrs || {}) if (attrs[name] != null && attrs[name] !== false) el.setAttribute(name, String(attrs[name]));
    (children || []).forEach(function (child) { if (child != null) el.append(child); });
    return el;
  }
  function svg(tag, attrs, children) { return h(tag, attrs, children, SVG); }
  function button(label, action, onClick, danger) {
    var b = h('button', { type: 'button', 'data-action': action, class: danger ? 'danger' : null }, [label]);
    b.addEventListener('click', onClick);
    return b;
  }
  function status(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? 'status error' : 'status';
  }
  var enc = encodeURIComponent;
  var pct = function (x) { return Number(x).toFixed(2) + '%'; };
  var int = function (n) { return Number(n).toLocaleString('en'); };

  /** fetch with the admin token; a 401 asks for it. */
  function api(path, init) {
    init = init || {};
    var headers = Object.assign({}, init.headers || {});
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(path, Object.assign({}, init, { headers: headers, credentials: 'same-origin' })).then(function (res) {
      if (res.status === 401) {
        askToken();
        throw new Error('the admin token is required');
      }
      return res;
    });
  }
  function json(path, init) {
    return api(path, init).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body.message || 'HTTP ' + res.status);
        return body;
      });
    });
  }
  function post(path, body) {
    return json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
  }

  function askToken() {
    renders++; // a page still loading must not replace the form
    var input = h('input', { type: 'password', name: 'token', autocomplete: 'off', 'aria-label': 'Admin token' });
    var form = h('form', { class: 'token' }, ['Admin token: ', input, h('button', { type: 'submit' }, ['Open'])]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, /** @type {HTMLInputElement} */ (input).value);
      render();
    });
    app.replaceChildren(h('section', { class: 'card' }, [form]));
    status('This dashboard needs the admin token.');
  }

  /** The smallest of 1, 2, 5 × 10^k that is ≥ x (the chart's axis maximum). */
  function niceMax(x) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 0.1))));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= x) return steps[i] * p;
    return 10 * p;
  }

  /** Conversion rate bars with the 80% interval as whiskers, one row per alternative. */
  function rateChart(alternatives, bandit) {
    var label = 110, width = 360, row = 30, top = 6, axis = 22;
    var max = niceMax(Math.max.apply(null, alternatives.map(function (a) { return a.conversion_rate + a.confidence_interval; }).concat([1])));
    var x = function (v) { return label + (Math.min(Math.max(v, 0), max) / max) * width; };
    var height = top + alternatives.length * row + axis;
    var g = [];
    [0, max / 2, max].forEach(function (tick) {
      g.push(svg('line', { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - axis + 4, class: 'grid' }));
      g.push(svg('text', { x: x(tick), y: height - 6, class: 'tick', 'text-anchor': 'middle' }, [tick + '%']));
    });
    alternatives.forEach(function (a, i) {
      var y = top + i * row, mid = y + row / 2;
      var lo = a.conversion_rate - a.confidence_interval, hi = a.conversion_rate + a.confidence_interval;
      var kind = a.is_winner || (bandit && bandit.winner === a.name) ? 'winner' : a.is_control ? 'control' : 'alternative';
      g.push(svg('text', { x: label - 8, y: mid + 4, class: 'name', 'text-anchor': 'end' }, [a.name]));
      g.push(svg('rect', { x: label, y: y + 6, width: Math.max(x(a.conversion_rate) - label, 1), height: row - 12, rx: 3, class: 'bar ' + kind }));
      if (a.participant_count > 0) {
        g.push(svg('line', { x1: x(lo), x2: x(hi), y1: mid, y2: mid, class: 'whisker' }));
        g.push(svg('line', { x1: x(lo), x2: x(lo), y1: mid - 5, y2: mid + 5, class: 'whisker' }));
        g.push(svg('line', { x1: x(hi), x2: x(hi), y1: mid - 5, y2: mid + 5, class: 'whisker' }));
      }
      g.push(svg('text', { x: label + width + 8, y: mid + 4, class: 'value' }, [pct(a.conversion_rate) + ' ± ' + pct(a.confidence_interval)]));
    });
    return svg('svg', { class: 'chart rates', viewBox: '0 0 ' + (label + width + 120) + ' ' + height, role: 'img', 'aria-label': 'Conversion rate by alternative' }, g);
  }

  /** Conversion rate per period, one line per alternative. */
  function seriesChart(alternatives) {
    var dates = (alternatives[0] && alternatives[0].data.map(function (d) { return d.date; })) || [];
    var w = 480, hgt = 160, left = 40, bottom = 22;
    var rates = alternatives.map(function (a) { return a.data.map(function (d) { return d.participants ? (d.conversions / d.participants) * 100 : 0; }); });
    var max = niceMax(Math.max.apply(null, [].concat.apply([1], rates)));
    var px = function (i) { return left + (dates.length > 1 ? (i / (dates.length - 1)) * (w - left - 10) : (w - left) / 2); };
    var py = function (v) { return 8 + (1 - v / max) * (hgt - bottom - 8); };
    var g = [svg('line', { x1: left, x2: w, y1: py(0), y2: py(0), class: 'grid' }), svg('text', { x: 4, y: py(max) + 4, class: 'tick' }, [max + '%'])];
    rates.forEach(function (series, k) {
      g.push(svg('polyline', { points: series.map(function (v, i) { return px(i) + ',' + py(v); }).join(' '), class: 'series s' + (k % 6) }));
    });
    if (dates.length) {
      g.push(svg('text', { x: left, y: hgt - 4, class: 'tick' }, [dates[0]]));
      g.push(svg('text', { x: w, y: hgt - 4, class: 'tick', 'text-anchor': 'end' }, [dates[dates.length - 1]]));
    }
    var legend = h('p', { class: 'legend' }, alternatives.map(function (a, k) { return h('span', { class: 's' + (k % 6) }, [a.name]); }));
    return h('div', { class: 'series-chart' }, [svg('svg', { class: 'chart series', viewBox: '0 0 ' + w + ' ' + hgt, role: 'img', 'aria-label': 'Conversion rate by period' }, g), legend]);
  }

  function badges(view) {
    return [
      view.is_archived ? h('span', { class: 'badge archived' }, ['archived']) : null,
      view.is_paused ? h('span', { class: 'badge paused' }, ['paused']) : null,
      view.has_winner ? h('span', { class: 'badge winner' }, ['winner: ' + view.winner]) : null,
      view.bandit ? h('span', { class: 'badge' }, ['bandit: ' + view.bandit.policy]) : null,
    ];
  }

  function renderList(current) {
    return json('/_admin/experiments').then(function (body) {
      var names = body.experiments.slice().sort();
      return Promise.all(names.map(function (name) { return json('/experiments/' + enc(name)); })).then(function (views) {
        if (!current()) return;
        app.replaceChildren.apply(app, views.length ? views.map(function (view) {
          return h('article', { 'data-experiment': view.name }, [
            h('h2', {}, [h('a', { href: '#/e/' + enc(view.name) }, [view.name])].concat(badges(view))),
            h('p', { class: 'summary' }, [int(view.total_participants) + ' participants · ' + int(view.total_conversions) + ' conversions · created ' + (view.created_at || '?')]),
            rateChart(view.alternatives, view.bandit),
          ]);
        }) : [h('p', {}, ['No experiments yet.'])]);
        status(views.length + ' experiment' + (views.length === 1 ? '' : 's'));
      });
    });
  }

  /** Runs `action` after a confirmation, then re-renders; errors go to the status line. */
  function confirmed(question, action) {
    return function () {
      if (!window.confirm(question)) return;
      action().then(render, function (error) { status(error.message, true); });
    };
  }

  function alternativesTable(view, name) {
    var control = view.alternatives[0];
    var head = h('tr', {}, ['Alternative', 'Participants', 'Conversions', 'Rate', '80% interval', 'Change', 'G-test', 'Confidence', ''].map(function (t) { return h('th', {}, [t]); }));
    var rows = view.alternatives.map(function (a) {
      var lift = a.is_control || !control.conversion_rate ? null : (a.conversion_rate / control.conversion_rate - 1) * 100;
      var change = lift === null ? '—' : (lift > 0 ? '+' : '') + lift.toFixed(1) + '%';
      var winner = a.is_winner ? null : button('Set winner', 'winner', confirmed('Make ' + a.name + ' the winner of ' + name + '? Every visitor will get it.', function () { return post('/_admin/experiments/' + enc(name), { winner: a.name }); }));
      return h('tr', { 'data-alternative': a.name, class: a.is_winner ? 'winner' : null }, [
        h('td', {}, [a.name + (a.is_control ? ' (control)' : '')]), h('td', {}, [int(a.participant_count)]), h('td', {}, [int(a.completed_count)]),
        h('td', {}, [pct(a.conversion_rate)]), h('td', {}, ['± ' + pct(a.confidence_interval)]), h('td', {}, [change]),
        h('td', {}, [String(a.test_statistic)]), h('td', {}, [a.confidence_level]), h('td', {}, [winner]),
      ]);
    });
    return h('table', { class: 'alternatives' }, [h('thead', {}, [head]), h('tbody', {}, rows)]);
  }

  function periodTable(view) {
    var head = h('tr', {}, [h('th', {}, [view.period])].concat(view.alternatives.map(function (a) { return h('th', {}, [a.name + ' conv. / part.']); })));
    var dates = (view.alternatives[0] && view.alternatives[0].data) || [];
    var rows = dates.map(function (d, i) {
      return h('tr', { 'data-date': d.date }, [h('td', {}, [d.date])].concat(view.alternatives.map(function (a) {
        var point = a.data[i];
        return h('td', {}, [int(point.conversions) + ' / ' + int(point.participants)]);
      })));
    });
    return h('table', { class: 'periods' }, [h('thead', {}, [head]), h('tbody', {}, rows)]);
  }

  function banditSection(view) {
    var b = view.bandit;
    if (!b) return null;
    var weights = b.weights ? Object.keys(b.weights).map(function (k) { return k + ' ' + (b.weights[k] * 100).toFixed(1) + '%'; }).join(' · ') : 'unavailable';
    return h('section', { class: 'card bandit' }, [
      h('h3', {}, ['Bandit: ' + b.policy]),
      h('p', {}, ['Share of new participants: ' + weights]),
      h('p', {}, ['Detected winner: ' + (b.winner || 'none yet') + (b.p_value == null ? '' : ' (p = ' + Number(b.p_value).toPrecision(3) + ')')]),
    ]);
  }

  function select(id, options, value, onChange) {
    var el = /** @type {HTMLSelectElement} */ (h('select', { id: id, 'aria-label': id }, options.map(function (o) { return h('option', { value: o[0], selected: o[0] === value ? 'selected' : null }, [o[1]]); })));
    el.addEventListener('change', function () { onChange(el.value); });
    return el;
  }

  function downloadCsv(name, kpi, period) {
    return api('/_admin/experiments/' + enc(name) + '.csv?kpi=' + enc(kpi) + '&period=' + enc(period)).then(function (res) {
      if (!res.ok) throw new Error('CSV export: HTTP ' + res.status);
      return res.blob();
    }).then(function (blob) {
      var a = h('a', { href: URL.createObjectURL(blob), download: name + (kpi ? '-' + kpi : '') + '-' + period + '.csv' });
      document.body.append(a);
      a.click();
      a.remove();
    });
  }

  function experimentActions(view, record, name, kpi, period) {
    var path = '/_admin/experiments/' + enc(name);
    return h('div', { class: 'actions' }, [
      view.has_winner ? button('Reset winner', 'reset-winner', confirmed('Clear the winner of ' + name + '?', function () { return post(path, { winner: null }); })) : null,
      button(record.archived ? 'Unarchive' : 'Archive', 'archive', confirmed((record.archived ? 'Unarchive ' : 'Archive ') + name + '?', function () { return post(path, { archived: !record.archived }); })),
      button(record.paused ? 'Resume' : 'Pause', 'pause', confirmed((record.paused ? 'Resume ' : 'Pause ') + name + '?', function () { return post(path, { paused: !record.paused }); })),
      button('Export CSV', 'csv', function () { downloadCsv(name, kpi, period).then(function () { status('CSV exported'); }, function (e) { status(e.message, true); }); }),
      button('Reset data', 'reset', confirmed('Reset ' + name + '? All its participations and conversions are deleted.', function () { return post(path + '/reset'); }), true),
      button('Delete', 'delete', confirmed('Delete ' + name + ' and all its data? This cannot be undone.', function () {
        return json(path, { method: 'DELETE' }).then(function () { location.hash = '#/'; });
      }), true),
    ]);
  }

  function descriptionEditor(record, name) {
    var area = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'description', 'aria-label': 'Description', maxlength: 10000 }, [record.description || '']));
    var save = button('Save description', 'save-description', function () {
      post('/_admin/experiments/' + enc(name), { description: area.value || null }).then(function () { status('Description saved'); }, function (e) { status(e.message, true); });
    });
    return h('section', { class: 'card' }, [h('h3', {}, ['Description']), area, h('div', { class: 'actions' }, [save])]);
  }

  function renderExperiment(name, params, current) {
    var kpi = params.get('kpi') || '';
    var period = params.get('period') || 'day';
    var go = function (k, p) { location.hash = '#/e/' + enc(name) + '?kpi=' + enc(k) + '&period=' + enc(p); };
    return Promise.all([
      json('/experiments/' + enc(name) + '?kpi=' + enc(kpi) + '&period=' + enc(period)),
      json('/_admin/experiments/' + enc(name)),
    ]).then(function (both) {
      if (!current()) return;
      var view = both[0], record = both[1].experiment;
      var kpis = [['', 'default KPI']].concat(view.kpis.map(function (k) { return [k, k]; }));
      app.replaceChildren(
        h('article', { 'data-experiment': name, class: 'experiment' }, [
          h('h2', {}, [name].concat(badges(view))),
          h('p', { class: 'summary' }, [int(view.total_participants) + ' participants · ' + int(view.total_conversions) + ' conversions · ' + int(view.excluded_clients) + ' excluded · traffic ' + view.traffic_fraction * 100 + '% · created ' + (view.created_at || '?')]),
          h('div', { class: 'controls' }, [
            'KPI ', select('kpi', kpis, kpi, function (k) { go(k, period); }),
            ' period ', select('period', [['day', 'day'], ['month', 'month'], ['year', 'year']], period, function (p) { go(kpi, p); }),
          ]),
          rateChart(view.alternatives, view.bandit),
          alternativesTable(view, name),
          experimentActions(view, record, name, kpi, period),
        ]),
        banditSection(view) || '',
        h('section', { class: 'card' }, [h('h3', {}, ['By ' + period]), seriesChart(view.alternatives), periodTable(view)]),
        descriptionEditor(record, name),
      );
      status(name + (kpi ? ' · ' + kpi : '') + ' · by ' + period);
    });
  }

  /** Asks for the token first when the server needs one and this tab has none. */
  function start() {
    fetch('/dashboard.json', { credentials: 'same-origin' }).then(function (res) { return res.json(); }).then(function (config) {
      if (config.tokenRequired && !sessionStorage.getItem(TOKEN_KEY)) askToken();
      else render();
    }, function (error) { status(error.message, true); });
  }

  /** Renders the page the hash names; a render started later wins over one still loading. */
  var renders = 0;
  function render() {
    var seq = ++renders;
    var current = function () { return seq === renders; };
    var match = /^#\/e\/([^?]+)(?:\?(.*))?$/.exec(location.hash);
    var page = match ? renderExperiment(decodeURIComponent(match[1]), new URLSearchParams(match[2] || ''), current) : renderList(current);
    page.then(function () { document.documentElement.setAttribute('data-loaded', ''); }, function (error) {
      if (error.message !== 'the admin token is required') status(error.message, true);
    });
  }

  window.addEventListener('hashchange', render);
  start();
})();
