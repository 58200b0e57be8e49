// Review view: the served model's mistakes on the test images, each opening in the labeler.
import { api, imageUrl } from './api.js';
import { h, setChildren, message, baseName, formatNumber } from './dom.js';
import { openReviewItem } from './labeler.js';

const KIND_TEXT = {
  missing: 'Missed logo',
  false_negative: 'Missed logo',
  false_positive: 'False detection',
  wrong_label: 'Wrong label',
};

export function reviewView(root) {
  let destroyed = false;
  const heading = h('h1', {}, 'Review');
  const info = h('p', { class: 'muted' });
  const list = h('div', { class: 'review-list', 'data-testid': 'review-list' });
  root.append(h('header', { class: 'view-header' }, heading, info), list);

  (async () => {
    try {
      const review = await api.review();
      if (destroyed) return;
      const items = review.items || [];
      if (!review.model) {
        info.textContent = 'No model is served yet: train one on the Project page (or serve an existing one) to get a review queue.';
        return;
      }
      info.textContent = items.length
        ? `${items.length} item${items.length === 1 ? '' : 's'} from model ${review.model}'s evaluation of the test images. Fix the labels, or accept what the model found.`
        : `Nothing to review: the evaluation of model ${review.model} flagged no test label to check.`;
      setChildren(list, items.map((item) => h('button', {
        class: 'review-item', 'data-testid': 'review-item', 'data-ref': item.ref,
        onclick: () => openReviewItem(item),
      },
      h('img', { src: imageUrl(item.ref, true), alt: baseName(item.ref), loading: 'lazy' }),
      h('div', {},
        h('strong', {}, KIND_TEXT[item.kind] || item.kind), ' ',
        h('span', { class: 'muted' }, `${baseName(item.ref)} · ${item.box ? item.box.label : ''}${item.confidence !== null && item.confidence !== undefined ? ` · ${formatNumber(item.confidence, 1)} %` : ''}`),
        h('p', {}, item.message || '')))));
    } catch (e) {
      if (destroyed) return;
      const text = e.code === 'no_model' || e.status === 409
        ? 'No model is served yet: train one on the Project page (or serve an existing one) to get a review queue.'
        : e.message;
      setChildren(list, message(text, e.status === 409 ? 'info' : 'error'));
    }
  })();

  return { destroy() { destroyed = true; } };
}
