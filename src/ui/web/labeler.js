// Labeler view: draw, select, move, resize and label boxes on one image; model suggestions;
// every labeled change is saved at once (PUT with the last revision), Ctrl+Z undoes per image.
import { api, imageUrl } from './api.js';
import { h, setChildren, message, labelColor, baseName, isTyping, formatNumber } from './dom.js';

const HANDLE = 7;        // corner handle half-size, screen px
const MIN_SIZE = 2;      // smallest box side kept, image px
const DRAG_START = 4;    // screen px before a press becomes a drag
const MAX_SCALE = 32;
const MIN_SCALE = 0.02;

// A review item waiting for the labeler to open its image (set by the review view).
let pendingReview = null;
export function openReviewItem(item) {
  pendingReview = item;
  const ds = item.dataset || 'test';
  const target = `#/label/${ds}/${encodeURIComponent(item.ref)}`;
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}

const round = (v) => Math.round(v * 100) / 100;
const area = (b) => Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
function iou(a, b) {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}
const copyBoxes = (boxes) => boxes.map((b) => ({ x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, label: b.label || null }));
// What a save sends: whole pixels, as the server keeps them (and the manifest stores them), so the
// page's idea of what is saved is what a reload shows.
const savedForm = (boxes) => boxes.filter((b) => b.label).map((b) => ({
  x0: Math.round(b.x0), y0: Math.round(b.y0), x1: Math.round(b.x1), y1: Math.round(b.y1), label: b.label,
}));

export function labelerView(root, route) {
  const ds = route.ds;
  let images = [];               // the dataset's image list (GET .../images)
  let labels = [];               // project labels, keys 1..9
  const states = new Map();      // ref -> per-image state (boxes, revision, history, suggestions)
  let st = null;                 // state of the shown image
  let img = null;                // HTMLImageElement of the shown image (null while loading)
  let view = { scale: 1, ox: 0, oy: 0, fitted: true };
  let selected = null;           // {kind: 'box'|'suggestion', index}
  let drag = null;
  let spaceDown = false;
  let warnedLeave = null;        // ref for which leaving with unlabeled boxes was warned
  let destroyed = false;
  let loadToken = 0;

  // ---- layout ----
  const title = h('span', { class: 'image-name', 'data-testid': 'image-name' });
  const position = h('span', { class: 'muted' });
  const saveStatus = h('span', { class: 'save-status', 'data-testid': 'save-status', 'data-state': 'saved' }, 'saved');
  const suggestButton = h('button', { 'data-testid': 'suggest-button', title: 'Ask the served model (key s)', onclick: () => suggest() }, 'Suggest');
  const bar = h('div', { class: 'labeler-bar' },
    h('a', { class: 'button', href: `#/dataset/${ds}`, 'data-testid': 'back' }, '← Dataset'),
    h('button', { onclick: () => step(-1), title: 'Previous image (p, ←)', 'data-testid': 'prev' }, '‹ Prev'),
    h('button', { onclick: () => step(1), title: 'Next image (n, →)', 'data-testid': 'next' }, 'Next ›'),
    title, position,
    h('span', { class: 'spacer' }),
    h('button', { onclick: () => zoomBy(1 / 1.25), title: 'Zoom out (-)' }, '−'),
    h('button', { onclick: () => fit(), title: 'Fit (0)' }, 'Fit'),
    h('button', { onclick: () => zoomBy(1.25), title: 'Zoom in (+)' }, '+'),
    suggestButton, saveStatus);
  const canvas = h('canvas', { class: 'labeler-canvas', 'data-testid': 'canvas', tabindex: '0' });
  const stage = h('div', { class: 'stage' }, canvas);
  const messages = h('div', { class: 'messages' });
  const labelList = h('ul', { class: 'label-list' });
  const newLabel = h('input', { type: 'text', placeholder: 'New label', maxlength: '100', 'data-testid': 'new-label' });
  const labelForm = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); addLabel(newLabel.value.trim()); } },
    newLabel, h('button', { type: 'submit' }, 'Add'));
  const boxCount = h('span', { 'data-testid': 'box-count', 'data-count': '0' }, '0');
  const boxList = h('ul', { class: 'box-list' });
  const suggestionList = h('ul', { class: 'suggestion-list', 'data-testid': 'suggestion-list' });
  const side = h('aside', { class: 'side' },
    messages,
    h('h3', {}, 'Labels'), labelList, labelForm,
    h('h3', {}, 'Boxes ', h('span', { class: 'muted' }, '(', boxCount, ')')), boxList,
    h('h3', {}, 'Suggestions'), suggestionList,
    h('details', { class: 'help' }, h('summary', {}, 'Keys and mouse'),
      h('ul', {},
        h('li', {}, 'Drag on the image: draw a box; click: select; drag a selected box or its corners: move, resize'),
        h('li', {}, '1–9: label of the selected box; Delete: delete it; Ctrl+Z / Ctrl+Y: undo / redo'),
        h('li', {}, 'n / →: next image; p / ←: previous'),
        h('li', {}, 's: suggest; a or Enter: accept the selected suggestion; x: reject it'),
        h('li', {}, 'Wheel, + and −: zoom; 0: fit; space+drag or right/middle drag: pan'))));
  root.append(h('div', { class: 'labeler' }, bar, h('div', { class: 'labeler-body' }, stage, side)));

  // ---- image state ----
  function stateFor(entry) {
    let s = states.get(entry.ref);
    if (!s) {
      s = {
        ref: entry.ref, width: entry.width, height: entry.height,
        boxes: copyBoxes(entry.boxes || []), revision: entry.revision ?? null,
        savedKey: JSON.stringify(savedForm(entry.boxes || [])),
        history: [], future: [], suggestions: [], saving: false, dirty: false, error: null,
      };
      states.set(entry.ref, s);
    }
    return s;
  }

  async function loadList() {
    const [list, project] = await Promise.all([api.images(ds), api.project()]);
    images = list.images || [];
    labels = project.labels || [];
  }

  async function show(ref) {
    const token = ++loadToken;
    messages.replaceChildren();
    warnedLeave = null;
    let entry = images.find((i) => i.ref === ref);
    if (!entry) {
      try {
        await loadList();
      } catch (e) {
        setChildren(messages, message(e.message, 'error'));
        return;
      }
      entry = images.find((i) => i.ref === ref);
    }
    if (token !== loadToken || destroyed) return;
    if (!entry) {
      setChildren(messages, message(`${ref} is not in the ${ds} dataset.`, 'error'));
      return;
    }
    st = stateFor(entry);
    selected = null;
    drag = null;
    img = null;
    const index = images.indexOf(entry);
    title.textContent = baseName(ref);
    title.title = ref;
    position.textContent = `${index + 1} / ${images.length}`;
    applyPendingReview();
    renderSide();
    updateSaveStatus();
    fit();
    const image = new Image();
    image.decoding = 'async';
    image.onload = () => {
      if (token !== loadToken || destroyed) return;
      img = image;
      canvas.dataset.loaded = ref;
      draw();
    };
    image.onerror = () => {
      if (token === loadToken) setChildren(messages, message(`${ref} could not be loaded.`, 'error'));
    };
    delete canvas.dataset.loaded;
    image.src = imageUrl(ref);
    // Warm the cache for the next image.
    const next = images[index + 1];
    if (next) new Image().src = imageUrl(next.ref);
  }

  // A review item for this image: select the matching labeled box, or show the item as a suggestion.
  function applyPendingReview() {
    if (!pendingReview || pendingReview.ref !== st.ref) return;
    const item = pendingReview;
    pendingReview = null;
    messages.append(message(item.message || 'Review this box.', 'info', { 'data-testid': 'review-message' }));
    if (!item.box) return;
    const match = st.boxes.findIndex((b) => b.label === item.box.label && iou(b, item.box) >= 0.9);
    if (match >= 0) {
      selected = { kind: 'box', index: match };
      return;
    }
    st.suggestions = [{ ...item.box, confidence: item.confidence ?? null, review: item.kind }];
    selected = { kind: 'suggestion', index: 0 };
  }

  // ---- saving ----
  function changed() {
    renderSide();
    draw();
    const key = JSON.stringify(savedForm(st.boxes));
    if (key !== st.savedKey) {
      st.dirty = true;
      save(st);
    }
    updateSaveStatus();
  }

  async function save(s) {
    if (s.saving) return; // the running save picks up the newer boxes when it ends
    s.saving = true;
    s.dirty = false;
    s.error = null;
    updateSaveStatus();
    const boxes = savedForm(s.boxes);
    const key = JSON.stringify(boxes);
    let retry = false;
    try {
      const answer = await api.saveImage(ds, s.ref, boxes, s.revision);
      s.revision = answer.revision;
      s.savedKey = key;
      const entry = images.find((i) => i.ref === s.ref);
      if (entry) { entry.boxes = boxes; entry.revision = answer.revision; }
      retry = JSON.stringify(savedForm(s.boxes)) !== key;
    } catch (e) {
      if (e.status === 409 && e.body && e.body.current) conflict(s, e.body.current);
      else s.error = e.message;
    }
    s.saving = false;
    // Edits made while this save was in flight go out too, even after the labeler was left.
    if (retry) save(s);
    else if (!destroyed) updateSaveStatus();
  }

  // Another tab saved first: show the server's boxes; the local version stays one undo away.
  function conflict(s, current) {
    const local = copyBoxes(s.boxes);
    s.history.push(local);
    s.future = [];
    const unlabeled = s.boxes.filter((b) => !b.label);
    s.boxes = copyBoxes(current.boxes || []).concat(unlabeled);
    s.revision = current.revision;
    s.savedKey = JSON.stringify(savedForm(current.boxes || []));
    s.dirty = false;
    const entry = images.find((i) => i.ref === s.ref);
    if (entry) { entry.boxes = current.boxes || []; entry.revision = current.revision; }
    if (s === st) {
      selected = null;
      messages.append(message(`${baseName(s.ref)} was changed in another tab: showing the saved boxes. Your change was not saved; press Ctrl+Z to bring it back (it is then saved over the other one).`,
        'warning conflict', { 'data-testid': 'conflict' }));
      renderSide();
      draw();
    }
  }

  function updateSaveStatus() {
    if (!st) return;
    let state = 'saved';
    let text = 'saved';
    const unlabeled = st.boxes.filter((b) => !b.label).length;
    if (st.saving || st.dirty) { state = 'saving'; text = 'saving…'; }
    else if (st.error) { state = 'error'; text = `not saved: ${st.error}`; }
    else if (unlabeled) { state = 'unlabeled'; text = `${unlabeled} box${unlabeled === 1 ? '' : 'es'} without label: press 1–9`; }
    saveStatus.dataset.state = state;
    saveStatus.className = `save-status ${state}`;
    if (state === 'error') {
      setChildren(saveStatus, text, ' ', h('button', { onclick: () => save(st) }, 'Retry'));
    } else saveStatus.textContent = text;
  }

  // ---- edits (each records undo history) ----
  function record() {
    st.history.push(copyBoxes(st.boxes));
    if (st.history.length > 200) st.history.shift();
    st.future = [];
  }
  function undo() {
    if (!st || !st.history.length) return;
    st.future.push(copyBoxes(st.boxes));
    st.boxes = st.history.pop();
    selected = null;
    changed();
  }
  function redo() {
    if (!st || !st.future.length) return;
    st.history.push(copyBoxes(st.boxes));
    st.boxes = st.future.pop();
    selected = null;
    changed();
  }
  function setLabel(label) {
    if (!st || !selected) return;
    if (selected.kind === 'suggestion') return accept(selected.index, label);
    const box = st.boxes[selected.index];
    if (!box || box.label === label) return;
    record();
    box.label = label;
    changed();
  }
  function deleteSelected() {
    if (!st || !selected) return;
    if (selected.kind === 'suggestion') return reject(selected.index);
    record();
    st.boxes.splice(selected.index, 1);
    selected = null;
    changed();
  }
  async function accept(index, label) {
    const s = st;
    const sug = s.suggestions[index];
    if (!sug) return;
    const name = label || sug.label;
    if (name && !labels.includes(name)) {
      try {
        labels = (await api.addLabel(name)).labels || labels;
      } catch (e) {
        setChildren(messages, message(e.message, 'error'));
        return;
      }
    }
    if (s !== st) return;
    record();
    s.suggestions.splice(index, 1);
    s.boxes.push({ x0: sug.x0, y0: sug.y0, x1: sug.x1, y1: sug.y1, label: name });
    selected = { kind: 'box', index: s.boxes.length - 1 };
    changed();
  }
  function reject(index) {
    st.suggestions.splice(index, 1);
    selected = null;
    renderSide();
    draw();
  }

  async function addLabel(name) {
    if (!name) return;
    try {
      const answer = await api.addLabel(name);
      labels = answer.labels || labels;
      newLabel.value = '';
      messages.querySelectorAll('.label-error').forEach((m) => m.remove());
      // A selected box without a label gets the new one.
      if (st && selected && selected.kind === 'box' && !st.boxes[selected.index].label) setLabel(name);
    } catch (e) {
      if (e.body && Array.isArray(e.body.labels)) labels = e.body.labels;
      messages.append(message(e.message, 'error label-error'));
    }
    renderSide();
    draw();
  }

  async function suggest() {
    if (!st) return;
    const s = st;
    suggestButton.disabled = true;
    suggestButton.textContent = 'Suggesting…';
    try {
      const answer = await api.suggest(s.ref);
      const all = answer.suggestions || [];
      // Skip detections that match a box already drawn.
      s.suggestions = all.filter((g) => !s.boxes.some((b) => b.label === g.label && iou(b, g) >= 0.5));
      const skipped = all.length - s.suggestions.length;
      if (s === st) {
        selected = s.suggestions.length ? { kind: 'suggestion', index: 0 } : selected;
        const text = s.suggestions.length
          ? `Model ${answer.model}: ${s.suggestions.length} suggestion${s.suggestions.length === 1 ? '' : 's'}.`
          : `Model ${answer.model} found no new logo in this image.`;
        messages.querySelectorAll('.suggest-info').forEach((m) => m.remove());
        messages.append(message(text + (skipped ? ` ${skipped} matched existing boxes.` : ''), 'info suggest-info'));
      }
    } catch (e) {
      const text = e.status === 409 ? 'No model is served yet: train one on the Project page.' : e.message;
      if (s === st) setChildren(messages, message(text, 'error'));
    }
    suggestButton.disabled = false;
    suggestButton.textContent = 'Suggest';
    if (s === st) { renderSide(); draw(); }
  }

  function step(delta) {
    if (!st) return;
    const unlabeled = st.boxes.filter((b) => !b.label).length;
    if (unlabeled && warnedLeave !== st.ref) {
      warnedLeave = st.ref;
      messages.append(message(`${unlabeled} box${unlabeled === 1 ? ' has' : 'es have'} no label and ${unlabeled === 1 ? 'is' : 'are'} not saved: press 1–9 to label, or move on again to leave ${unlabeled === 1 ? 'it' : 'them'} unsaved.`, 'warning'));
      return;
    }
    const index = images.findIndex((i) => i.ref === st.ref);
    const next = images[index + delta];
    if (!next) {
      messages.querySelectorAll('.end-info').forEach((m) => m.remove());
      messages.append(message(delta > 0 ? 'This is the last image.' : 'This is the first image.', 'info end-info'));
      return;
    }
    location.hash = `#/label/${ds}/${encodeURIComponent(next.ref)}`;
  }

  // ---- side panel ----
  function renderSide() {
    if (!st) return;
    const selectedBox = selected && selected.kind === 'box' ? st.boxes[selected.index] : null;
    setChildren(labelList, labels.length ? labels.map((name, i) => h('li', {
      class: `label-item${selectedBox && selectedBox.label === name ? ' current' : ''}`,
      'data-testid': 'label-item', 'data-label': name,
      onclick: () => setLabel(name),
    },
    h('kbd', {}, i < 9 ? String(i + 1) : ' '),
    h('span', { class: 'swatch', style: { background: labelColor(labels, name) } }),
    h('span', { class: 'name' }, name),
    h('span', { class: 'muted' }, String(st.boxes.filter((b) => b.label === name).length))))
      : h('li', { class: 'muted' }, 'No label yet: add one below (e.g. the brand name).'));

    const saved = st.boxes.filter((b) => b.label).length;
    boxCount.textContent = String(saved);
    boxCount.dataset.count = String(saved);
    setChildren(boxList, st.boxes.map((b, i) => h('li', {
      class: selected && selected.kind === 'box' && selected.index === i ? 'current' : '',
      'data-testid': 'box-item', 'data-label': b.label || '',
      'data-box': JSON.stringify([round(b.x0), round(b.y0), round(b.x1), round(b.y1)]),
      onclick: () => { selected = { kind: 'box', index: i }; renderSide(); draw(); },
    },
    h('span', { class: 'swatch', style: { background: labelColor(labels, b.label) } }),
    b.label || h('em', {}, 'no label'),
    h('span', { class: 'muted' }, ` ${Math.round(b.x1 - b.x0)}×${Math.round(b.y1 - b.y0)}`))));

    setChildren(suggestionList, st.suggestions.length ? st.suggestions.map((g, i) => h('li', {
      class: `suggestion${selected && selected.kind === 'suggestion' && selected.index === i ? ' current' : ''}`,
      'data-testid': 'suggestion', 'data-label': g.label,
      'data-box': JSON.stringify([round(g.x0), round(g.y0), round(g.x1), round(g.y1)]),
      onclick: (e) => { if (e.target.tagName !== 'BUTTON') { selected = { kind: 'suggestion', index: i }; renderSide(); draw(); } },
    },
    h('span', { class: 'swatch', style: { background: labelColor(labels, g.label) } }),
    h('span', { class: 'name' }, g.label, g.confidence !== null && g.confidence !== undefined ? ` ${formatNumber(g.confidence, 0)} %` : ''),
    h('button', { class: 'accept', 'data-testid': 'accept', title: 'Accept (a, Enter)', onclick: () => accept(i) }, 'Accept'),
    h('button', { class: 'reject', 'data-testid': 'reject', title: 'Reject (x)', onclick: () => reject(i) }, 'Reject')))
      : h('li', { class: 'muted' }, 'Press Suggest (s) to let the served model propose boxes.'));
  }

  // ---- coordinates and drawing ----
  const toScreen = (x, y) => ({ x: view.ox + x * view.scale, y: view.oy + y * view.scale });
  const toImage = (x, y) => ({ x: (x - view.ox) / view.scale, y: (y - view.oy) / view.scale });
  function localPoint(e) {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  const clampX = (x) => Math.max(0, Math.min(st.width, x));
  const clampY = (y) => Math.max(0, Math.min(st.height, y));

  function fit() {
    if (!st) return;
    const w = stage.clientWidth || 800;
    const hgt = stage.clientHeight || 600;
    const scale = Math.max(MIN_SCALE, Math.min(8, (w - 24) / st.width, (hgt - 24) / st.height));
    view = { scale, ox: (w - st.width * scale) / 2, oy: (hgt - st.height * scale) / 2, fitted: true };
    draw();
  }

  function zoomBy(factor, at) {
    if (!st) return;
    const p = at || { x: stage.clientWidth / 2, y: stage.clientHeight / 2 };
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.scale * factor));
    view = {
      scale, fitted: false,
      ox: p.x - (p.x - view.ox) * (scale / view.scale),
      oy: p.y - (p.y - view.oy) * (scale / view.scale),
    };
    draw();
  }

  function resizeCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const w = stage.clientWidth;
    const hgt = stage.clientHeight;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${hgt}px`;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
    if (view.fitted) fit();
    else draw();
  }

  function draw() {
    const ctx = canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!st) return;
    const p0 = toScreen(0, 0);
    const W = st.width * view.scale;
    const H = st.height * view.scale;
    if (img) {
      ctx.imageSmoothingEnabled = view.scale < 3;
      ctx.drawImage(img, p0.x, p0.y, W, H);
    } else {
      ctx.fillStyle = '#2a2f36';
      ctx.fillRect(p0.x, p0.y, W, H);
    }
    st.boxes.forEach((b, i) => drawBox(ctx, b, {
      color: labelColor(labels, b.label), dashed: !b.label,
      selected: selected && selected.kind === 'box' && selected.index === i,
      text: b.label || 'no label — press 1–9',
    }));
    st.suggestions.forEach((g, i) => drawBox(ctx, g, {
      color: labelColor(labels, g.label), dashed: true, suggestion: true,
      selected: selected && selected.kind === 'suggestion' && selected.index === i,
      text: `${g.label}${g.confidence !== null && g.confidence !== undefined ? ` ${formatNumber(g.confidence, 0)} %` : ''}?`,
    }));
    if (drag && drag.mode === 'draw' && drag.box) drawBox(ctx, drag.box, { color: '#ffffff', dashed: true, text: '' });
  }

  function drawBox(ctx, b, o) {
    const a = toScreen(b.x0, b.y0);
    const c = toScreen(b.x1, b.y1);
    ctx.save();
    ctx.lineWidth = o.selected ? 3 : 2;
    ctx.setLineDash(o.dashed ? [6, 4] : []);
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.strokeRect(a.x - 1, a.y - 1, c.x - a.x + 2, c.y - a.y + 2);
    ctx.strokeStyle = o.color;
    ctx.strokeRect(a.x, a.y, c.x - a.x, c.y - a.y);
    if (o.suggestion) {
      ctx.fillStyle = 'rgba(255,255,255,0.12)';
      ctx.fillRect(a.x, a.y, c.x - a.x, c.y - a.y);
    }
    if (o.text) {
      ctx.setLineDash([]);
      ctx.font = '12px system-ui, sans-serif';
      const tw = ctx.measureText(o.text).width + 8;
      const ty = a.y >= 18 ? a.y - 18 : c.y;
      ctx.fillStyle = o.color;
      ctx.fillRect(a.x, ty, tw, 18);
      ctx.fillStyle = '#111';
      ctx.fillText(o.text, a.x + 4, ty + 13);
    }
    if (o.selected && !o.suggestion) {
      ctx.setLineDash([]);
      for (const p of [a, { x: c.x, y: a.y }, c, { x: a.x, y: c.y }]) {
        ctx.fillStyle = '#fff';
        ctx.fillRect(p.x - HANDLE / 2 - 1, p.y - HANDLE / 2 - 1, HANDLE + 2, HANDLE + 2);
        ctx.fillStyle = o.color;
        ctx.fillRect(p.x - HANDLE / 2, p.y - HANDLE / 2, HANDLE, HANDLE);
      }
    }
    ctx.restore();
  }

  // ---- hit testing (screen coordinates) ----
  function cornerAt(p) {
    if (!selected || selected.kind !== 'box') return -1;
    const b = st.boxes[selected.index];
    if (!b) return -1;
    const a = toScreen(b.x0, b.y0);
    const c = toScreen(b.x1, b.y1);
    const corners = [a, { x: c.x, y: a.y }, c, { x: a.x, y: c.y }];
    return corners.findIndex((q) => Math.abs(q.x - p.x) <= HANDLE && Math.abs(q.y - p.y) <= HANDLE);
  }
  function itemAt(p) {
    const q = toImage(p.x, p.y);
    const tol = 3 / view.scale;
    const inside = (b) => q.x >= b.x0 - tol && q.x <= b.x1 + tol && q.y >= b.y0 - tol && q.y <= b.y1 + tol;
    const hits = [];
    st.boxes.forEach((b, i) => { if (inside(b)) hits.push({ kind: 'box', index: i, area: area(b) }); });
    st.suggestions.forEach((b, i) => { if (inside(b)) hits.push({ kind: 'suggestion', index: i, area: area(b) }); });
    if (!hits.length) return null;
    const sel = selected && hits.find((x) => x.kind === selected.kind && x.index === selected.index);
    if (sel) return sel;
    hits.sort((x, y) => x.area - y.area);
    return hits[0];
  }

  // ---- pointer ----
  function onPointerDown(e) {
    if (!st) return;
    canvas.focus({ preventScroll: true });
    const p = localPoint(e);
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || e.button === 2 || spaceDown) {
      drag = { mode: 'pan', start: p, ox: view.ox, oy: view.oy };
      canvas.style.cursor = 'grabbing';
      e.preventDefault();
      return;
    }
    if (e.button !== 0) return;
    const corner = cornerAt(p);
    if (corner >= 0) {
      drag = { mode: 'resize', corner, start: p, before: copyBoxes(st.boxes), moved: false };
      return;
    }
    const hit = itemAt(p);
    if (hit && selected && hit.kind === 'box' && selected.kind === 'box' && hit.index === selected.index) {
      const b = st.boxes[hit.index];
      drag = { mode: 'move', start: p, orig: { ...b }, before: copyBoxes(st.boxes), moved: false };
      return;
    }
    // A press on anything else: a click selects (or clears the selection), a drag draws a box.
    drag = { mode: 'pending', start: p, hit };
  }

  function onPointerMove(e) {
    if (!st) return;
    const p = localPoint(e);
    if (!drag) { updateCursor(p); return; }
    const dx = p.x - drag.start.x;
    const dy = p.y - drag.start.y;
    if (drag.mode === 'pan') {
      view.ox = drag.ox + dx;
      view.oy = drag.oy + dy;
      view.fitted = false;
      draw();
      return;
    }
    if (drag.mode === 'pending') {
      if (Math.hypot(dx, dy) < DRAG_START) return;
      drag.mode = 'draw';
    }
    if (drag.mode === 'draw') {
      const a = toImage(drag.start.x, drag.start.y);
      const b = toImage(p.x, p.y);
      drag.box = {
        x0: clampX(Math.min(a.x, b.x)), y0: clampY(Math.min(a.y, b.y)),
        x1: clampX(Math.max(a.x, b.x)), y1: clampY(Math.max(a.y, b.y)),
      };
      draw();
      return;
    }
    const ix = dx / view.scale;
    const iy = dy / view.scale;
    const b = st.boxes[selected.index];
    if (drag.mode === 'move') {
      const o = drag.orig;
      const w = o.x1 - o.x0;
      const hgt = o.y1 - o.y0;
      const x0 = Math.max(0, Math.min(st.width - w, o.x0 + ix));
      const y0 = Math.max(0, Math.min(st.height - hgt, o.y0 + iy));
      Object.assign(b, { x0, y0, x1: x0 + w, y1: y0 + hgt });
    } else if (drag.mode === 'resize') {
      const q = toImage(p.x, p.y);
      const x = clampX(q.x);
      const y = clampY(q.y);
      if (drag.corner === 0 || drag.corner === 3) b.x0 = x; else b.x1 = x;
      if (drag.corner === 0 || drag.corner === 1) b.y0 = y; else b.y1 = y;
    }
    drag.moved = true;
    draw();
  }

  function onPointerUp(e) {
    if (!st || !drag) return;
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    const d = drag;
    drag = null;
    if (d.mode === 'pan') { canvas.style.cursor = ''; updateCursor(localPoint(e)); return; }
    if (d.mode === 'pending') {
      selected = d.hit ? { kind: d.hit.kind, index: d.hit.index } : null;
      renderSide();
      draw();
      return;
    }
    if (d.mode === 'draw') {
      const b = d.box;
      if (b && b.x1 - b.x0 >= MIN_SIZE && b.y1 - b.y0 >= MIN_SIZE) {
        record();
        st.boxes.push({ ...b, label: null });
        selected = { kind: 'box', index: st.boxes.length - 1 };
        changed();
      } else draw();
      return;
    }
    // move / resize: normalise, then keep as one undo step
    if (!d.moved) return;
    const b = st.boxes[selected.index];
    const n = { x0: Math.min(b.x0, b.x1), y0: Math.min(b.y0, b.y1), x1: Math.max(b.x0, b.x1), y1: Math.max(b.y0, b.y1) };
    Object.assign(b, n);
    if (b.x1 - b.x0 < MIN_SIZE || b.y1 - b.y0 < MIN_SIZE) {
      st.boxes = d.before;
      draw();
      return;
    }
    st.history.push(d.before);
    st.future = [];
    changed();
  }

  function updateCursor(p) {
    if (spaceDown) { canvas.style.cursor = 'grab'; return; }
    const corner = cornerAt(p);
    if (corner === 0 || corner === 2) canvas.style.cursor = 'nwse-resize';
    else if (corner === 1 || corner === 3) canvas.style.cursor = 'nesw-resize';
    else {
      const hit = itemAt(p);
      if (hit && selected && hit.kind === selected.kind && hit.index === selected.index && hit.kind === 'box') canvas.style.cursor = 'move';
      else canvas.style.cursor = hit ? 'pointer' : 'crosshair';
    }
  }

  function onWheel(e) {
    e.preventDefault();
    zoomBy(Math.exp(-e.deltaY * 0.0015), localPoint(e));
  }

  // ---- keyboard ----
  function onKeyDown(e) {
    if (isTyping(e) || !st) return;
    // Enter and space on a focused button belong to the button.
    if ((e.key === 'Enter' || e.key === ' ') && e.target instanceof HTMLButtonElement) return;
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && (e.key === 'z' || e.key === 'Z')) { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
    if (ctrl && (e.key === 'y' || e.key === 'Y')) { e.preventDefault(); redo(); return; }
    if (ctrl || e.altKey) return;
    if (e.key === ' ') { spaceDown = true; canvas.style.cursor = 'grab'; e.preventDefault(); return; }
    if (/^[1-9]$/.test(e.key)) {
      const name = labels[Number(e.key) - 1];
      if (name) setLabel(name);
      else if (selected) messages.append(message(`No label ${e.key} yet: add labels in the side panel.`, 'warning'));
      return;
    }
    switch (e.key) {
      case 'Delete': case 'Backspace': e.preventDefault(); deleteSelected(); break;
      case 'n': case 'ArrowRight': e.preventDefault(); step(1); break;
      case 'p': case 'ArrowLeft': e.preventDefault(); step(-1); break;
      case 's': suggest(); break;
      case 'a': case 'Enter':
        if (selected && selected.kind === 'suggestion') { e.preventDefault(); accept(selected.index); }
        break;
      case 'x': if (selected && selected.kind === 'suggestion') reject(selected.index); break;
      case '+': case '=': zoomBy(1.25); break;
      case '-': case '_': zoomBy(1 / 1.25); break;
      case '0': fit(); break;
      case 'Escape': selected = null; drag = null; renderSide(); draw(); break;
      default: break;
    }
  }
  function onKeyUp(e) {
    if (e.key === ' ') { spaceDown = false; canvas.style.cursor = ''; }
  }

  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', onPointerUp);
  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
  // Closing or reloading the page while a change is unsaved asks first.
  const onBeforeUnload = (e) => {
    const pending = [...states.values()].some((x) => x.saving || x.dirty || x.error || x.boxes.some((b) => !b.label));
    if (pending) e.preventDefault();
  };
  window.addEventListener('beforeunload', onBeforeUnload);
  const observer = new ResizeObserver(resizeCanvas);
  observer.observe(stage);

  // Used by the end-to-end test to turn image pixels into mouse positions.
  window.__labeler = {
    imageToClient(x, y) {
      const r = canvas.getBoundingClientRect();
      const p = toScreen(x, y);
      return { x: r.left + p.x, y: r.top + p.y };
    },
    ref: () => (st ? st.ref : null),
    loaded: () => Boolean(img && st && canvas.dataset.loaded === st.ref),
    saving: () => Boolean(st && (st.saving || st.dirty)),
  };

  (async () => {
    try {
      await loadList();
    } catch (e) {
      setChildren(messages, message(e.message, 'error'));
      return;
    }
    if (!destroyed) show(route.ref);
  })();

  return {
    update(r) { show(r.ref); },
    destroy() {
      destroyed = true;
      observer.disconnect();
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('beforeunload', onBeforeUnload);
      delete window.__labeler;
    },
  };
}
