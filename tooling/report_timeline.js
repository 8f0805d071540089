// Draws the day's timeline (see tooling/report_html.py); inlined into the report page.
(function () {
  const data = JSON.parse(document.getElementById('day-data').textContent);
  const svg = document.getElementById('timeline');
  const NS = 'http://www.w3.org/2000/svg';
  const t0 = Date.parse(data.start), t1 = Date.parse(data.end);
  const left = 210, width = 1000, laneH = 18;
  const lanes = [];
  const lane = (name) => { let i = lanes.indexOf(name); if (i < 0) { lanes.push(name); i = lanes.length - 1; } return i; };
  const colours = {RUN: '#2e7d32', SKIP: '#9e9e9e', ABORT: '#c62828', success: '#1565c0', no_data: '#f9a825',
                   failed: '#c62828', expected: '#6a1b9a', cleanup: '#00838f'};
  const marks = [];
  data.expected.forEach(r => marks.push({lane: 'expected: ' + r.workflow_name, t: r.expected_run_time, kind: 'expected', title: r.reason}));
  data.decisions.forEach(r => marks.push({lane: 'decision: ' + r.workflow_name, t: r.decision_time, kind: r.action, title: r.action + ' - ' + r.reason}));
  data.executions.forEach(r => marks.push({lane: 'scraper: ' + r.scraper_name, t: r.triggered_at, kind: r.status, title: r.status + (r.error_type ? ' (' + r.error_type + ')' : '')}));
  data.cleanups.forEach(r => marks.push({lane: 'cleanup', t: r.cleanup_time, kind: 'cleanup', title: 'checked ' + r.files_checked + ', republished ' + r.republished_count}));
  marks.forEach(m => lane(m.lane));
  const height = 30 + lanes.length * laneH;
  svg.setAttribute('viewBox', '0 0 ' + (left + width + 10) + ' ' + height);
  svg.setAttribute('height', height);
  const el = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text) e.textContent = text; svg.appendChild(e); return e; };
  for (let h = 0; h <= 24; h += 1) {
    const x = left + width * h / 24;
    el('line', {x1: x, x2: x, y1: 14, y2: height, stroke: '#eee'});
    if (h % 3 === 0) el('text', {x: x - 12, y: 11, 'font-size': 10}, String((5 + h) % 24).padStart(2, '0') + ':00');
  }
  lanes.forEach((name, i) => el('text', {x: 4, y: 28 + i * laneH, 'font-size': 11}, name));
  let drawn = 0;
  marks.forEach(m => {
    const x = left + width * (Date.parse(m.t) - t0) / (t1 - t0);
    const r = el('rect', {x: x - 3, y: 18 + lane(m.lane) * laneH, width: 6, height: laneH - 6, fill: colours[m.kind] || '#000', class: 'mark ' + m.kind});
    const tt = document.createElementNS(NS, 'title'); tt.textContent = m.title || ''; r.appendChild(tt);
    drawn += 1;
  });
  svg.setAttribute('data-marks', String(drawn));
  svg.setAttribute('data-lanes', String(lanes.length));
})();
