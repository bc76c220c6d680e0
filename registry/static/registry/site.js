// Behaviour every page shares, kept out of the HTML so that the Content-Security-Policy
// can forbid inline script (script-src 'self').
document.addEventListener("DOMContentLoaded", function () {
  // The language switch submits on change (a button is shown without JavaScript).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // "Copy the share link": copies the value of the field just before the button.
  document.querySelectorAll("button[data-copy-previous]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = button.previousElementSibling;
      if (navigator.clipboard && field) { navigator.clipboard.writeText(field.value); }
      button.textContent = button.dataset.copiedLabel || button.textContent;
    });
  });
});
