// Dataset view: thumbnail grid with filters, import by file picker or drag-and-drop.
import { api, imageUrl } from './api.js';
import { h, setChildren, message, baseName } from './dom.js';

const ACCEPT = 'image/*,video/*,.jpg,.jpeg,.png,.webp,.bmp,.tif,.tiff,.gif,.mp4,.mov,.mkv,.avi,.webm';

const IMPORTABLE = /\.(jpe?g|png|webp|bmp|tiff?|gif|pbm|pgm|ppm|pnm|mp4|mov|mkv|avi|webm|m4v|mpe?g)$/i;
const BATCH_FILES = 40;
const BATCH_BYTES = 64 * 1024 * 1024;
const NEXT_COUNT = 24;

// Uploads files to a dataset in batches (a folder of a thousand photos stays under the server's
// upload cap) and shows what was added and every problem. Files of a picked folder that are not
// images or videos are left out and counted.
export async function importFiles(ds, files, out) {
  const all = Array.from(files || []);
  const list = all.filter((f) => IMPORTABLE.test(f.name) || (f.type || '').startsWith('image/') || (f.type || '').startsWith('video/'));
  const skipped = all.length - list.length;
  if (!list.length) {
    if (skipped) setChildren(out, message(`None of the ${skipped} files is an image or a video.`, 'warning', { 'data-testid': 'import-problem' }));
    return null;
  }
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const file of list) {
    if (batch.length && (batch.length >= BATCH_FILES || bytes + file.size > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += file.size;
  }
  batches.push(batch);
  const added = [];
  const problems = [];
  let sent = 0;
  for (const files_ of batches) {
    setChildren(out, message(`Importing ${list.length} file${list.length === 1 ? '' : 's'}… ${sent} done`, 'info', { 'data-testid': 'import-busy' }));
    try {
      const answer = await api.importFiles(ds, files_);
      added.push(...(answer.added || []));
      problems.push(...(answer.problems || []));
    } catch (e) {
      problems.push(...files_.map((f) => ({ file: f.name, message: `not imported: ${e.message}` })));
    }
    sent += files_.length;
  }
  const notes = skipped ? ` (${skipped} other file${skipped === 1 ? '' : 's'} of the folder left out)` : '';
  setChildren(out,
    message(`Added ${added.length} image${added.length === 1 ? '' : 's'} to ${ds}.${notes}`, added.length ? 'ok' : 'warning',
      { 'data-testid': 'import-result', 'data-added': String(added.length) }),
    problems.map((p) => message(String(p.message).includes(p.file) ? p.message : `${p.file}: ${p.message}`, 'error',
      { 'data-testid': 'import-problem' })));
  return { added, problems };
}

// Two file inputs (images and videos; a whole folder) with their result area.
export function importControl(ds, onImported, { compact = false } = {}) {
  const out = h('div', { class: 'import-result' });
  const id = `import-${ds}-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', {
    type: 'file', multiple: true, accept: ACCEPT, class: 'visually-hidden', id, 'data-testid': 'import-input',
  });
  const folder = h('input', {
    type: 'file', multiple: true, webkitdirectory: true, class: 'visually-hidden', id: `${id}-folder`, 'data-testid': 'import-folder',
  });
  for (const picker of [input, folder]) {
    picker.addEventListener('change', async () => {
      const files = Array.from(picker.files);
      picker.value = '';
      const answer = await importFiles(ds, files, out);
      if (answer && onImported) onImported(answer);
    });
  }
  const button = h('label', { class: 'button', for: input.id }, compact ? 'Import…' : 'Import images or videos…');
  const folderButton = compact ? null : h('label', { class: 'button', for: folder.id }, 'Import a folder…');
  return h('div', { class: 'import' }, button, folderButton, input, folder, out);
}

export function datasetView(root, route) {
  const ds = route.ds;
  let images = [];
  let labels = [];
  let destroyed = false;
  const filterKey = `logoscope.filter.${ds}`;

  const counts = h('span', { class: 'muted' });
  const filter = h('select', { 'data-testid': 'filter', onchange: () => { sessionStorage.setItem(filterKey, filter.value); renderGrid(); } });
  const errors = h('div', { class: 'messages' });
  const grid = h('div', { class: 'grid', 'data-testid': 'grid' });
  const dropHint = h('div', { class: 'drop-overlay', hidden: true }, `Drop images or videos to import them into ${ds}`);
  const imp = importControl(ds, load);

  root.append(
    h('header', { class: 'view-header row spread' },
      h('div', {}, h('h1', {}, ds === 'train' ? 'Training images' : 'Test images'), counts),
      h('div', { class: 'row' }, h('label', {}, 'Show ', filter))),
    imp, errors, grid, dropHint);

  async function load() {
    try {
      const [list, project] = await Promise.all([api.images(ds), api.project()]);
      if (destroyed) return;
      images = list.images || [];
      labels = project.labels || [];
      errors.replaceChildren();
      renderFilter();
      renderGrid();
    } catch (e) {
      if (!destroyed) setChildren(errors, message(e.message, 'error'));
    }
  }

  function renderFilter() {
    const wanted = filter.value || sessionStorage.getItem(filterKey) || 'all';
    const options = [['all', 'All images'], ['unlabeled', 'Unlabeled'], ['next', 'Label next (served model)'],
      ...labels.map((l) => [`label:${l}`, `Label ${l}`]),
      ['fp', 'Has false positives'], ['fn', 'Has false negatives'], ['missing', 'Likely missing labels']];
    setChildren(filter, options.map(([value, text]) => h('option', { value }, text)));
    filter.value = options.some(([v]) => v === wanted) ? wanted : 'all';
  }

  function matches(img) {
    const f = filter.value;
    const boxes = img.boxes || [];
    if (f === 'unlabeled') return boxes.length === 0;
    if (f.startsWith('label:')) return boxes.some((b) => b.label === f.slice(6));
    if (f === 'fp') return Boolean(img.review && img.review.false_positives > 0);
    if (f === 'fn') return Boolean(img.review && img.review.false_negatives > 0);
    if (f === 'missing') return Boolean(img.review && img.review.missing > 0);
    return true;
  }

  // The unlabeled images the served model would learn most from, in order, each with why
  // (GET /api/datasets/DS/next: docs/label-less.md). Answers that arrive after the filter changed
  // are dropped.
  let nextTicket = 0;
  async function renderNext() {
    const ticket = ++nextTicket;
    const unlabeled = images.filter((i) => !(i.boxes || []).length).length;
    counts.textContent = `${images.length} images, ${images.length - unlabeled} labeled`;
    setChildren(grid, h('p', { class: 'muted empty', 'data-testid': 'next-busy' },
      `The served model is looking at ${unlabeled} unlabeled image${unlabeled === 1 ? '' : 's'} and their mirror images…`));
    try {
      const answer = await api.next(ds, NEXT_COUNT);
      if (destroyed || ticket !== nextTicket || filter.value !== 'next') return;
      const left = answer.near_duplicates ? ` (${answer.near_duplicates} near-duplicates of labeled images or picks left out)` : '';
      counts.textContent = `${answer.picks.length} of ${answer.pool} unlabeled images to label next, most useful first${left}`;
      if (!answer.picks.length) {
        setChildren(grid, h('p', { class: 'muted empty' }, 'No unlabeled image is left to rank.'));
        return;
      }
      setChildren(grid, answer.picks.map((pick, index) => h('a', {
        class: 'thumb', href: `#/label/${ds}/${encodeURIComponent(pick.ref)}`,
        'data-testid': 'next-thumb', 'data-ref': pick.ref, title: `${pick.ref}: ${pick.reason}`,
      },
      h('img', { src: imageUrl(pick.ref, true), loading: 'lazy', alt: baseName(pick.ref) }),
      h('span', { class: 'badge count' }, `#${index + 1}`),
      h('span', { class: 'name' }, baseName(pick.ref)),
      h('span', { class: 'reason', 'data-testid': 'next-reason' }, pick.reason))));
    } catch (e) {
      if (!destroyed && ticket === nextTicket) setChildren(grid, message(e.message, 'error', { 'data-testid': 'next-error' }));
    }
  }

  function renderGrid() {
    if (filter.value === 'next') {
      renderNext();
      return;
    }
    nextTicket++;
    const shown = images.filter(matches);
    const labeled = images.filter((i) => (i.boxes || []).length).length;
    counts.textContent = `${images.length} images, ${labeled} labeled, ${shown.length} shown`;
    if (!images.length) {
      setChildren(grid, h('p', { class: 'muted empty' }, 'No images yet: import images or videos (or drop them on this page).'));
      return;
    }
    if (!shown.length) {
      setChildren(grid, h('p', { class: 'muted empty' }, 'No image matches this filter.'));
      return;
    }
    setChildren(grid, shown.map((img) => {
      const n = (img.boxes || []).length;
      const review = img.review && (img.review.false_positives || img.review.false_negatives || img.review.missing)
        ? h('span', { class: 'badge review', title: 'From the served model\'s evaluation' },
          `FP ${img.review.false_positives} · FN ${img.review.false_negatives + (img.review.missing || 0)}`)
        : null;
      return h('a', {
        class: 'thumb', href: `#/label/${ds}/${encodeURIComponent(img.ref)}`,
        'data-testid': 'thumb', 'data-ref': img.ref, 'data-boxes': String(n), title: img.ref,
      },
      h('img', { src: imageUrl(img.ref, true), loading: 'lazy', alt: baseName(img.ref) }),
      h('span', { class: `badge count ${n ? '' : 'none'}`, 'data-testid': 'box-badge' }, n ? `${n} box${n === 1 ? '' : 'es'}` : 'unlabeled'),
      review,
      h('span', { class: 'name' }, baseName(img.ref)));
    }));
  }

  // Drag-and-drop of files anywhere on the page.
  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  const onEnter = (e) => { if (hasFiles(e)) { dragDepth++; dropHint.hidden = false; } };
  const onLeave = () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) dropHint.hidden = true; };
  const onOver = (e) => { if (hasFiles(e)) e.preventDefault(); };
  const onDrop = async (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    dropHint.hidden = true;
    const answer = await importFiles(ds, e.dataTransfer.files, imp.querySelector('.import-result'));
    if (answer) load();
  };
  document.addEventListener('dragenter', onEnter);
  document.addEventListener('dragleave', onLeave);
  document.addEventListener('dragover', onOver);
  document.addEventListener('drop', onDrop);

  load();
  return {
    destroy() {
      destroyed = true;
      document.removeEventListener('dragenter', onEnter);
      document.removeEventListener('dragleave', onLeave);
      document.removeEventListener('dragover', onOver);
      document.removeEventListener('drop', onDrop);
    },
  };
}
