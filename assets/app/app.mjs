// Relative, so they are fetched under the same versioned name as this file.
import { initAll } from '../govuk/govuk-frontend.min.js';
import { initPickers } from './picker.mjs';

initAll();
initPickers();
