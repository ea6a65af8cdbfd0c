// Type-to-find for choosing an organisation among thousands: progressive
// enhancement of a plain text field (see the organisation_picker macro).
// Without JavaScript the server finds the organisation from the name typed;
// with it, GOV.UK's accessible-autocomplete suggests names from
// /organisations/choices.json and keeps the chosen one's id.

function loadAutocomplete() {
  if (window.accessibleAutocomplete) return Promise.resolve(window.accessibleAutocomplete);
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = new URL('../autocomplete/accessible-autocomplete.min.css', import.meta.url).href;
  document.head.appendChild(css);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL('../autocomplete/accessible-autocomplete.min.js', import.meta.url).href;
    script.onload = () => resolve(window.accessibleAutocomplete);
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

function enhance(accessibleAutocomplete, group) {
  const hidden = group.querySelector('[data-picker-id]');
  const field = group.querySelector('[data-picker-name]');
  const container = field.parentElement;
  const kind = group.dataset.kind;
  let found = [];
  const source = (query, populate) => {
    const url = `/organisations/choices.json?kind=${encodeURIComponent(kind)}&q=${encodeURIComponent(query)}`;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : []))
      .then((list) => {
        found = list;
        populate(list.map((o) => o.name));
      })
      .catch(() => populate([]));
  };
  const describedBy = field.getAttribute('aria-describedby');
  const { id, name, value } = field;
  container.textContent = '';
  accessibleAutocomplete({
    element: container,
    id,
    name,
    defaultValue: value,
    minLength: 2,
    showNoOptionsFound: true,
    tNoResults: () => 'No organisation has that in its name',
    source,
    onConfirm: (chosen) => {
      const match = found.find((o) => o.name === chosen);
      if (match) hidden.value = String(match.id);
    },
  });
  const input = container.querySelector('input');
  if (input && describedBy) {
    input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') || ''} ${describedBy}`.trim());
  }
  // A name typed but not picked is found by the server.
  if (input) input.addEventListener('input', () => { hidden.value = ''; });
}

export function initPickers() {
  const groups = document.querySelectorAll('[data-module="app-organisation-picker"]');
  if (groups.length === 0) return;
  loadAutocomplete()
    .then((accessibleAutocomplete) => groups.forEach((g) => enhance(accessibleAutocomplete, g)))
    .catch(() => { /* the plain field still works */ });
}
