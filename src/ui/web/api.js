// Client of the logoscope ui HTTP API (docs/ui.md).

const TOKEN_KEY = 'logoscope.token';

// Keeps a ?token= from the page address for the session, then drops it from the address bar.
export function initToken() {
  const params = new URLSearchParams(location.search);
  const t = params.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

// For URLs the browser loads itself (<img>, EventSource, links), which cannot send headers.
export function withToken(url) {
  const t = token();
  if (!t) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}`;
}

const enc = encodeURIComponent;

export class ApiError extends Error {
  constructor(status, body) {
    const text = (body && (body.message || body.error)) || `The server answered ${status}`;
    super(status === 401 ? `${text} — open the address printed by "logoscope ui" (it holds the access token).` : text);
    this.status = status;
    this.code = body && body.error;
    this.body = body || {};
  }
}

export async function request(method, path, { json, body, headers = {} } = {}) {
  const h = { ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body });
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: `The logoscope server cannot be reached (${e.message}).` });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 413 && !data) data = { error: 'too_large', message: 'The upload is larger than the server accepts; import fewer files at a time.' };
    throw new ApiError(res.status, data || { message: text.trim() || `${res.status} ${res.statusText}` });
  }
  return data;
}

export const api = {
  project: () => request('GET', '/api/project'),
  addLabel: (name) => request('POST', '/api/labels', { json: { name } }),
  images: (ds) => request('GET', `/api/datasets/${enc(ds)}/images`),
  saveImage: (ds, ref, boxes, revision) =>
    request('PUT', `/api/datasets/${enc(ds)}/image?ref=${enc(ref)}`, { json: { boxes, revision } }),
  importFiles(ds, files) {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    return request('POST', `/api/datasets/${enc(ds)}/import`, { body: form });
  },
  next: (ds, count) => request('GET', `/api/datasets/${enc(ds)}/next?count=${enc(count)}`),
  suggest: (ref) => request('GET', `/api/suggest?ref=${enc(ref)}`),
  review: () => request('GET', '/api/review'),
  train: (seconds) => request('POST', '/api/train', { json: { time_budget_s: seconds } }),
  stopTraining: () => request('POST', '/api/train/stop'),
  serve: (name) => request('POST', `/api/models/${enc(name)}/serve`),
  tryImage: (file) =>
    request('POST', `/api/try?name=${enc(file.name || 'upload')}`, { body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } }),
};

export const imageUrl = (ref, thumb = false) => withToken(`/api/image?ref=${enc(ref)}${thumb ? '&thumb=1' : ''}`);
export const eventsUrl = () => withToken('/api/train/events');
export const projectFileUrl = (path) => withToken(path);
