// The one way the page talks to the service: JSON in and out, and every failure as an ApiError holding the
// RFC 9457 problem details the service answered (or one made here when it could not be reached).

/** What the views share: the model picked for them (empty: the active one) and the API key typed in (main.js binds it to its box). */
export const settings = { model: '', apiKey: '' };

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
  }
}

/**
 * Sends one request. query: parameters (empty ones left out); body: sent as JSON; form: a FormData sent as is;
 * key: send the API key; withModel: add model=ID when a model is picked. Resolves to the parsed JSON (null for 204).
 */
export async function request(method, path, { query, body, form, key, withModel } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  if (withModel && settings.model) url.searchParams.set('model', settings.model);
  const headers = { Accept: 'application/json' };
  let payload;
  if (form) {
    payload = form;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (key) headers['X-Api-Key'] = settings.apiKey;

  let response;
  try {
    response = await fetch(url, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError({ title: 'The service cannot be reached', detail: String(e?.message ?? e) }, 0);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(json ?? { title: `HTTP ${response.status} ${response.statusText}`, detail: text.slice(0, 300) }, response.status);
  }
  return json;
}
