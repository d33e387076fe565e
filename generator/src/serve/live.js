// agora serve only (never in a built site): reloads the page after each
// good rebuild and shows a failed one's error over the page until fixed.
// A file, not an inline script, so that a strict Content-Security-Policy
// allows it; without JavaScript nothing of the page depends on it.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var script = document.currentScript;
  // The build the page came from: a newer good one reloads it.
  var generation = script ? new URL(script.src).searchParams.get("g") : null;
  var overlay = null;
  var returnFocus = null;

  function hide() {
    if (overlay) {
      overlay.remove();
      overlay = null;
      if (returnFocus && returnFocus.focus) {
        returnFocus.focus();
      }
    }
  }

  function show(text) {
    var open = overlay !== null;
    if (open) {
      overlay.querySelector("pre").textContent = text;
      return;
    }
    returnFocus = document.activeElement;
    overlay = document.createElement("div");
    overlay.setAttribute("role", "alertdialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-labelledby", "agora-live-title");
    overlay.setAttribute("aria-describedby", "agora-live-error");
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:1.5rem;" +
      "background:#fff;color:#1a1a1a;font:1rem/1.5 system-ui,sans-serif;";
    var title = document.createElement("h2");
    title.id = "agora-live-title";
    title.textContent = "Błąd w treści strony";
    var note = document.createElement("p");
    note.textContent =
      "Serwer pokazuje ostatnią poprawną wersję. Strona odświeży się sama po zapisaniu poprawki.";
    var error = document.createElement("pre");
    error.id = "agora-live-error";
    error.style.cssText =
      "white-space:pre-wrap;padding:1rem;border-left:6px solid #b00020;background:#fdf0f0;" +
      "font:0.95rem/1.5 ui-monospace,monospace;";
    error.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Zamknij";
    close.style.cssText = "font:inherit;padding:0.5rem 1rem;";
    close.addEventListener("click", hide);
    overlay.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hide();
      } else if (event.key === "Tab") {
        // The only control: keep focus inside the dialog.
        event.preventDefault();
        close.focus();
      }
    });
    overlay.append(title, note, error, close);
    document.body.append(overlay);
    close.focus();
  }

  var events = new EventSource("/__agora/events");
  // Says that the page listens (tests wait for it rather than for a time).
  events.addEventListener("open", function () {
    document.documentElement.setAttribute("data-agora-live", "listening");
  });
  events.addEventListener("reload", function (event) {
    if (event.data !== generation) {
      window.location.reload();
    } else {
      hide();
    }
  });
  events.addEventListener("build-error", function (event) {
    show(event.data);
  });
})();
