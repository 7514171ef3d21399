// Hand-written SVG charts: a horizontal bar chart (next words) and a line chart (perplexity per epoch).
// Every mark carries its numbers as data attributes, and the SVG an aria-label that says what it shows.
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  parent?.append(node);
  return node;
}

function text(parent, x, y, content, attributes = {}) {
  const node = svg('text', { x, y, ...attributes }, parent);
  node.textContent = content;
  return node;
}

/** items: [{ label, value, display }], largest first; value between 0 and max (1 by default). */
export function barChart(container, items, { label, max = 1 } = {}) {
  const width = 600, row = 26, left = 150, right = 80;
  const height = Math.max(1, items.length) * row + 8;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label ?? 'bar chart' });
  const scale = (width - left - right) / (max || 1);
  items.forEach((item, i) => {
    const y = 4 + i * row;
    const group = svg('g', { class: 'bar', 'data-token': item.label, 'data-probability': item.value }, root);
    svg('title', {}, group).textContent = `${item.label}: ${item.display ?? item.value}`;
    text(group, left - 8, y + row / 2 + 4, truncate(item.label, 20), { 'text-anchor': 'end' });
    svg('rect', { x: left, y: y + 3, width: Math.max(1, item.value * scale), height: row - 8, rx: 3 }, group);
    text(group, left + Math.max(1, item.value * scale) + 6, y + row / 2 + 4, item.display ?? String(item.value));
  });
  container.replaceChildren(root);
  return root;
}

/**
 * series: [{ name, cls, points: [{ x, y }] }] with whole-number x (epochs) and positive y; a linear y axis from 0.
 */
export function lineChart(container, series, { label, xLabel = 'epoch', yLabel = 'perplexity' } = {}) {
  const width = 600, height = 280, left = 56, right = 16, top = 28, bottom = 40;
  const all = series.flatMap(s => s.points);
  const xMax = Math.max(1, ...all.map(p => p.x));
  const yMax = niceCeiling(Math.max(1, ...all.map(p => p.y)));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label ?? 'line chart' });
  const x = value => left + (xMax === 1 ? 0.5 : (value - 1) / (xMax - 1)) * (width - left - right);
  const y = value => top + (1 - value / yMax) * (height - top - bottom);

  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(value), y2: y(value) }, root);
    text(root, left - 6, y(value) + 4, compact(value), { 'text-anchor': 'end' });
  }
  svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0) }, root);
  for (let epoch = 1; epoch <= xMax; epoch += Math.ceil(xMax / 10)) {
    text(root, x(epoch), height - bottom + 16, String(epoch), { 'text-anchor': 'middle' });
  }
  text(root, (left + width - right) / 2, height - 6, xLabel, { 'text-anchor': 'middle' });
  text(root, 4, 16, yLabel);

  let keyX = left + 90;
  for (const s of series) {
    const group = svg('g', { class: `series ${s.cls}`, 'data-series': s.name }, root);
    if (s.points.length > 1) {
      svg('polyline', { class: s.cls, points: s.points.map(p => `${x(p.x)},${y(p.y)}`).join(' ') }, group);
    }
    for (const p of s.points) {
      const dot = svg('circle', { class: `point ${s.cls}`, cx: x(p.x), cy: y(p.y), r: 4, 'data-epoch': p.x, 'data-value': p.y }, group);
      svg('title', {}, dot).textContent = `${s.name}, epoch ${p.x}: ${compact(p.y)}`;
    }
    svg('rect', { class: s.cls, x: keyX, y: 8, width: 12, height: 12 }, root);
    text(root, keyX + 16, 18, s.name, { class: 'key' });
    keyX += 16 + s.name.length * 7 + 24;
  }
  container.replaceChildren(root);
  return root;
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function compact(value) {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3)).toString();
}

function truncate(value, length) {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}
