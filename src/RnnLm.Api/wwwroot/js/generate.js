// Generate: continue a prefix by sampling (prefix, length, temperature, top-k, seed); each token with its probability.
import { request } from './api.js';
import { clearErrors, element, fmt, numberOf, showError } from './forms.js';

export function initGenerate() {
  const form = document.getElementById('generate-form');
  const output = document.getElementById('generate-output');
  const value = id => document.getElementById(id);

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = {
      prefix: value('gen-prefix').value,
      maxTokens: numberOf(value('gen-length')),
      temperature: numberOf(value('gen-temperature')),
      topK: numberOf(value('gen-topk')),
      seed: numberOf(value('gen-seed')),
    };
    for (const name of Object.keys(body)) {
      if (body[name] === undefined) delete body[name];
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const result = await request('POST', '/generate', { body, withModel: true });
      clearErrors(form);
      output.replaceChildren(
        element('span', { class: 'gen-prefix', text: result.prefix.join(' ') }), ' ',
        ...result.tokens.map((token, i) => element('span', {
          class: 'gen-tok', 'data-index': i, 'data-token': token.token, 'data-probability': token.probability,
          title: `P = ${token.probability}`,
        }, element('span', { text: token.token }), element('span', { class: 'p', text: fmt(token.probability, 2) }))),
        element('p', { class: 'summary', text: result.endedSentence ? 'The sentence ended (</s>).' : `Stopped after ${result.tokens.length} tokens.` }));
      output.dataset.text = result.text;
    } catch (e) {
      showError(form, e);
      output.replaceChildren();
      output.removeAttribute('data-text');
    } finally {
      button.disabled = false;
    }
  });
}
