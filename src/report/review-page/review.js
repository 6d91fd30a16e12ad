// The review page's behaviour, inlined by src/report/review-html.ts after
// diff2html's UI bundle (global Diff2HtmlUI). Reads the model from the JSON
// island #review-data and builds the page with DOM calls: file content is
// only ever set as text or handed to diff2html, which escapes it. Diffs are
// drawn when they scroll near the screen, so a 200-service review opens fast.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('review-data').textContent);
  var SEVERITIES = ['blocking', 'risky', 'info'];
  var REPO = '__repository__';
  var STATUS_TEXT = { manual: 'needs a human', fixed: 'fixed below', open: 'not fixed in this run', fixable: 'fixable' };

  // ---- tiny DOM helpers ------------------------------------------------------
  function h(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      for (var key in props) {
        var value = props[key];
        if (value === undefined || value === null || value === false) continue;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'class') node.className = value;
        else if (key === 'data') for (var d in value) node.dataset[d] = value[d];
        else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  /** Inline markdown of the rule docs as text nodes: `code`, [text](link) as text, **bold** as text. */
  function inlineMd(text) {
    var out = [];
    var re = /`([^`]+)`|\[([^\]]+)\]\([^)]*\)|\*\*([^*]+)\*\*/g;
    var last = 0;
    var m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(text.slice(last, m.index));
      if (m[1] !== undefined) out.push(h('code', { text: m[1] }));
      else out.push(m[2] !== undefined ? m[2] : m[3]);
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  // ---- indexes ---------------------------------------------------------------
  var ruleById = {};
  data.rules.forEach(function (r) { ruleById[r.id] = r; });
  var sevOf = function (rule) { return ruleById[rule] ? ruleById[rule].severity : 'info'; };
  var inventoryNames = data.services.map(function (s) { return s.name; });
  var serviceByName = {};
  data.services.forEach(function (s) { serviceByName[s.name] = s; });
  data.findings.forEach(function (f, i) { f.index = i; });
  var fileAnchor = {};
  data.files.forEach(function (f, i) { fileAnchor[f.path] = 'file-' + i; });

  // Cards: inventory order, then other packages (libraries), then repository files.
  var cardKeys = inventoryNames.slice();
  function addKey(k) { if (k && cardKeys.indexOf(k) < 0) cardKeys.push(k); }
  data.files.forEach(function (f) { addKey(f.service); });
  data.findings.forEach(function (f) { addKey(f.service); });
  var extra = cardKeys.slice(inventoryNames.length).sort();
  cardKeys = inventoryNames.concat(extra);
  cardKeys.push(REPO);
  var keyOfFile = function (f) { return f.service || REPO; };
  var keyOfFinding = function (f) { return f.service || REPO; };

  // ---- state -------------------------------------------------------------------
  var state = { service: '', rule: '', severity: '', path: '', view: 'side-by-side' };
  var hunkNodes = [];
  var findingNodes = [];
  var fileNodes = [];
  var cardNodes = [];

  // ---- top bar -----------------------------------------------------------------
  function select(id, label, options, onChange) {
    var s = h('select', { id: id, onchange: function () { onChange(s.value); } });
    options.forEach(function (o) { s.appendChild(h('option', { value: o[0], text: o[1] })); });
    return h('label', { for: id }, label, s);
  }
  var s = data.summary;
  var serviceOptions = [['', 'all services']].concat(cardKeys.map(function (k) { return [k, k === REPO ? 'repository files' : k]; }));
  var ruleOptions = [['', 'all rules']].concat(data.rules.map(function (r) {
    var n = data.mode === 'fix' ? r.hunks + ' hunks, ' + r.findings + ' findings' : r.findings + ' findings';
    return [r.id, r.id + ' (' + n + ')'];
  }));
  var sevOptions = [['', 'all severities']].concat(SEVERITIES.map(function (x) { return [x, x]; }));
  var viewButtons = ['side-by-side', 'line-by-line'].map(function (v) {
    return h('button', { type: 'button', id: 'view-' + v, 'aria-pressed': String(state.view === v), text: v, onclick: function () { setView(v); } });
  });
  var statusLine = h('div', { class: 'status-line', id: 'status-line', 'aria-live': 'polite' });
  var pathInput = h('input', { id: 'filter-path', type: 'search', placeholder: 'path contains…', oninput: function () { state.path = pathInput.value.trim(); applyFilters(); } });
  var topbar = h('div', { class: 'topbar' },
    h('h1', null, 'shipshape', h('span', { class: 'mode', text: (data.mode === 'fix' ? (data.dryRun ? 'fix review (dry run)' : 'fix review (applied)') : 'scan') + ' · ' + data.title })),
    h('div', { class: 'filters' },
      select('filter-service', 'Service', serviceOptions, function (v) { state.service = v; applyFilters(); }),
      select('filter-rule', 'Rule', ruleOptions, function (v) { state.rule = v; applyFilters(); }),
      select('filter-severity', 'Severity', sevOptions, function (v) { state.severity = v; applyFilters(); }),
      h('label', { for: 'filter-path' }, 'Path', pathInput),
      data.mode === 'fix' ? h('span', { class: 'seg', role: 'group', 'aria-label': 'diff layout' }, viewButtons) : null,
      h('button', { type: 'button', class: 'reset', id: 'filter-reset', text: 'Reset', onclick: resetFilters })),
    statusLine);

  // ---- summary -------------------------------------------------------------------
  function card(num, label, cls) { return h('div', { class: 'card' + (cls ? ' ' + cls : '') }, h('div', { class: 'num' }, num), h('div', { class: 'label', text: label })); }
  var cards = data.mode === 'fix'
    ? [
        card(String(s.files), 'files changed' + (s.created ? ' (' + s.created + ' new)' : '')),
        card([h('span', { class: 'add', text: '+' + s.added }), ' ', h('span', { class: 'del', text: '−' + s.removed })], 'lines'),
        card(String(s.hunks), 'hunks to review'),
        card(String(data.rules.filter(function (r) { return r.hunks > 0; }).length), 'rules applied'),
        card(String(s.manual), 'findings need a human', s.manual ? 'warn' : ''),
        s.open ? card(String(s.open), 'fixable, not fixed in this run', 'warn') : null,
        card(String(s.failed), 'files failed', s.failed ? 'bad' : ''),
        card(String(s.services), 'services'),
      ]
    : [
        card(String(s.services), 'services'),
        card(String(s.findings), 'findings'),
        card(String(data.findings.filter(function (f) { return f.severity === 'blocking'; }).length), 'blocking', 'bad'),
        card(String(s.manual), 'need a human', s.manual ? 'warn' : ''),
        card(String(s.findings - s.manual), 'fixable by shipshape fix'),
      ];

  // ---- per-rule table ------------------------------------------------------------
  var ruleRows = [];
  function rulesTable() {
    var maxLines = Math.max.apply(null, [1].concat(data.rules.map(function (r) { return r.added + r.removed; })));
    var head = data.mode === 'fix'
      ? ['Rule', 'Severity', 'Files', 'Hunks', 'Lines changed', 'Findings', 'Left manual', 'What it catches']
      : ['Rule', 'Severity', 'Findings', 'Fixable by', 'What it catches'];
    var numeric = { Files: 1, Hunks: 1, Findings: 1, 'Left manual': 1 };
    var rows = data.rules.map(function (r) {
      var cells = data.mode === 'fix'
        ? [
            h('td', null, h('span', { class: 'chip ' + r.severity, text: r.id })),
            h('td', null, h('span', { class: 'sev ' + r.severity, text: r.severity })),
            h('td', { class: 'num', text: r.hunks ? r.files : '—' }),
            h('td', { class: 'num', text: r.hunks ? r.hunks : '—' }),
            r.hunks
              ? h('td', { class: 'num' }, h('span', { class: 'add', text: '+' + r.added }), ' ', h('span', { class: 'del', text: '−' + r.removed }),
                  h('span', { class: 'bar add', style: 'width:' + Math.round((60 * r.added) / maxLines) + 'px' }),
                  h('span', { class: 'bar del', style: 'width:' + Math.round((60 * r.removed) / maxLines) + 'px' }))
              : h('td', { class: 'num', text: r.fixers.length ? '—' : 'no fixer' }),
            h('td', { class: 'num', text: r.findings }),
            h('td', { class: 'num', text: r.manual }),
            h('td', { class: 'desc', title: r.description }, inlineMd(r.description)),
          ]
        : [
            h('td', null, h('span', { class: 'chip ' + r.severity, text: r.id })),
            h('td', null, h('span', { class: 'sev ' + r.severity, text: r.severity })),
            h('td', { class: 'num', text: r.findings }),
            h('td', { text: r.fixers.length ? r.fixers.join(', ') : 'manual' }),
            h('td', { class: 'desc', title: r.description }, inlineMd(r.description)),
          ];
      var tr = h('tr', { class: 'clickable', data: { rule: r.id }, title: 'show only ' + r.id, onclick: function () { setRule(state.rule === r.id ? '' : r.id); } }, cells);
      ruleRows.push(tr);
      return tr;
    });
    return h('table', { class: 'grid', id: 'rules-table' },
      h('thead', null, h('tr', null, head.map(function (x) { return h('th', { class: numeric[x] || x === 'Lines changed' ? 'num' : null, text: x }); }))),
      h('tbody', null, rows));
  }

  // ---- inventory -------------------------------------------------------------------
  function inventoryTable() {
    var head = ['Service', 'Type', 'Dir', 'Dockerfile', 'Entrypoint', 'Port', 'Health', 'Prisma', 'Required env', 'Healthcheck'];
    if (data.mode === 'fix') head.push('Files changed');
    return h('table', { class: 'grid', id: 'inventory' },
      h('thead', null, h('tr', null, head.map(function (x) { return h('th', { text: x }); }))),
      h('tbody', null, data.services.map(function (sv) {
        var row = [sv.name, sv.type, sv.dir, sv.dockerfile || '—', sv.entrypoint || '—', sv.port === null ? '—' : sv.port,
          [sv.health, sv.ready ? 'ready ' + sv.ready : ''].filter(Boolean).join(', ') || '—', sv.prisma ? 'yes' : 'no',
          sv.requiredEnv.length ? sv.requiredEnv.join(', ') : '—', sv.healthcheck ? 'yes' : 'no'];
        if (data.mode === 'fix') row.push(sv.changed);
        return h('tr', { class: 'clickable', title: 'show only ' + sv.name, onclick: function () { setService(state.service === sv.name ? '' : sv.name); } },
          row.map(function (c, i) { return h('td', { class: i === 0 || i === 2 || i === 3 || i === 4 ? 'mono' : null, text: c }); }));
      })));
  }

  // ---- findings ----------------------------------------------------------------------
  function findingRow(f) {
    var anchor = fileAnchor[f.file];
    var where = f.file + ':' + f.line;
    var status = f.status === 'fixable' ? 'fixable: ' + f.fix : STATUS_TEXT[f.status];
    var tr = h('tr', { class: f.status === 'manual' ? 'manual finding' : 'finding', data: { rule: f.rule, severity: f.severity, service: keyOfFinding(f), file: f.file, status: f.status } },
      h('td', null, h('span', { class: 'sev ' + f.severity, text: f.severity })),
      h('td', null, h('span', { class: 'chip ' + f.severity, text: f.rule })),
      h('td', { class: 'where' }, anchor ? h('a', { href: '#' + anchor, text: where }) : where),
      h('td', { text: f.message }),
      h('td', null, h('span', { class: 'status ' + f.status, text: status })));
    var entry = { node: tr, f: f };
    findingNodes.push(entry);
    return entry;
  }

  // ---- files and hunks ------------------------------------------------------------------
  function hunkDiff(file, hunk) {
    return file.head.concat([hunk.header], hunk.lines).join('\n') + '\n';
  }

  function hunkBlock(file, hunk) {
    var rules = hunk.rules.length ? hunk.rules : [];
    var label = h('div', { class: 'hunk-label' },
      h('div', { class: 'rules' },
        rules.map(function (r) { return h('span', { class: 'chip ' + sevOf(r), text: r }); }),
        rules.length ? null : h('span', { class: 'tag', text: 'no rule' }),
        h('span', { class: 'by', text: 'by ' + hunk.transforms.join(', ') + ' · ' + hunk.header })),
      rules.map(function (r) {
        var why = ruleById[r] ? ruleById[r].why : '';
        if (!why) return null;
        // Several rules on one hunk: two lines each until clicked, so the diff stays in view.
        var p = h('p', { class: rules.length > 1 ? 'why clamp' : 'why', title: rules.length > 1 ? 'click to read all' : null }, h('b', { text: r + ': ' }), inlineMd(why));
        if (rules.length > 1) p.addEventListener('click', function () { p.classList.toggle('clamp'); });
        return p;
      }),
      hunk.fixes.length
        ? h('ul', { class: 'fixes' }, hunk.fixes.map(function (i) {
            var f = data.findings[i];
            return h('li', { text: 'fixes ' + f.rule + ' at ' + f.file + ':' + f.line + ': ' + f.message });
          }))
        : null);
    var target = h('div', { class: 'hunk-diff' });
    var node = h('div', { class: 'hunk', data: { rules: hunk.rules.join(' '), transforms: hunk.transforms.join(' '), path: file.path } }, label, target);
    var entry = { node: node, target: target, file: file, hunk: hunk, drawn: null,
      severities: rules.map(sevOf), services: hunk.services };
    target._entry = entry;
    pending(entry);
    hunkNodes.push(entry);
    return entry;
  }

  /** A manual finding as a list item, for the boxes next to the diffs. */
  function manualItem(f, withFile) {
    var li = h('li', { class: 'finding manual-item', data: { index: f.index, rule: f.rule, file: f.file, line: f.line } },
      h('span', { class: 'sev ' + f.severity, text: f.severity }), ' ', h('span', { class: 'chip ' + f.severity, text: f.rule }), ' ',
      h('span', { class: 'mono', text: (withFile ? f.file + ':' : 'line ') + f.line }), ' ', f.message);
    var entry = { node: li, f: f };
    findingNodes.push(entry);
    return entry;
  }

  function fileBlock(file) {
    var manual = data.findings.filter(function (f) { return f.file === file.path && f.status === 'manual'; }).map(function (f) { return manualItem(f, false); });
    var hunks = file.hunks.map(function (hk) { return hunkBlock(file, hk); });
    var box = manual.length ? h('div', { class: 'manual-box' }, h('h4', { text: 'Needs a human in this file' }), h('ul', null, manual.map(function (m) { return m.node; }))) : null;
    var node = h('div', { class: 'file', id: fileAnchor[file.path], data: { path: file.path } },
      h('div', { class: 'file-head' },
        h('span', { class: 'path', text: file.path }),
        file.created ? h('span', { class: 'tag created', text: 'new file' }) : null,
        file.rules.map(function (r) { return h('span', { class: 'chip ' + sevOf(r), text: r }); }),
        h('span', { class: 'counts' }, h('span', { class: 'add', text: '+' + file.added }), ' ', h('span', { class: 'del', text: '−' + file.removed }), ' · ' + plural(file.hunks.length, 'hunk'))),
      box,
      hunks.map(function (e) { return e.node; }));
    var entry = { node: node, file: file, hunks: hunks, manual: manual, box: box };
    fileNodes.push(entry);
    return entry;
  }

  function serviceCard(key) {
    var findings = data.findings.filter(function (f) { return keyOfFinding(f) === key; });
    var files = data.files.filter(function (f) { return keyOfFile(f) === key; });
    if (!findings.length && !files.length) return null;
    var sv = serviceByName[key];
    var order = { manual: 0, open: 1, fixable: 2, fixed: 3 };
    findings.sort(function (a, b) {
      return order[a.status] - order[b.status] || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
    });
    var counts = { manual: 0, open: 0, fixed: 0, fixable: 0 };
    findings.forEach(function (f) { counts[f.status]++; });
    var added = files.reduce(function (n, f) { return n + f.added; }, 0);
    var removed = files.reduce(function (n, f) { return n + f.removed; }, 0);
    // Manual findings stand next to their file's diff; those of files without a diff get a box of their own.
    var loose = data.mode === 'fix'
      ? findings.filter(function (f) { return f.status === 'manual' && !fileAnchor[f.file]; }).map(function (f) { return manualItem(f, true); })
      : [];
    var looseBox = loose.length
      ? h('div', { class: 'manual-box' }, h('h4', { text: 'Needs a human (in files this run does not change)' }), h('ul', null, loose.map(function (m) { return m.node; })))
      : null;
    var rows = findings.map(findingRow);
    var summary = [plural(findings.length, 'finding')];
    if (counts.manual) summary.push(counts.manual + ' need a human');
    if (counts.fixed) summary.push(counts.fixed + ' fixed below');
    if (counts.open) summary.push(counts.open + ' not fixed in this run');
    if (counts.fixable) summary.push(counts.fixable + ' fixable');
    var table = findings.length
      ? h('details', { class: 'findings', open: data.mode === 'scan' },
          h('summary', { text: summary.join(' · ') }),
          h('table', { class: 'grid' },
            h('thead', null, h('tr', null, ['Severity', 'Rule', 'Where', 'Finding', 'Status'].map(function (x) { return h('th', { text: x }); }))),
            h('tbody', null, rows.map(function (r) { return r.node; }))))
      : null;
    var fileEntries = files.map(fileBlock);
    var node = h('article', { class: 'service', id: 'service-' + (key === REPO ? 'repository' : key), data: { service: key } },
      h('header', null,
        h('h2', { text: key === REPO ? 'Repository files' : key }),
        sv ? h('span', { class: 'tag', text: sv.type }) : key === REPO ? h('span', { class: 'tag', text: 'compose, workflows, proxies' }) : h('span', { class: 'tag', text: 'library' }),
        sv ? h('span', { class: 'dir', text: sv.dir }) : null,
        h('span', { class: 'stats', text: (data.mode === 'fix' ? plural(files.length, 'file') + ' changed, +' + added + ' −' + removed + ' · ' : '') + plural(findings.length, 'finding') + (counts.manual ? ', ' + counts.manual + ' need a human' : '') })),
      h('div', { class: 'body' }, looseBox, table, fileEntries.map(function (e) { return e.node; })));
    cardNodes.push({ node: node, key: key, files: fileEntries, rows: rows, loose: loose, looseBox: looseBox, table: table });
    return node;
  }

  // ---- page ------------------------------------------------------------------------
  var empty = h('div', { class: 'empty', id: 'no-match', hidden: true, text: 'Nothing matches these filters.' });
  var cardsNode = h('div', { id: 'services' }, cardKeys.map(serviceCard), empty);
  var main = h('main', null,
    h('section', { class: 'block', id: 'summary' }, h('div', { class: 'cards' }, cards)),
    h('section', { class: 'block', id: 'per-rule' },
      h('h2', { text: data.mode === 'fix' ? 'Changes per rule' : 'Findings per rule' }),
      h('p', { class: 'note', text: data.mode === 'fix'
        ? 'Click a rule to see only its hunks and findings. A hunk that fixes two rules counts under both; lines changed are the added and removed lines of its hunks.'
        : 'Click a rule to see only its findings.' }),
      rulesTable()),
    data.graph
      ? h('section', { class: 'block', id: 'service-graph' }, h('details', { class: 'fold' }, h('summary', { text: 'Service graph' }), h('div', { class: 'graph' }, h('img', { src: data.graph, alt: 'service graph: services, their dependencies and the addresses they use' }))))
      : null,
    h('section', { class: 'block' }, h('details', { class: 'fold', open: data.services.length <= 30 }, h('summary', { text: 'Inventory (' + plural(data.services.length, 'service') + ')' }), inventoryTable())),
    data.failures.length
      ? h('section', { class: 'block', id: 'failures' }, h('h2', { text: 'Could not transform (' + plural(data.failures.length, 'file') + ')' }),
          h('ul', { class: 'failures' }, data.failures.map(function (f) { return h('li', { text: f.path + ':' + f.line + ': ' + f.message }); })))
      : null,
    h('section', { class: 'block' }, h('h2', { text: data.mode === 'fix' ? 'Changes and findings by service' : 'Findings by service' }), cardsNode));
  var app = document.getElementById('app');
  app.appendChild(topbar);
  app.appendChild(main);

  // ---- drawing diffs ---------------------------------------------------------------
  function draw(entry) {
    if (entry.drawn === state.view) return;
    entry.target.textContent = '';
    var ui = new Diff2HtmlUI(entry.target, hunkDiff(entry.file, entry.hunk), {
      outputFormat: state.view, drawFileList: false, matching: 'lines', highlight: false, fileListToggle: false,
      fileContentToggle: false, stickyFileHeaders: false, synchronisedScroll: true, colorScheme: 'light',
    });
    ui.draw();
    // Dockerfiles have no extension for diff2html to name their language.
    if (entry.file.lang) entry.target.querySelectorAll('.d2h-file-wrapper').forEach(function (w) { w.setAttribute('data-lang', entry.file.lang); });
    ui.highlightCode();
    entry.drawn = state.view;
  }
  var observer = 'IntersectionObserver' in window
    ? new IntersectionObserver(function (items) {
        items.forEach(function (it) { if (it.isIntersecting) draw(it.target._entry); });
      }, { rootMargin: '1200px 0px' })
    : null;
  function observeAll() {
    hunkNodes.forEach(function (e) {
      if (!observer) return draw(e);
      observer.unobserve(e.target);
      observer.observe(e.target);
    });
  }

  function pending(entry) {
    entry.target.textContent = '';
    entry.target.appendChild(h('div', { class: 'pending', text: entry.hunk.header }));
    entry.drawn = null;
  }
  function setView(v) {
    state.view = v;
    viewButtons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.id === 'view-' + v)); });
    // No diff stays in the old layout: the ones near the screen redraw at once, the rest when they come near.
    hunkNodes.forEach(function (e) { if (e.drawn !== null) pending(e); });
    observeAll();
  }

  // ---- filters -------------------------------------------------------------------
  function hunkMatches(e) {
    if (state.rule && e.hunk.rules.indexOf(state.rule) < 0) return false;
    if (state.severity && e.severities.indexOf(state.severity) < 0) return false;
    if (state.service) {
      if (state.service === REPO ? e.file.service !== null : e.services.indexOf(state.service) < 0) return false;
    }
    if (state.path && e.file.path.indexOf(state.path) < 0) return false;
    return true;
  }
  function findingMatches(f) {
    if (state.rule && f.rule !== state.rule) return false;
    if (state.severity && f.severity !== state.severity) return false;
    if (state.service && keyOfFinding(f) !== state.service) return false;
    if (state.path && f.file.indexOf(state.path) < 0) return false;
    return true;
  }
  function applyFilters() {
    var hunks = 0;
    var files = 0;
    var findings = 0;
    var manual = 0;
    hunkNodes.forEach(function (e) { e.visible = hunkMatches(e); e.node.hidden = !e.visible; if (e.visible) hunks++; });
    findingNodes.forEach(function (x) { x.visible = findingMatches(x.f); x.node.hidden = !x.visible; });
    var seen = {};
    findingNodes.forEach(function (x) { if (x.visible && !seen[x.f.index]) { seen[x.f.index] = 1; findings++; if (x.f.status === 'manual') manual++; } });
    var visible = function (x) { return x.visible; };
    fileNodes.forEach(function (x) {
      var anyHunk = x.hunks.some(visible);
      x.visible = anyHunk || x.manual.some(visible);
      x.node.hidden = !x.visible;
      if (anyHunk) files++;
      if (x.box) x.box.hidden = !x.manual.some(visible);
    });
    var anyCard = false;
    var filtered = !!(state.service || state.rule || state.severity || state.path);
    cardNodes.forEach(function (c) {
      var show = c.files.some(visible) || c.rows.some(visible) || c.loose.some(visible);
      c.node.hidden = !show;
      if (c.table) {
        c.table.hidden = !c.rows.some(visible);
        // A filter narrows the table to what it asked for: show it.
        if (filtered && data.mode === 'fix') c.table.open = true;
      }
      if (c.looseBox) c.looseBox.hidden = !c.loose.some(visible);
      anyCard = anyCard || show;
    });
    empty.hidden = anyCard;
    ruleRows.forEach(function (tr) { tr.classList.toggle('selected', tr.dataset.rule === state.rule); });
    document.getElementById('filter-service').value = state.service;
    document.getElementById('filter-rule').value = state.rule;
    document.getElementById('filter-severity').value = state.severity;
    statusLine.textContent = '';
    append(statusLine, [
      'Showing ',
      data.mode === 'fix' ? [h('strong', { text: String(hunks) }), ' of ' + s.hunks + ' hunks in ', h('strong', { text: String(files) }), ' of ' + s.files + ' files · '] : null,
      h('strong', { text: String(findings) }), ' of ' + s.findings + ' findings (' + manual + ' need a human)',
    ]);
    document.body.dataset.visibleHunks = String(hunks);
  }
  function setRule(r) { state.rule = r; applyFilters(); }
  function setService(v) { state.service = v; applyFilters(); }
  function resetFilters() {
    state.service = state.rule = state.severity = state.path = '';
    pathInput.value = '';
    applyFilters();
  }

  // Sticky file headers sit under the sticky top bar.
  function topbarHeight() { document.documentElement.style.setProperty('--topbar-h', topbar.offsetHeight + 'px'); }
  window.addEventListener('resize', topbarHeight);
  topbarHeight();
  applyFilters();
  observeAll();
  document.body.dataset.ready = '1';
})();
