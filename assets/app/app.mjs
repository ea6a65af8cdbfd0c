import { initAll } from '/assets/govuk/govuk-frontend.min.js';
import { initPickers } from '/assets/app/picker.mjs';

initAll();
initPickers();
