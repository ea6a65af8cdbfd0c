// GOV.UK Frontend styles JavaScript-enhanced components only when scripts run.
// Kept in a file, not inline, so the content security policy needs no 'unsafe-inline'.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
