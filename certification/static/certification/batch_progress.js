// Live progress of an issuance batch and of its ZIP archive (institution/batches/<id>/):
// polls the progress URL on #batch until the batch and its archive are done.
(function () {
  var box = document.getElementById("batch");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (p) {
      var bar = document.getElementById("batch-bar");
      bar.max = p.total || 1; bar.value = p.issued + p.failed;
      document.getElementById("batch-issued").textContent = p.issued;
      document.getElementById("batch-failed").textContent = p.failed;
      var state = document.getElementById("batch-state");
      state.dataset.state = p.state;
      state.textContent = state.dataset["label" + p.state.charAt(0).toUpperCase() + p.state.slice(1)] || p.state;
      document.getElementById("build-archive").disabled = p.state !== "done";
      var a = p.archive, busy = p.state !== "done";
      if (a) {
        var abar = document.getElementById("archive-bar");
        abar.hidden = false; abar.max = a.total || 1; abar.value = a.done;
        var link = document.getElementById("archive-download");
        if (a.download) { link.href = a.download; link.hidden = false; } else { busy = true; }
      }
      if (busy) { setTimeout(poll, 1000); }
    });
  }
  poll();
})();
