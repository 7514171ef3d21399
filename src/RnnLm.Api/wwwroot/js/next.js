// Next word: a prefix box that updates a bar chart of the top-k next words as you type (debounced), through a
// streaming session while the text grows by whole words.
import { request, settings } from './api.js';
import { barChart } from './charts.js';
import { clearErrors, fmt, latest, liveForm, numberOf, showError } from './forms.js';

// A streaming session follows the text while it grows by whole words: each call sends only the words added, and the
// state stays on the server. A word still being typed, an edit, quotes among the new words (a quote's direction
// depends on the text before it) and an empty box go through GET /next, as does any failure of the session path: its
// numbers are the same (a session's next words are /next's for the same words), and an error is /next's, for the whole prefix.
const stream = { id: null, model: null, text: '', tokens: [], queue: Promise.resolve() };
const QUOTES = /["'`\u2018\u2019\u201C\u201D]/;

/** The next-word distribution after a prefix, in GET /next's shape, plus source ('session' or 'next') and session (its id). */
export function nextWords(prefix, top) {
  // One call at a time: each one reads and moves the session.
  const call = stream.queue.then(() => viaSession(prefix, top));
  stream.queue = call.catch(() => {});
  return call;
}

/** Forgets the session (the model picked changed): the next call starts another. */
export function dropSession() {
  if (stream.id) request('DELETE', `/sessions/${stream.id}`).catch(() => {});
  Object.assign(stream, { id: null, model: null, text: '', tokens: [] });
}

async function viaSession(prefix, top) {
  if (!/\S\s$/.test(prefix)) return viaNext(prefix, top);
  const added = prefix.slice(stream.text.length);
  try {
    if (stream.id && stream.model === settings.model && prefix.startsWith(stream.text) && !QUOTES.test(added)) {
      if (!added.trim()) return viaNext(prefix, top);
      const answer = await request('POST', `/sessions/${stream.id}/tokens`, { body: { text: added, top } });
      return follow(prefix, answer, [...stream.tokens, ...answer.tokens.map(t => t.token)]);
    }
    dropSession();
    const answer = await request('POST', '/sessions', { body: { prefix, top, model: settings.model || undefined } });
    stream.id = answer.id;
    stream.model = settings.model;
    return follow(prefix, answer, answer.tokens.map(t => t.token));
  } catch {
    dropSession();
    return viaNext(prefix, top);
  }
}

function follow(prefix, answer, tokens) {
  Object.assign(stream, { text: prefix, tokens });
  const { model, next: candidates, endOfSentenceProbability } = answer;
  return { model, prefix: tokens, candidates, endOfSentenceProbability, source: 'session', session: answer.id };
}

async function viaNext(prefix, top) {
  const answer = await request('GET', '/next', { query: { prefix, top }, withModel: true });
  return { ...answer, source: 'next', session: null };
}

export function initNext() {
  const form = document.getElementById('next-form');
  const prefixBox = document.getElementById('next-prefix');
  const topBox = document.getElementById('next-top');
  const summary = document.getElementById('next-summary');
  const chart = document.getElementById('next-chart');
  const next = latest(nextWords);

  const run = async () => {
    const prefix = prefixBox.value;
    try {
      const answer = await next(prefix, numberOf(topBox));
      if (answer === null) return;
      clearErrors(form);
      const result = answer.value;
      const seen = result.prefix.length ? result.prefix.join(' ') : '<s> (a sentence start)';
      summary.textContent = `After “${seen}”: P(</s>) = ${fmt(result.endOfSentenceProbability)}; model ${result.model}`;
      const items = result.candidates.map(c => ({ label: c.token, value: c.probability, display: fmt(c.probability) }));
      barChart(chart, items, {
        label: `The ${items.length} most probable next words: ${items.map(i => `${i.label} ${i.display}`).join(', ')}`,
        max: Math.max(...items.map(i => i.value), 1e-9),
      });
      chart.dataset.prefix = prefix;
      chart.dataset.source = result.source;
      chart.dataset.model = result.model;
      if (result.session) chart.dataset.session = result.session;
      else chart.removeAttribute('data-session');
    } catch (e) {
      showError(form, e);
      summary.textContent = '';
      chart.replaceChildren();
      chart.removeAttribute('data-prefix');
      chart.removeAttribute('data-model');
    }
  };

  document.addEventListener('rnnlm:model', dropSession);
  liveForm(form, [prefixBox, topBox], run, 250);
}
