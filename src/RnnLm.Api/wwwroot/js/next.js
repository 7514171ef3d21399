// Next word: a prefix box that updates a bar chart of the top-k next words as you type (debounced).
import { request } from './api.js';
import { barChart } from './charts.js';
import { clearErrors, fmt, latest, liveForm, numberOf, showError } from './forms.js';

/**
 * The one call behind this view: the next-word distribution after a prefix, as GET /next answers it. A streaming
 * session can take its place here without the view changing.
 */
export async function nextWords(prefix, top) {
  return request('GET', '/next', { query: { prefix, top }, withModel: true });
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
    } catch (e) {
      showError(form, e);
      summary.textContent = '';
      chart.replaceChildren();
      chart.removeAttribute('data-prefix');
    }
  };

  liveForm(form, [prefixBox, topBox], run, 250);
}
