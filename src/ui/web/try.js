// Try view: run the served model on a file from this computer and draw its detections.
import { api } from './api.js';
import { h, setChildren, message, labelColor, formatNumber } from './dom.js';

const VIDEO = /\.(mp4|mov|mkv|avi|webm|m4v|mpe?g)$/i;

export function tryView(root) {
  let destroyed = false;
  let objectUrl = null;
  const input = h('input', { type: 'file', accept: 'image/*,video/*,.tif,.tiff,.mkv,.avi', id: 'try-input', class: 'visually-hidden', 'data-testid': 'try-input' });
  const zone = h('label', { class: 'drop-zone', for: 'try-input', 'data-testid': 'try-drop' },
    h('strong', {}, 'Drop an image or a short video here'), h('span', { class: 'muted' }, ' or click to choose one'));
  const out = h('div', { class: 'try-out' });
  root.append(h('header', { class: 'view-header' }, h('h1', {}, 'Try the served model'),
    h('p', { class: 'muted' }, 'The image is only analysed, not added to the project.')), zone, input, out);

  input.addEventListener('change', () => { if (input.files[0]) run(input.files[0]); input.value = ''; });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]);
  });

  async function run(file) {
    const isVideo = (file.type || '').startsWith('video/') || VIDEO.test(file.name);
    setChildren(out, message(isVideo ? `Sampling frames of ${file.name} and detecting logos in them…` : `Detecting logos in ${file.name}…`, 'info'));
    let answer;
    try {
      answer = await api.tryImage(file);
    } catch (e) {
      if (destroyed) return;
      const text = e.status === 409 ? 'No model is served yet: train one on the Project page first.'
        : e.message.includes(file.name) ? e.message : `${file.name}: ${e.message}`;
      setChildren(out, message(text, 'error', { 'data-testid': 'try-error' }));
      return;
    }
    if (destroyed) return;
    if (answer.video) renderVideo(file, answer);
    else await render(file, answer);
  }

  // Draws `dets` (pixels of the image) on `ctx`, scaled by `scale`.
  function drawBoxes(ctx, dets, scale) {
    const labels = [...new Set(dets.map((d) => d.label))].sort();
    for (const d of dets) {
      const color = labelColor(labels, d.label);
      const x = d.x0 * scale, y = d.y0 * scale, w = (d.x1 - d.x0) * scale, hgt = (d.y1 - d.y0) * scale;
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.strokeRect(x, y, w, hgt);
      const text = `${d.label} ${formatNumber(d.confidence, 1)} %`;
      ctx.font = '12px system-ui, sans-serif';
      const tw = ctx.measureText(text).width + 6;
      ctx.fillStyle = color;
      ctx.fillRect(x, Math.max(0, y - 16), tw, 16);
      ctx.fillStyle = '#000';
      ctx.fillText(text, x + 3, Math.max(12, y - 4));
    }
  }

  // A tried video: its sampled frames, each with the boxes found in it.
  function renderVideo(file, answer) {
    const frames = answer.frames || [];
    const boxes = frames.reduce((n, f) => n + (f.labels || []).length, 0);
    const withLogo = frames.filter((f) => (f.labels || []).length).length;
    const tiles = frames.map((f) => {
      const canvas = h('canvas', { width: f.width, height: f.height });
      const img = new Image();
      img.onload = () => {
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        drawBoxes(ctx, f.labels || [], 1);
      };
      img.src = f.image;
      const names = [...new Set((f.labels || []).map((d) => d.label))].join(', ');
      return h('figure', { class: 'try-frame-tile' }, canvas,
        h('figcaption', {}, `${formatNumber(f.time_s, 1)} s${names ? ` — ${names}` : ''}`));
    });
    setChildren(out, h('div', { class: 'try-result', 'data-testid': 'try-result', 'data-boxes': String(boxes), 'data-frames': String(frames.length) },
      h('p', {}, `Model ${answer.model}: logos in ${withLogo} of ${frames.length} frames sampled from ${file.name} (${boxes} box${boxes === 1 ? '' : 'es'}). `
        + 'For tracks and per-brand exposure over the whole video, run "logoscope video".'),
      h('div', { class: 'try-frames' }, tiles)));
  }

  async function render(file, answer) {
    const dets = answer.labels || [];
    const W = answer.width;
    const H = answer.height;
    const scale = Math.min(2, 960 / W, 640 / H) || 1;
    const canvas = h('canvas', { width: Math.round(W * scale), height: Math.round(H * scale), class: 'try-canvas' });
    const ctx = canvas.getContext('2d');
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(file);
    const img = new Image();
    const shown = await new Promise((resolve) => {
      img.onload = () => resolve(true);
      img.onerror = () => resolve(false);
      img.src = objectUrl;
    });
    if (destroyed) return;
    if (shown) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    else { ctx.fillStyle = '#444'; ctx.fillRect(0, 0, canvas.width, canvas.height); }
    drawBoxes(ctx, dets, scale);
    const labels = [...new Set(dets.map((d) => d.label))].sort();
    setChildren(out, h('div', { class: 'try-result', 'data-testid': 'try-result', 'data-boxes': String(dets.length) },
      h('p', {}, `Model ${answer.model}: ${dets.length} logo${dets.length === 1 ? '' : 's'} found in ${file.name} (${W}×${H})${answer.milliseconds ? `, ${Math.round(answer.milliseconds)} ms` : ''}.`),
      shown ? null : message('This browser cannot display this image format; the boxes are drawn on a blank area.', 'info'),
      canvas,
      dets.length ? h('ul', { class: 'detections' }, dets.map((d) => h('li', {},
        h('span', { class: 'swatch', style: { background: labelColor(labels, d.label) } }),
        `${d.label} — ${formatNumber(d.confidence, 1)} % at (${Math.round(d.x0)}, ${Math.round(d.y0)})–(${Math.round(d.x1)}, ${Math.round(d.y1)})`))) : null));
  }

  return {
    destroy() {
      destroyed = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    },
  };
}
