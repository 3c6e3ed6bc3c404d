/* The mapping editor: rule fields that follow the chosen rule, and one shared criteria picker (grouped by unit
   and element, with a filter box) that edits the codes of the slot it was opened from. Without script the
   codes are typed into each slot's field, which is what the form submits either way. */
(function () {
  "use strict";
  var form = document.getElementById("mapping-form");
  var picker = document.getElementById("picker");
  if (!form || !picker) { return; }
  var filter = document.getElementById("picker-filter");
  var heading = document.getElementById("picker-for");
  var boxes = Array.prototype.slice.call(picker.querySelectorAll("input[type=checkbox]"));
  var labels = {};
  boxes.forEach(function (box) {
    // A unit's box has its own line; the unit's code and title are its summary.
    var named = box.parentNode.classList.contains("whole-unit") ? box.closest("details").querySelector("summary")
      : box.parentNode;
    labels[box.value] = named.textContent.replace(/\s+/g, " ").trim();
  });
  var active = null;

  function codesOf(slot) {
    return slot.querySelector("input.targets").value.split(/[\s,;]+/).filter(Boolean);
  }

  function showChosen(slot) {
    var list = slot.querySelector("ul.chosen");
    list.textContent = "";
    codesOf(slot).forEach(function (code) {
      var item = document.createElement("li");
      item.setAttribute("data-code", code);
      var tag = document.createElement("code");
      tag.textContent = code;
      item.appendChild(tag);
      var text = labels[code];
      item.appendChild(document.createTextNode(text ? " " + text.slice(code.length).trim() : " ?"));
      list.appendChild(item);
    });
  }

  function showRule(slot) {
    var select = slot.querySelector("select.rule");
    var option = select.options[select.selectedIndex];
    slot.querySelector(".for-score").hidden = !(option && option.hasAttribute("data-threshold"));
    slot.querySelector(".for-verbs").hidden = select.value !== "verbs";
    slot.querySelector(".rule-hint").textContent = option ? option.getAttribute("data-hint") : "";
  }

  function syncPicker() {
    var chosen = codesOf(active);
    var evidence = active.querySelector("select.evidence").value;
    boxes.forEach(function (box) {
      box.checked = chosen.indexOf(box.value) !== -1;
      var kind = box.getAttribute("data-kind");
      box.disabled = Boolean(kind) && kind !== evidence;
    });
  }

  function open(slot) {
    if (active) { active.classList.remove("picking"); }
    active = slot;
    slot.classList.add("picking");
    // Say which activity (and which kind of evidence) the ticks go to: the picker covers the page.
    var evidence = slot.querySelector("select.evidence");
    var name = slot.querySelector("button.choose").getAttribute("data-name");
    heading.textContent = heading.getAttribute("data-pattern").replace("{name}", name) +
      " · " + evidence.options[evidence.selectedIndex].textContent;
    syncPicker();
    filter.value = "";  // a new slot starts from the whole standard, its chosen units unfolded
    applyFilter();
    picker.hidden = false;
    filter.focus();
  }

  function close() {
    picker.hidden = true;
    if (active) { active.classList.remove("picking"); active.querySelector("button.choose").focus(); }
    active = null;
  }

  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    function matches(text) {
      text = text.toLowerCase();
      return words.every(function (word) { return text.indexOf(word) !== -1; });
    }
    Array.prototype.forEach.call(picker.querySelectorAll("details.unit"), function (unit) {
      var unitMatches = matches(unit.querySelector("summary").textContent);
      var any = unitMatches;
      Array.prototype.forEach.call(unit.querySelectorAll("li, .element-group"), function (node) {
        var shown = !words.length || unitMatches || matches(node.textContent);
        node.hidden = !shown;
        any = any || shown;
      });
      unit.hidden = words.length > 0 && !any;
      unit.open = words.length > 0 ? any : Boolean(unit.querySelector("input:checked"));
    });
  }

  form.addEventListener("change", function (event) {
    var slot = event.target.closest("details.slot");
    if (!slot) { return; }
    if (event.target.matches("select.rule")) { showRule(slot); }
    if (slot === active && event.target.matches("select.evidence")) { syncPicker(); }
  });
  form.addEventListener("input", function (event) {
    var slot = event.target.closest("details.slot");
    if (slot && event.target.matches("input.targets")) {
      showChosen(slot);
      if (slot === active) { syncPicker(); }
    }
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.choose");
    if (button) { open(button.closest("details.slot")); }
  });
  picker.addEventListener("change", function (event) {
    var box = event.target;
    if (!active || box.type !== "checkbox") { return; }
    var codes = codesOf(active).filter(function (code) { return code !== box.value; });
    if (box.checked) { codes.push(box.value); }
    active.querySelector("input.targets").value = codes.join(" ");
    showChosen(active);
  });
  filter.addEventListener("input", applyFilter);
  document.getElementById("picker-done").addEventListener("click", close);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !picker.hidden) { close(); }
  });
  Array.prototype.forEach.call(form.querySelectorAll("details.slot"), function (slot) {
    showRule(slot);
    showChosen(slot);
  });
})();
