// Project view: datasets, model versions, training with live progress, review entry.
import { api, eventsUrl, projectFileUrl } from './api.js';
import { h, setChildren, message, formatNumber, formatDate, formatDuration } from './dom.js';
import { importControl } from './dataset.js';

export function projectView(root) {
  let destroyed = false;
  let events = null;
  let project = null;
  // Model whose training this page started; events about other models are then ignored.
  let awaited = null;

  const title = h('h1', {}, 'Project');
  const subtitle = h('p', { class: 'muted' });
  const errors = h('div', { class: 'messages' });
  const datasets = h('div', { class: 'cards' });
  const labels = h('div', { class: 'labels-line' });
  const reviewEntry = h('div', { class: 'review-entry' });
  const models = h('div', { class: 'models' });

  const budget = h('input', { type: 'number', min: '5', step: '5', value: '60', id: 'time-budget', 'data-testid': 'time-budget' });
  const trainButton = h('button', { class: 'primary', 'data-testid': 'train-button', onclick: startTraining }, 'Train');
  // Ends the training after its current step; the model keeps what it learnt and is evaluated.
  const stopButton = h('button', { 'data-testid': 'stop-button', hidden: true, onclick: stopTraining },
    'Stop and keep the model');
  const trainMessages = h('div', { class: 'messages' });
  const progress = progressBox();

  root.append(
    h('header', { class: 'view-header' }, title, subtitle),
    errors,
    h('section', { class: 'panel' }, h('h2', {}, 'Datasets'), datasets, labels),
    reviewEntry,
    h('section', { class: 'panel' }, h('h2', {}, 'Train a model'),
      h('div', { class: 'row' },
        h('label', { for: 'time-budget' }, 'Time budget (seconds)'), budget, trainButton, stopButton),
      trainMessages, progress.el),
    h('section', { class: 'panel' }, h('h2', {}, 'Model versions'), models),
  );

  async function refresh() {
    try {
      project = await api.project();
    } catch (e) {
      if (!destroyed) setChildren(errors, message(e.message, 'error'));
      return;
    }
    if (destroyed) return;
    errors.replaceChildren();
    title.textContent = project.name || 'Project';
    subtitle.textContent = project.dir || '';
    renderDatasets();
    renderModels();
    const training = project.training;
    showRunning(Boolean(training && training.state === 'running'));
    refreshReview();
  }

  function renderDatasets() {
    setChildren(datasets, ['train', 'test'].map((ds) => {
      const c = (project.datasets && project.datasets[ds]) || { images: 0, labeled: 0, boxes: 0 };
      return h('div', { class: 'card', 'data-testid': `dataset-${ds}` },
        h('h3', {}, ds === 'train' ? 'Training images' : 'Test images'),
        h('dl', { class: 'counts' },
          h('dt', {}, 'Images'), h('dd', { 'data-testid': 'count-images' }, c.images),
          h('dt', {}, 'Labeled'), h('dd', { 'data-testid': 'count-labeled' }, c.labeled),
          h('dt', {}, 'Boxes'), h('dd', { 'data-testid': 'count-boxes' }, c.boxes)),
        h('div', { class: 'row' },
          h('a', { class: 'button', href: `#/dataset/${ds}`, 'data-testid': `open-${ds}` }, 'Open'),
          importControl(ds, refresh, { compact: true })));
    }));
    const names = project.labels || [];
    setChildren(labels, h('span', { class: 'muted' }, 'Labels: '),
      names.length ? names.join(', ') : 'none yet — add them in the labeler');
  }

  function renderModels() {
    const list = project.models || [];
    if (!list.length) {
      setChildren(models, h('p', { class: 'muted' }, 'No model yet: label some images, then train.'));
      return;
    }
    const rows = list.map((m) => {
      const served = project.served === m.name;
      const evaluation = m.report
        ? h('a', { href: projectFileUrl(m.report), target: '_blank', rel: 'noopener', 'data-testid': 'model-eval-link' }, 'Evaluation')
        : h('span', { class: 'muted' }, '—');
      const serve = served
        ? h('span', { class: 'badge served', 'data-testid': 'served' }, 'served')
        : h('button', { disabled: m.status !== 'ready', 'data-testid': 'serve-button', onclick: () => serveModel(m.name) }, 'Serve');
      return h('tr', { class: served ? 'served' : '', 'data-testid': 'model-row', 'data-model': m.name },
        h('td', {}, m.name), h('td', {}, formatDate(m.created)),
        h('td', {}, h('span', { class: `status status-${m.status}`, 'data-testid': 'model-status' }, m.status)),
        h('td', { 'data-testid': 'model-f1' }, formatNumber(m.f1)), h('td', {}, formatNumber(m.map50)),
        h('td', {}, evaluation), h('td', {}, serve));
    });
    setChildren(models, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Name', 'Created', 'Status', 'F1', 'mAP50', 'Report', 'Served'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.reverse())));
  }

  async function refreshReview() {
    reviewEntry.replaceChildren();
    if (!project.served) return;
    try {
      const review = await api.review();
      if (destroyed || !review.items || !review.items.length) return;
      setChildren(reviewEntry, h('a', { class: 'button', href: '#/review', 'data-testid': 'review-entry' },
        `Review ${review.items.length} item${review.items.length === 1 ? '' : 's'}`),
      h('span', { class: 'muted' }, ` from model ${review.model}'s evaluation of the test images`));
    } catch {
      // No review queue yet (no evaluation); nothing to show.
    }
  }

  async function serveModel(name) {
    try {
      await api.serve(name);
      await refresh();
    } catch (e) {
      setChildren(errors, message(e.message, 'error'));
    }
  }

  function showRunning(running) {
    trainButton.disabled = running;
    stopButton.hidden = !running;
    if (!running) stopButton.disabled = false;
  }

  async function stopTraining() {
    stopButton.disabled = true;
    try {
      await api.stopTraining();
    } catch (e) {
      stopButton.disabled = false;
      setChildren(trainMessages, message(e.message, 'error'));
    }
  }

  async function startTraining() {
    trainMessages.replaceChildren();
    const seconds = Number(budget.value);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      setChildren(trainMessages, message('Enter a time budget in seconds, e.g. 60.', 'error'));
      return;
    }
    trainButton.disabled = true;
    try {
      const answer = await api.train(seconds);
      showRunning(true);
      awaited = answer.model;
      progress.start(answer.model);
      refresh();
    } catch (e) {
      showRunning(false);
      setChildren(trainMessages, message(e.message, 'error'));
    }
  }

  // Live progress from the server's event stream.
  function connect() {
    events = new EventSource(eventsUrl());
    const handle = (kind) => (ev) => {
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (awaited && data.model !== awaited) return; // an older training's replayed state
      if (kind === 'progress') {
        const isNew = progress.model() !== data.model;
        progress.update(data);
        showRunning(true);
        if (isNew) refresh();
      } else if (kind === 'done') {
        progress.done(data);
        showRunning(false);
        refresh();
      } else {
        progress.failed(data);
        showRunning(false);
        refresh();
      }
    };
    events.addEventListener('progress', handle('progress'));
    events.addEventListener('done', handle('done'));
    events.addEventListener('failed', handle('failed'));
  }

  refresh();
  connect();
  return {
    destroy() {
      destroyed = true;
      if (events) events.close();
    },
  };
}

// The progress bar with phase, status, percent and ETA; ends with done (F1 + report) or failed.
function progressBox() {
  const bar = h('div', { class: 'bar-fill' });
  const phase = h('span', { class: 'phase' });
  const percent = h('span', { class: 'percent' });
  const eta = h('span', { class: 'eta muted' });
  const status = h('div', { class: 'status-text muted' });
  const result = h('div', { class: 'result' });
  const el = h('div', { class: 'progress', hidden: true, 'data-testid': 'progress', 'data-state': 'idle' },
    h('div', { class: 'row spread' }, h('span', {}, h('strong', { class: 'model-name' }), ' ', phase), h('span', {}, percent, ' ', eta)),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, bar),
    status, result);
  let model = null;

  function set(state, fraction) {
    el.hidden = false;
    el.dataset.state = state;
    el.dataset.model = model || '';
    el.className = `progress ${state}`;
    el.querySelector('.model-name').textContent = model ? `Model ${model}` : '';
    if (fraction !== undefined) {
      const pct = Math.max(0, Math.min(100, Math.round(fraction * 1000) / 10));
      el.dataset.fraction = String(fraction);
      bar.style.width = `${pct}%`;
      percent.textContent = `${pct.toFixed(pct < 100 ? 1 : 0)} %`;
      el.querySelector('.bar').setAttribute('aria-valuenow', String(pct));
    }
  }

  return {
    el,
    model: () => model,
    start(name) {
      model = name;
      result.replaceChildren();
      phase.textContent = 'starting';
      status.textContent = '';
      eta.textContent = '';
      set('running', 0);
    },
    update(d) {
      if (d.model !== model) result.replaceChildren();
      model = d.model;
      phase.textContent = d.phase || '';
      status.textContent = d.status || '';
      eta.textContent = d.eta_s !== null && d.eta_s !== undefined ? `about ${formatDuration(d.eta_s)} left` : '';
      set('running', Number(d.fraction) || 0);
    },
    done(d) {
      model = d.model;
      phase.textContent = 'done';
      eta.textContent = '';
      status.textContent = '';
      set('done', 1);
      setChildren(result, h('div', { class: 'message ok', 'data-testid': 'progress-done', 'data-model': d.model },
        `Done: model ${d.model}, F1 ${formatNumber(d.f1)}, mAP50 ${formatNumber(d.map50)}`,
        d.stopped_by === 'stopped' ? ` (stopped at step ${d.steps}, as asked). ` : '. ',
        d.report ? h('a', { href: projectFileUrl(d.report), target: '_blank', rel: 'noopener', 'data-testid': 'eval-link' }, 'Open the evaluation report') : ''));
    },
    failed(d) {
      model = d.model;
      phase.textContent = 'failed';
      eta.textContent = '';
      set('failed');
      setChildren(result, message(`Training failed: ${d.message || 'no reason given'}`, 'error', { 'data-testid': 'progress-failed' }));
    },
  };
}
