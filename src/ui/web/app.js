// logoscope ui: hash router, navigation bar and the shared page frame.
import { initToken } from './api.js';
import { h, setChildren } from './dom.js';
import { projectView } from './project.js';
import { datasetView } from './dataset.js';
import { labelerView } from './labeler.js';
import { reviewView } from './review.js';
import { tryView } from './try.js';

initToken();

const main = document.getElementById('main');
const nav = document.getElementById('nav');

const NAV = [
  ['#/', 'Project', 'nav-project'],
  ['#/dataset/train', 'Dataset train', 'nav-train'],
  ['#/dataset/test', 'Dataset test', 'nav-test'],
  ['#/review', 'Review', 'nav-review'],
  ['#/try', 'Try', 'nav-try'],
];

function renderNav(route) {
  setChildren(nav, NAV.map(([href, text, testid]) =>
    h('a', { href, 'data-testid': testid, class: route.nav === href ? 'active' : '' }, text)));
}

// Parses location.hash into {name, params, nav}.
function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const parts = hash.split('/');
  if (parts[0] === 'dataset' && (parts[1] === 'train' || parts[1] === 'test'))
    return { name: 'dataset', ds: parts[1], nav: `#/dataset/${parts[1]}` };
  if (parts[0] === 'label' && (parts[1] === 'train' || parts[1] === 'test') && parts.length >= 3) {
    let ref;
    try {
      ref = decodeURIComponent(parts.slice(2).join('/'));
    } catch {
      return { name: 'dataset', ds: parts[1], nav: `#/dataset/${parts[1]}` };  // a mangled address
    }
    return { name: 'label', ds: parts[1], ref, nav: `#/dataset/${parts[1]}` };
  }
  if (parts[0] === 'review') return { name: 'review', nav: '#/review' };
  if (parts[0] === 'try') return { name: 'try', nav: '#/try' };
  return { name: 'project', nav: '#/' };
}

const VIEWS = { project: projectView, dataset: datasetView, label: labelerView, review: reviewView, try: tryView };

// The mounted view: {route, view} where view may have destroy() and update(route).
let current = null;

function route() {
  const r = parseRoute();
  renderNav(r);
  // The labeler stays mounted while moving between images of one dataset (keeps undo history).
  if (current && current.route.name === r.name && r.name === 'label' && current.route.ds === r.ds && current.view.update) {
    current.route = r;
    current.view.update(r);
    return;
  }
  if (current && current.view.destroy) current.view.destroy();
  main.replaceChildren();
  const container = h('section', { class: `view view-${r.name}` });
  main.append(container);
  current = { route: r, view: VIEWS[r.name](container, r) || {} };
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
