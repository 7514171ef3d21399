// Score: every token shaded by its surprisal −log₂ p, <unk> marked; hover or focus shows its probability, rank and
// the model's alternatives at that position (POST /score with alternatives); sentence and total perplexity beside it.
import { request } from './api.js';
import { clearErrors, element, fmt, latest, liveForm, numberOf, showError } from './forms.js';

const MaxShadeBits = 16;

export function initScore() {
  const form = document.getElementById('score-form');
  const textBox = document.getElementById('score-text');
  const alternativesBox = document.getElementById('score-alternatives');
  const summary = document.getElementById('score-summary');
  const output = document.getElementById('score-output');
  const detail = document.getElementById('score-detail');
  const score = latest(body => request('POST', '/score', { body, withModel: true }));

  const run = async () => {
    const text = textBox.value;
    try {
      const answer = await score({ text, alternatives: numberOf(alternativesBox) });
      if (answer === null) return;
      clearErrors(form);
      render(answer.value, text);
    } catch (e) {
      showError(form, e);
      summary.replaceChildren();
      output.replaceChildren();
      output.removeAttribute('data-text');
      output.removeAttribute('data-model');
      detail.replaceChildren();
    }
  };

  function render(result, text) {
    summary.replaceChildren(
      element('strong', { text: `perplexity ${fmt(result.perplexity)}` }),
      ` over ${result.tokenCount} tokens in ${result.sentenceCount} sentence${result.sentenceCount === 1 ? '' : 's'}`
        + ` (${fmt(result.crossEntropy.bits)} bits a token; ${result.unknownCount} scored as <unk>), model ${result.model}`);
    output.replaceChildren(...result.sentences.map((sentence, s) => element('p', { class: 'sentence', 'data-sentence': s },
      ...sentence.tokens.flatMap((token, t) => [tokenSpan(token, s, t), ' ']),
      element('span', { class: 'ppl', 'data-perplexity': sentence.perplexity, text: `perplexity ${fmt(sentence.perplexity)}` }))));
    output.dataset.text = text;
    output.dataset.model = result.model;
    detail.replaceChildren();
  }

  function tokenSpan(token, s, t) {
    const probability = Math.exp(token.logProb);
    const bits = -token.logProb / Math.LN2;
    const shade = Math.min(bits / MaxShadeBits, 1);
    const span = element('span', {
      class: `tok${token.unknown ? ' unk' : ''}${token.token === '</s>' ? ' end' : ''}${shade > 0.6 ? ' strong' : ''}`,
      tabindex: 0,
      style: `--s:${shade.toFixed(3)}`,
      'data-sentence': s,
      'data-index': t,
      'data-token': token.token,
      'data-logprob': token.logProb,
      'data-probability': probability,
      'data-rank': token.rank,
      'aria-label': `${token.token}: probability ${fmt(probability)}, ${fmt(bits, 3)} bits${token.unknown ? ', scored as <unk>' : ''}`
        + `${token.rank ? `, rank ${token.rank}` : ''}`,
      'aria-describedby': 'score-detail',
      text: token.token,
    });
    const show = () => explain(token, probability, bits);
    span.addEventListener('mouseenter', show);
    span.addEventListener('focus', show);
    return span;
  }

  function explain(token, probability, bits) {
    const modelToken = token.unknown ? '<unk>' : token.token;
    const rows = (token.alternatives ?? []).map((a, i) => element('tr', { class: a.token === modelToken ? 'is-token' : null },
      element('td', { class: 'num', text: String(i + 1) }),
      element('td', { text: a.token }),
      element('td', { class: 'num', text: fmt(a.probability) })));
    detail.replaceChildren(
      element('p', {},
        element('strong', { text: token.token }),
        token.unknown ? ' (not in the vocabulary: scored as <unk>)' : '',
        ` — probability ${fmt(probability)}, surprisal ${fmt(bits, 3)} bits`,
        token.rank ? `, rank ${token.rank.toLocaleString('en-US')}` : ''),
      rows.length
        ? element('table', {},
          element('caption', { text: 'The model expected' }),
          element('thead', {}, element('tr', {}, element('th', { text: '#' }), element('th', { text: 'token' }), element('th', { text: 'probability' }))),
          element('tbody', {}, ...rows))
        : element('p', { class: 'summary', text: 'Set “Alternatives per token” above 0 to see what the model expected here.' }));
  }

  liveForm(form, [textBox, alternativesBox], run, 350);
}
