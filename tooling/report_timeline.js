// Draws the day's timeline (the marks and lanes are decided in tooling/report_html.py); inlined into the page.
// Marks arrive sorted best to worst, so the worst of neighbouring marks is painted last, on top.
(function () {
  const data = JSON.parse(document.getElementById('day-data').textContent);
  const svg = document.getElementById('timeline');
  const NS = 'http://www.w3.org/2000/svg';
  const t0 = Date.parse(data.start), t1 = Date.parse(data.end);
  const left = 230, width = 1000, laneH = 18, top = 22, right = 40;
  const row = {}; data.lanes.forEach((l, i) => { row[l.id] = i; });
  const colours = {RUN: '#2e7d32', SKIP: '#9e9e9e', ABORT: '#c62828', success: '#1565c0', no_data: '#f9a825',
                   failed: '#c62828', expected: '#6a1b9a', cleanup: '#00838f', republished: '#ef6c00'};
  const snapColours = {open: '#5e35b1', regular: '#1e88e5', injury: '#ef6c00', closing: '#2e7d32'};
  const height = top + 10 + data.lanes.length * laneH;
  svg.setAttribute('viewBox', '0 0 ' + (left + width + right) + ' ' + height);
  svg.setAttribute('height', height);
  const el = (tag, attrs, text, parent) => {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    (parent || svg).appendChild(e); return e;
  };
  const xOf = (t) => left + width * (Date.parse(t) - t0) / (t1 - t0);
  const titled = (node, text) => { el('title', {}, text, node); return node; };
  data.lanes.forEach((l, i) => {
    const y = top + i * laneH;
    if (l.kind === 'group') el('rect', {x: 0, y: y, width: left + width + right, height: laneH, fill: '#f3f3f3'});
    el('text', {x: l.kind === 'group' ? 4 : 16, y: y + 13, 'font-size': 11, 'font-weight': l.kind === 'group' ? 'bold' : 'normal', class: 'lane'}, l.label);
  });
  // One label per ET hour, centred on its line (every third drawn), inside the view box: none is clipped.
  data.axis.forEach((a, i) => {
    const x = xOf(a.t);
    el('line', {x1: x, x2: x, y1: top - 4, y2: height, stroke: '#eee'});
    if (i % 3 === 0 || i === data.axis.length - 1) el('text', {x: x, y: 12, 'font-size': 10, 'text-anchor': 'middle', class: 'axis'}, a.label);
  });
  let drawn = 0;
  data.marks.forEach(m => {
    const y = top + row[m.lane] * laneH;
    const g = el('g', {class: 'cell st-' + m.status, 'data-status': m.status, 'data-count': m.count, 'data-lane': m.lane, 'data-t': m.t});
    const parent = m.href ? el('a', {href: '#' + m.href}, undefined, g) : g;
    const x = xOf(m.t);
    titled(el('rect', {x: x - 3, y: y + 3, width: 6, height: laneH - 6, fill: colours[m.status] || '#000', class: 'mark ' + m.status}, undefined, parent), m.title);
    if (m.count > 1) el('text', {x: x + 4, y: y + 8, 'font-size': 7, class: 'count'}, String(m.count), parent);
    drawn += 1;
  });
  data.lines.forEach(m => {
    const y = top + row[m.lane] * laneH, x = xOf(m.t);
    if (!m.snapshot_type) {
      titled(el('path', {d: `M${x} ${y + 2} l5 7 l-5 7 l-5 -7 z`, fill: '#000', class: 'tip'}), m.title);
      return;
    }
    const g = el('g', {class: 'cell snap st-' + m.status, 'data-status': m.status, 'data-snapshot': m.snapshot_type});
    const a = el('a', {href: '#' + m.href}, undefined, g);
    titled(el('circle', {cx: x, cy: y + laneH / 2, r: 4, fill: snapColours[m.snapshot_type] || '#555',
                         stroke: m.status === 'failed' ? '#c62828' : 'none', 'stroke-width': 2, class: 'snapshot ' + m.snapshot_type}, undefined, a), m.title);
  });
  svg.setAttribute('data-marks', String(drawn));
  // What a person sees: how many failed/ABORT marks something else covers at their centre (the browser's own
  // hit test; 0 on a truthful page; points outside the window count as covered).
  let covered = 0;
  svg.querySelectorAll('rect.mark.failed, rect.mark.ABORT').forEach(r => {
    const b = r.getBoundingClientRect();
    if (document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) !== r) covered += 1;
  });
  svg.setAttribute('data-covered', String(covered));
  svg.setAttribute('data-lanes', String(data.lanes.length));
  // Filter by status: unticked statuses are hidden in the timeline and the tables. `#only=failed,ABORT`
  // in the address opens the page with only those shown.
  const boxes = Array.from(document.querySelectorAll('#filters input[data-status]'));
  const apply = () => {
    const hidden = new Set(boxes.filter(b => !b.checked).map(b => b.dataset.status));
    let visible = 0;
    document.querySelectorAll('[data-status], tr[class^="st-"]').forEach(n => {
      if (n.tagName === 'INPUT') return;
      const st = n.dataset.status || n.className.replace(/^st-/, '');
      const hide = hidden.has(st);
      n.style.display = hide ? 'none' : '';
      if (!hide && n.classList.contains('cell') && !n.classList.contains('snap')) visible += 1;
    });
    svg.setAttribute('data-visible', String(visible));
  };
  const only = (location.hash.match(/only=([^&]+)/) || [])[1];
  if (only) { const keep = new Set(decodeURIComponent(only).split(',')); boxes.forEach(b => { b.checked = keep.has(b.dataset.status); }); }
  boxes.forEach(b => b.addEventListener('change', apply));
  apply();
})();
