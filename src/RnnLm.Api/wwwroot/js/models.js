// Models: the registry (GET /models) as cards, the active one marked; "Use" picks a model for the other views
// (the header's picker says the same), "Activate" makes it the service's active model (needs the API key).
import { request, settings } from './api.js';
import { clearErrors, element, fmt, showError } from './forms.js';

let picker;
let list;
let listError;

export function initModels() {
  picker = document.getElementById('model-picker');
  list = document.getElementById('models-list');
  listError = document.getElementById('models-error');
  picker.addEventListener('change', () => pick(picker.value));
  document.getElementById('models-refresh').addEventListener('click', refreshModels);
  return refreshModels();
}

function pick(id) {
  settings.model = id;
  picker.value = id;
  clearErrors(picker.parentElement);
  for (const card of list.querySelectorAll('.card')) {
    card.querySelector('.badge.picked')?.toggleAttribute('hidden', !usedByViews(card.dataset.id, card.classList.contains('active')));
  }
  document.dispatchEvent(new CustomEvent('rnnlm:model'));
}

// The model the views answer with: the one picked, or the active one when none is.
function usedByViews(id, active) {
  return settings.model ? settings.model === id : active;
}

/** Reads the registry again and redraws the cards and the picker. */
export async function refreshModels() {
  let registry;
  try {
    registry = await request('GET', '/models');
    listError.textContent = '';
  } catch (e) {
    listError.textContent = showError(list.parentElement, e);
    return;
  }
  const ready = registry.models.filter(m => m.status === 'ready');
  if (settings.model && !ready.some(m => m.id === settings.model)) settings.model = '';
  picker.replaceChildren(
    element('option', { value: '', text: `the active model (${registry.activeId ?? 'none'})` }),
    ...ready.map(m => element('option', { value: m.id, text: m.name && m.name !== m.id ? `${m.id} (${m.name})` : m.id })));
  picker.value = settings.model;
  list.replaceChildren(...registry.models.map(card));
  list.dataset.count = registry.models.length;
}

function card(model) {
  const error = element('p', { class: 'error form-error', role: 'alert' });
  const box = element('article', { class: `card${model.active ? ' active' : ''}`, 'data-id': model.id, 'aria-label': `model ${model.id}` },
    element('h3', {}, model.id,
      model.active ? element('span', { class: 'badge', text: 'active' }) : null,
      element('span', { class: 'badge picked', text: 'used by the views', hidden: !usedByViews(model.id, model.active) }),
      model.status !== 'ready' ? element('span', { class: 'badge bad', text: model.status }) : null),
    element('dl', {}, ...facts(model).flatMap(([term, value]) => [element('dt', { text: term }), element('dd', { text: value })])),
    model.problem ? element('p', { class: 'error', text: model.problem }) : null,
    element('div', { class: 'actions' },
      element('button', { type: 'button', class: 'secondary', disabled: model.status !== 'ready', onclick: () => pick(model.id), text: 'Use' }),
      element('button', { type: 'button', disabled: model.active || model.status !== 'ready', onclick: () => activate(model.id, box), text: 'Activate' })),
    error);
  return box;
}

function facts(model) {
  const card = model.card ?? {};
  return [
    ['name', model.name],
    ['source', model.source],
    ['architecture', model.architecture],
    ['trained on', model.trainingData],
    ['valid perplexity', model.validPerplexity == null ? null : fmt(model.validPerplexity)],
    ['test perplexity', model.testPerplexity == null ? null : fmt(model.testPerplexity)],
    ['vocabulary', card.vocabularySize?.toLocaleString('en-US')],
    ['hidden', card.hidden],
    ['file', model.fileBytes >= 1e6 ? `${(model.fileBytes / 1e6).toFixed(1)} MB` : `${Math.ceil(model.fileBytes / 1e3)} kB`],
    ['created', new Date(model.createdUtc).toLocaleString()],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
}

async function activate(id, box) {
  try {
    await request('POST', `/models/${encodeURIComponent(id)}/activate`, { key: true });
    clearErrors(box);
    // The views that follow the active model start again with it (a streaming session keeps the model it began with).
    document.dispatchEvent(new CustomEvent('rnnlm:model'));
    await refreshModels();
  } catch (e) {
    showError(box, e);
  }
}
