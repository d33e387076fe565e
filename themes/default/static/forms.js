// Agora's forms, enhanced. Without this script every form still works:
// the browser posts it and the form functions answer with a page (303 to
// the confirmation, 422 with the form again). With it, the page sends in
// the background, shows the error summary and messages in place, keeps
// every value, and shows the places left.
(function () {
  "use strict";

  var panels = document.querySelectorAll("[data-agora-form]");
  if (!panels.length || !window.fetch || !window.FormData) {
    return;
  }

  var NETWORK_PROBLEM =
    "Nie udało się połączyć z serwerem. Sprawdź połączenie z internetem i wyślij formularz ponownie – Twoje odpowiedzi są zachowane.";
  var SERVER_PROBLEM =
    "Nie udało się wysłać zgłoszenia. Spróbuj ponownie za chwilę – Twoje odpowiedzi są zachowane.";

  function element(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function showStatus(panel, status) {
    var line = panel.querySelector("[data-agora-places]");
    if (!line || status.places_left === null || status.places_left === undefined) {
      return;
    }
    if (status.state !== "open") {
      line.textContent = "";
    } else if (status.places_left > 0) {
      line.textContent =
        "Wolne miejsca: " + status.places_left + " z " + status.capacity + ".";
    } else {
      line.textContent =
        "Wszystkie miejsca są zajęte. Możesz się zgłosić – trafisz na listę oczekujących.";
    }
  }

  // Fill time is measured on the server's clock: the status carries a
  // stamp the server signed when it gave the form out. Without it the
  // field stays empty and the server asks to send the form once more.
  function loadStatus(panel, started) {
    var url = panel.getAttribute("data-status-url");
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (!status) {
          return;
        }
        if (started && !started.value && typeof status.started_at === "string") {
          started.value = status.started_at;
        }
        showStatus(panel, status);
      })
      .catch(function () {
        // No live status: the page as built still says everything needed.
      });
  }

  function clearErrors(form, panel) {
    var old = panel.querySelectorAll(".error-summary, .form-problem");
    Array.prototype.forEach.call(old, function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".error-message"), function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".field--error"), function (node) {
      node.classList.remove("field--error");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-describedby]"), function (node) {
      var ids = node
        .getAttribute("aria-describedby")
        .split(" ")
        .filter(function (id) {
          return !/-error$/.test(id);
        });
      if (ids.length) {
        node.setAttribute("aria-describedby", ids.join(" "));
      } else {
        node.removeAttribute("aria-describedby");
      }
    });
  }

  // The same markup as the server's answer without JavaScript.
  function markField(form, error) {
    var id = "field-" + error.field;
    var input = document.getElementById(id);
    var field = input && input.closest(".field");
    if (!field) {
      return false;
    }
    field.classList.add("field--error");
    var message = element("p", { class: "error-message", id: id + "-error" });
    message.appendChild(element("span", { class: "visually-hidden" }, "Błąd: "));
    message.appendChild(document.createTextNode(error.message));
    var after =
      field.querySelector("#" + id + "-hint") ||
      field.querySelector("legend") ||
      field.querySelector("label.label");
    if (after) {
      after.parentNode.insertBefore(message, after.nextSibling);
    } else {
      field.insertBefore(message, field.firstChild);
    }
    var fieldset = field.querySelector("fieldset");
    var described = fieldset || input;
    var ids = (described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids.push(id + "-error");
    described.setAttribute("aria-describedby", ids.join(" "));
    Array.prototype.forEach.call(form.querySelectorAll('[name="' + error.field + '"]'), function (node) {
      node.setAttribute("aria-invalid", "true");
    });
    return true;
  }

  function showErrors(form, panel, errors) {
    clearErrors(form, panel);
    var summary = element("div", {
      class: "error-summary",
      role: "alert",
      tabindex: "-1",
      "aria-labelledby": "error-summary-title"
    });
    summary.appendChild(
      element("h2", { class: "error-summary__title", id: "error-summary-title" }, "Wystąpił problem")
    );
    var list = element("ul", { class: "error-summary__list" });
    errors.forEach(function (error) {
      var item = element("li", {});
      if (markField(form, error)) {
        var link = element("a", { href: "#field-" + error.field }, error.message);
        link.addEventListener("click", function (event) {
          // Focus the field itself, with its label in view.
          var input = document.getElementById("field-" + error.field);
          if (input) {
            event.preventDefault();
            input.focus();
            var label = input.closest(".field");
            if (label) {
              label.scrollIntoView();
            }
          }
        });
        item.appendChild(link);
      } else {
        item.textContent = error.message;
      }
      list.appendChild(item);
    });
    summary.appendChild(list);
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function showProblem(form, panel, text) {
    clearErrors(form, panel);
    var notice = element("div", { class: "notice notice-cancelled form-problem", role: "alert", tabindex: "-1" });
    notice.appendChild(element("p", {}, text));
    form.parentNode.insertBefore(notice, form);
    notice.focus();
  }

  function values(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (Object.prototype.hasOwnProperty.call(data, name)) {
        data[name] = [].concat(data[name], value);
      } else {
        data[name] = value;
      }
    });
    return data;
  }

  function enhance(panel) {
    var form = panel.querySelector("form.agora-form");
    if (!form) {
      return;
    }
    var started = form.querySelector('input[name="started_at"]');
    loadStatus(panel, started);
    var button = form.querySelector('button[type="submit"]');
    var sending = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) {
        return;
      }
      sending = true;
      button.setAttribute("aria-disabled", "true");
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(values(form))
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.status === 201 && body.page) {
                window.location.assign(body.page);
              } else if (response.status === 422 && body.errors) {
                // The stamp to send next time (a new one when ours was
                // missing).
                if (started && typeof body.started_at === "string" && body.started_at) {
                  started.value = body.started_at;
                }
                showErrors(form, panel, body.errors);
              } else {
                showProblem(form, panel, body.error || SERVER_PROBLEM);
              }
            });
        })
        .catch(function () {
          showProblem(form, panel, NETWORK_PROBLEM);
        })
        .then(function () {
          sending = false;
          button.removeAttribute("aria-disabled");
        });
    });
  }

  Array.prototype.forEach.call(panels, enhance);
})();
