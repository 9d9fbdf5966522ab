// Coding card (coding/templates/coding/card.html): the TA flags follow Therapieänderung, a
// warning when Ja has no flag, and keyboard shortcuts B/A, J/N, 1/2/3 and Enter; on the
// queue (queue.html) a checkbox that selects the whole page for the batch.
// Without this script the form still works; the server refuses flags without Ja anyway.
(function () {
  "use strict";

  // Queue: one checkbox selects every case of the page for the batch; hidden without the script.
  function initSelectAll() {
    var all = document.getElementById("alle-auswaehlen");
    var batch = document.getElementById("sammel");
    if (!all || !batch) {
      return;
    }
    var boxes = Array.prototype.slice.call(batch.querySelectorAll("input[name=faelle]"));
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
    batch.addEventListener("change", function (event) {
      if (event.target.name !== "faelle") {
        return;
      }
      var checked = boxes.filter(function (box) {
        return box.checked;
      }).length;
      all.checked = checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
  }

  function init() {
    initSelectAll();
    var form = document.getElementById("codierkarte");
    if (!form) {
      return;
    }
    var flags = Array.prototype.slice.call(form.querySelectorAll("[data-ta-flag]"));
    var warning = document.getElementById("ta-warnung");

    function taValue() {
      var checked = form.querySelector("input[name=therapieaenderung]:checked");
      return checked ? checked.value : "";
    }

    function update() {
      var ja = taValue() === "Ja";
      flags.forEach(function (flag) {
        // Switching to Nein clears the flags: they are only valid with Ja.
        if (!ja) {
          flag.checked = false;
        }
        flag.disabled = !ja;
      });
      var anyFlag = flags.some(function (flag) {
        return flag.checked;
      });
      if (warning) {
        warning.classList.toggle("d-none", !(ja && !anyFlag));
      }
    }

    function typing(target) {
      if (!target || !target.tagName) {
        return false;
      }
      if (target.isContentEditable) {
        return true;
      }
      var tag = target.tagName.toLowerCase();
      if (tag === "textarea" || tag === "select") {
        return true;
      }
      if (tag === "input") {
        var type = (target.type || "text").toLowerCase();
        return ["radio", "checkbox", "button", "submit", "reset"].indexOf(type) === -1;
      }
      return false;
    }

    form.addEventListener("change", update);

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (typing(event.target)) {
        return;
      }
      var key = event.key;
      if (key === "Enter") {
        var tag = event.target && event.target.tagName ? event.target.tagName.toLowerCase() : "";
        // Buttons and links answer Enter themselves.
        if (tag === "button" || tag === "a") {
          return;
        }
        event.preventDefault();
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
        return;
      }
      var shortcut = key.length === 1 ? key.toLowerCase() : "";
      if ("bajn123".indexOf(shortcut) === -1 || shortcut === "") {
        return;
      }
      var control = form.querySelector('[data-shortcut="' + shortcut + '"]');
      if (!control || control.disabled) {
        return;
      }
      event.preventDefault();
      if (control.type === "checkbox") {
        control.checked = !control.checked;
      } else {
        control.checked = true;
      }
      control.focus();
      update();
    });

    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
