// Steward's small page behaviours. The UI works without this file; it only adds comfort.
"use strict";

// Forms marked with data-confirm ask before submitting (revoking a token, for example).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
