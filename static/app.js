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

  // "Send code" counts down the 60 seconds before another code may be asked for. The server holds
  // the same limit; this only saves a pointless press. The button stays focusable (aria-disabled).
  function startCountdowns(root) {
    var buttons = root.querySelectorAll ? root.querySelectorAll("[data-resend-in]") : [];
    buttons.forEach(function (button) {
      var left = parseInt(button.dataset.resendIn, 10) || 0;
      if (left <= 0 || button.dataset.counting === "true") {
        return;
      }
      var label = button.textContent;
      var template = button.dataset.waitLabel || "{s}";
      button.dataset.counting = "true";
      button.setAttribute("aria-disabled", "true");
      function tick() {
        if (left <= 0) {
          window.clearInterval(timer);
          button.textContent = label;
          button.removeAttribute("aria-disabled");
          delete button.dataset.counting;
          button.dataset.resendIn = "0";
          return;
        }
        button.textContent = template.replace("{s}", String(left));
        left -= 1;
      }
      var timer = window.setInterval(tick, 1000);
      tick();
    });
  }

  // A button marked aria-disabled (counting down, or its form already sent) does nothing.
  function blockDisabledButtons(event) {
    var button = event.target instanceof Element ? event.target.closest("button[aria-disabled='true']") : null;
    if (button) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  // 使用我的位置 (the application's acceptance points): offered only where the browser can locate
  // the phone and htmx is there to fetch the re-ranked list; without either, the button stays hidden
  // and the points stay ranked from the registered address.
  function showLocateButtons(root) {
    if (!("geolocation" in navigator) || !window.htmx || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("[data-locate-url]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function handleLocate(event) {
    var button = event.target instanceof Element ? event.target.closest("[data-locate-url]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var status = document.querySelector(button.dataset.locateStatus || "");
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    button.setAttribute("aria-disabled", "true");
    navigator.geolocation.getCurrentPosition(function (position) {
      // Three decimals (about 100 m) are enough to rank the points, and say less about the person.
      var query = "?lat=" + position.coords.latitude.toFixed(3) + "&lng=" + position.coords.longitude.toFixed(3);
      window.htmx.ajax("GET", button.dataset.locateUrl + query, {target: button.dataset.locateTarget, swap: "outerHTML"})
        .then(function () { button.removeAttribute("aria-disabled"); say(""); });
    }, function () {
      button.removeAttribute("aria-disabled");
      say(button.dataset.locateError || "");
    }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 300000});
  }

  // The server ends a session after 30 idle minutes (web/guards.py). Two minutes before, offer
  // "Stay signed in"; at the end, go to the login page, which says why.
  function watchIdleSession() {
    var dialog = document.getElementById("session-warning");
    if (!dialog) {
      return;
    }
    var idleMs = (parseInt(dialog.dataset.idleSeconds, 10) || 1800) * 1000;
    var warnMs = (parseInt(dialog.dataset.warningSeconds, 10) || 120) * 1000;
    var warnTimer, endTimer;
    function restart() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      dialog.hidden = true;
      warnTimer = window.setTimeout(function () {
        dialog.hidden = false;
        var button = dialog.querySelector("button");
        if (button) {
          button.focus();
        }
      }, idleMs - warnMs);
      endTimer = window.setTimeout(function () {
        window.location.assign("/login");
      }, idleMs + 5000);
    }
    // Every request htmx makes (the "Stay signed in" button included) counts as activity.
    document.body.addEventListener("htmx:afterRequest", restart);
    restart();
  }

  function init() {
    watchIdleSession();
    document.addEventListener("click", blockDisabledButtons, true);
    document.addEventListener("submit", preventDoubleSubmit);
    document.addEventListener("click", handleClick);
    document.addEventListener("click", handleLocate);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        releaseAllForms();
      }
    });
    // htmx swaps in fragments (a form re-rendered with its errors): treat them like a new page.
    document.body.addEventListener("htmx:afterSettle", function (event) {
      focusErrorSummary(event.detail.elt);
      startCountdowns(event.detail.elt.parentNode || document);
      showLocateButtons(event.detail.elt.parentNode || document);
    });
    focusErrorSummary(document);
    startCountdowns(document);
    showLocateButtons(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
