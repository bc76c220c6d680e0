// Live outcome on the score grid (institution/sessions/<id>/scores/): as scores are typed, each
// candidate's outcome is computed the way certification/services/results.py computes it (every
// required part at or above its pass mark; any part below its mark fails; a missing part is
// pending). Only a preview: the server validates and computes the stored outcome on save.
(function () {
  var grid = document.getElementById("score-grid");
  if (!grid) { return; }
  var marks = {};
  (grid.dataset.marks || "").split(",").forEach(function (pair) {
    var kv = pair.split(":");
    if (kv.length === 2) { marks[kv[0]] = parseFloat(kv[1]); }
  });
  var SCORE = /^(100(\.0)?|\d{1,2}(\.\d)?)$/;

  function outcome(row) {
    var special = row.querySelector("select[data-part=special]");
    if (special) {
      return special.value === "pass" ? "passed" : special.value === "fail" ? "failed" : "pending";
    }
    var failed = false, pending = false, invalid = false, parts = Object.keys(marks);
    if (!parts.length) { return "pending"; }
    parts.forEach(function (part) {
      var input = row.querySelector("input[data-part=" + part + "]");
      var raw = (input ? input.value : (row.getAttribute("data-saved-" + part) || "")).trim();
      if (input) { input.classList.toggle("invalid", raw !== "" && !SCORE.test(raw)); }
      if (raw === "") { pending = true; return; }
      if (!SCORE.test(raw)) { invalid = true; return; }
      if (parseFloat(raw) < marks[part]) { failed = true; }
    });
    return invalid ? "invalid" : failed ? "failed" : pending ? "pending" : "passed";
  }

  function update(row) {
    var out = row.querySelector("td.outcome output");
    if (!out) { return; }
    var value = outcome(row);
    out.className = "outcome-" + value;
    out.dataset.live = value;
    out.textContent = grid.dataset["label" + value.charAt(0).toUpperCase() + value.slice(1)] || value;
    if (value !== out.dataset.saved) {
      var note = document.createElement("span");
      note.className = "unsaved";
      note.textContent = grid.dataset.labelUnsaved;
      out.appendChild(note);
    }
  }

  grid.querySelectorAll("tr.candidate").forEach(function (row) {
    row.addEventListener("input", function () { update(row); });
    row.addEventListener("change", function () { update(row); });
  });
})();
