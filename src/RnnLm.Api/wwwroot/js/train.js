// Train: start a job from pasted text or an uploaded file (needs the API key), then follow its event stream
// (GET /jobs/{id}/events): training and validation perplexity per finished epoch, words/s, ETA; cancel; the model then in Models.
import { request } from './api.js';
import { lineChart } from './charts.js';
import { clearErrors, fmt, numberOf, showError } from './forms.js';
import { refreshModels } from './models.js';

const Ended = new Set(['succeeded', 'failed', 'cancelled']);
const SettingFields = ['hidden', 'classes', 'maxEpochs', 'minCount', 'alpha'];

let watching = null;

export function initTrain() {
  const form = document.getElementById('train-form');
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const job = await request('POST', '/jobs', { key: true, ...jobBody(form) });
      clearErrors(form);
      follow(job);
    } catch (e) {
      showError(form, e);
    } finally {
      button.disabled = false;
    }
  });
  document.getElementById('train-cancel').addEventListener('click', cancel);
}

// JSON with the pasted lines, or multipart with the chosen file as `train` and the settings as a JSON field.
function jobBody(form) {
  const settings = { name: form.elements.name.value, cell: form.elements.cell.value, promote: form.elements.promote.value };
  for (const name of SettingFields) {
    const value = numberOf(form.elements[name]);
    if (value !== undefined) settings[name] = value;
  }
  const file = form.elements.trainFile.files[0];
  if (file) {
    const data = new FormData();
    data.append('train', file, file.name);
    data.append('settings', JSON.stringify(settings));
    return { form: data };
  }
  const train = form.elements.train.value.split(/\r?\n/).filter(line => line.trim() !== '');
  return { body: { ...settings, train } };
}

function follow(job) {
  watching?.source.close();
  const panel = document.getElementById('train-job');
  panel.hidden = false;
  document.getElementById('train-cancel').hidden = false;
  document.getElementById('train-cancel-error').textContent = '';
  const state = { id: job.id, source: new EventSource(`/jobs/${encodeURIComponent(job.id)}/events`) };
  watching = state;
  update(state, job);
  state.source.addEventListener('job', message => update(state, JSON.parse(message.data)));
  state.source.onerror = () => {
    // The stream ends when the job does (handled in update); anything else is a lost connection, which EventSource retries.
    if (watching === state && !Ended.has(panel.dataset.status)) {
      document.getElementById('train-status').textContent = `Job ${state.id}: connection to its event stream lost; reconnecting…`;
    }
  };
}

function update(state, job) {
  if (watching !== state) return;
  const panel = document.getElementById('train-job');
  const progress = job.progress;
  panel.dataset.job = job.id;
  panel.dataset.status = job.status;
  document.getElementById('train-status').textContent = describe(job);
  document.getElementById('train-progress').value = progress ? progress.fraction : 0;
  const valid = (progress?.validPerplexity ?? []).map((y, i) => ({ x: i + 1, y }));
  const train = (progress?.trainPerplexity ?? []).map((y, i) => ({ x: i + 1, y }));
  lineChart(document.getElementById('train-chart'), [
    { name: 'training', cls: 'series-train', points: train },
    { name: 'validation', cls: 'series-valid', points: valid },
  ], { label: `Perplexity per epoch of job ${job.id}: validation ${valid.map(p => fmt(p.y)).join(', ') || 'none yet'}` });
  if (Ended.has(job.status)) {
    state.source.close();
    document.getElementById('train-cancel').hidden = true;
    if (job.status === 'succeeded') refreshModels();
  }
}

function describe(job) {
  const p = job.progress;
  const head = `Job ${job.id} (${job.name}): ${job.status}`;
  if (job.status === 'succeeded' && job.result) {
    const r = job.result;
    return `${head} after ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} in ${fmt(r.seconds, 3)} s: validation perplexity ${fmt(r.validPerplexity)}, `
      + `training ${fmt(r.trainPerplexity)}, ${fmt(r.wordsPerSecond, 3)} words/s. Model ${r.modelId} is listed in Models. ${r.promotion?.reason ?? ''}`;
  }
  if (job.status === 'failed' || job.status === 'cancelled') return `${head}. ${job.error ?? ''}`;
  if (!p) return `${head}…`;
  return `${head}, epoch ${p.epoch}, ${Math.round(p.fraction * 100)}% — ${fmt(p.wordsPerSecond, 3)} words/s — ETA ${fmt(p.etaSeconds, 2)} s this epoch`
    + ` — training perplexity so far ${fmt(2 ** p.trainEntropy)}`;
}

async function cancel() {
  const box = document.getElementById('train-job');
  if (!watching) return;
  try {
    await request('DELETE', `/jobs/${encodeURIComponent(watching.id)}`, { key: true });
  } catch (e) {
    document.getElementById('train-cancel-error').textContent = showError(box, e);
  }
}
