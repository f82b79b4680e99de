/* juzhu: small progressive enhancements. Every page works without this file (and without htmx).
   Loaded with `defer` from /static: the content security policy forbids inline scripts. */
(function () {
  "use strict";

  var RELEASE_AFTER_MS = 5000;

  // A plain form is sent once: a second press of its submit button while the browser is already
  // sending it would submit twice (two applications, two SMS codes). htmx forms are left to htmx,
  // which calls preventDefault() on the submit event before it reaches the document.
  function preventDoubleSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) {
      return;
    }
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    // Not `disabled`: a disabled submitter would drop its name and value from the form data.
    form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    // A response that does not leave the page (a download) must not lock the form for good.
    window.setTimeout(function () { releaseForm(form); }, RELEASE_AFTER_MS);
  }

  function releaseForm(form) {
    delete form.dataset.submitting;
    form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
    });
  }

  // Coming back with the browser's Back button restores the page from its cache: allow sending again.
  function releaseAllForms() {
    document.querySelectorAll("form[data-submitting]").forEach(releaseForm);
  }

  // GOV.UK pattern: a page that shows an error summary moves focus to it, so screen readers read it.
  function focusErrorSummary(root) {
    var summary = root.querySelector ? root.querySelector("[data-module='error-summary']") : null;
    if (summary) {
      summary.focus();
    }
  }

  // <button data-action="print"> prints the page (receipts), as an inline onclick would.
  function handleClick(event) {
    var target = event.target instanceof Element ? event.target.closest("[data-action='print']") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  }

  function init() {
    document.addEventListener("submit", preventDoubleSubmit);
    document.addEventListener("click", handleClick);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        releaseAllForms();
      }
    });
    // htmx swaps in fragments (a form re-rendered with its errors): treat them like a new page.
    document.body.addEventListener("htmx:afterSettle", function (event) {
      focusErrorSummary(event.detail.elt);
    });
    focusErrorSummary(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
