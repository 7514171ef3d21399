// Wires the page: one section per view, chosen by the address's #fragment (links, so the keyboard and the back
// button work), the API key kept for this tab only, and each view's module.
import { settings } from './api.js';
import { initGenerate } from './generate.js';
import { initModels } from './models.js';
import { initNext } from './next.js';
import { initScore } from './score.js';
import { initTrain } from './train.js';

const views = ['score', 'next', 'generate', 'models', 'train'];

function show() {
  const wanted = window.location.hash.slice(1);
  const current = views.includes(wanted) ? wanted : 'score';
  for (const id of views) document.getElementById(id).hidden = id !== current;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#${current}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// The key is read from its box at each request (whatever changed the box), and kept for this tab only.
const key = document.getElementById('api-key');
key.value = sessionStorage.getItem('rnnlm-api-key') ?? '';
Object.defineProperty(settings, 'apiKey', { get: () => key.value });
for (const change of ['input', 'change']) {
  key.addEventListener(change, () => sessionStorage.setItem('rnnlm-api-key', key.value));
}

window.addEventListener('hashchange', show);
show();
initModels();
initScore();
initNext();
initGenerate();
initTrain();
document.body.dataset.ready = 'true';
