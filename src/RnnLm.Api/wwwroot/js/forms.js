// Showing what the service said next to what it is about: each field of a problem's `errors` goes to the element
// marked data-field with its name (or its root: "tokens[0][3]" to "tokens"), anything else to the form's own message.

export function clearErrors(container) {
  // The page header's boxes (API key, model) only where this container's last error put a message.
  const owned = [...document.querySelectorAll('header [data-error-owner]')].filter(box => box.dataset.errorOwner === ownerOf(container));
  for (const scope of [container, ...owned]) {
    for (const box of scope.querySelectorAll('.error')) box.textContent = '';
    for (const input of scope.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    for (const box of [scope, ...scope.querySelectorAll('.invalid')]) box.classList.remove('invalid');
  }
  for (const box of owned) delete box.dataset.errorOwner;
}

function ownerOf(container) {
  container.dataset.errorScope ??= `scope-${Math.random().toString(36).slice(2)}`;
  return container.dataset.errorScope;
}

/**
 * Shows an ApiError (or any error) in container: each field's message beside its field (the page header's for the
 * API key and the model), and the problem's title, with whatever has no field here, as the container's own message.
 * Returns that message.
 */
export function showError(container, error) {
  clearErrors(container);
  const problem = error?.problem ?? { title: 'Something went wrong', detail: String(error?.message ?? error) };
  const unplaced = [];
  let placedHere = 0;
  for (const [field, messages] of Object.entries(problem.errors ?? {})) {
    const text = [].concat(messages).join(' ');
    const box = fieldBox(container, field) ?? fieldBox(document.querySelector('header'), field);
    if (box) {
      box.classList.add('invalid');
      box.querySelector('input, textarea, select')?.setAttribute('aria-invalid', 'true');
      const slot = box.querySelector('.error');
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
    }
    if (box && container.contains(box)) placedHere++;
    else unplaced.push(box ? text : `${field}: ${text}`);
    if (box && !container.contains(box)) box.dataset.errorOwner = ownerOf(container);
  }
  const general = container.querySelector('.form-error');
  const message = [problem.title ?? 'The request failed', placedHere ? null : problem.detail, ...unplaced]
    .filter((part, i, all) => part && all.indexOf(part) === i).join(' — ');
  if (general) general.textContent = message;
  return message;
}

function fieldBox(container, field) {
  const root = field.replace(/\[.*$/, '');
  return container.querySelector(`[data-field="${CSS.escape(field)}"]`) ?? container.querySelector(`[data-field="${CSS.escape(root)}"]`);
}

/** A number input's value as JSON should carry it: absent when empty, a number when it is one, else the text (the service names the field). */
export function numberOf(input) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

/**
 * A view that answers as you type: run after a pause in typing into any of inputs, at once on submit (Enter) and when
 * another model is picked, and once now.
 */
export function liveForm(form, inputs, run, milliseconds) {
  const later = debounce(run, milliseconds);
  for (const input of inputs) input.addEventListener('input', later);
  form.addEventListener('submit', event => {
    event.preventDefault();
    run();
  });
  document.addEventListener('rnnlm:model', run);
  run();
}

export function debounce(action, milliseconds) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => action(...args), milliseconds);
  };
}

/**
 * Wraps an async call so that only the latest of overlapping calls counts: it resolves to { value } or throws, while an
 * earlier call that finishes after a later one was made resolves to null (its answer, or its error, is out of date).
 */
export function latest(action) {
  let turn = 0;
  return async (...args) => {
    const mine = ++turn;
    try {
      const value = await action(...args);
      return mine === turn ? { value } : null;
    } catch (e) {
      if (mine === turn) throw e;
      return null;
    }
  };
}

/** Numbers for people: 4 significant digits, no exponent above 1e-4. */
export function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
}
