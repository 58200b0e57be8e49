// Small DOM helpers shared by the views.

// h('div', {class: 'x', onclick: fn, dataset: {ref: 'a'}}, child, ...) builds an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

// Replaces the content of an element.
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A visible message box: kind is 'error', 'info', 'ok' or 'warning'.
export function message(text, kind = 'info', attrs = {}) {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status', ...attrs }, text);
}

export function formatNumber(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : Number(value).toFixed(digits);
}

export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

// Last path component of an image ref ("images/a.jpg" -> "a.jpg").
export function baseName(ref) {
  return String(ref).split('/').pop();
}

// Label colours: stable per label index in the project's list.
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6',
  '#bfef45', '#fabed4', '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3'];
export function labelColor(labels, label) {
  const i = labels.indexOf(label);
  if (i < 0) return '#ffffff';
  return PALETTE[i % PALETTE.length];
}

// True when a key event comes from a text field (the views then ignore shortcuts).
export function isTyping(event) {
  const t = event.target;
  return t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
}
