// Users table: refresh rows in place from /api/users while typing or changing filters.
// The page works without this script (the form and pager are plain links); this only avoids reloads.
(function () {
  "use strict";
  var form = document.getElementById("user-filters");
  if (!form || !window.fetch) { return; }
  var body = document.getElementById("users-body");
  var pager = document.getElementById("pager");
  var count = document.getElementById("result-count");
  var timer = null;
  var latest = 0;

  function fmt(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return Number(value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    td.textContent = text;
    return td;
  }

  function row(user) {
    var tr = document.createElement("tr");
    tr.appendChild(cell(fmt(user.score_rank, 0), "num"));
    var idCell = document.createElement("td");
    var link = document.createElement("a");
    link.href = "/users/" + encodeURIComponent(user.user_id);
    link.textContent = user.user_id;
    idCell.appendChild(link);
    tr.appendChild(idCell);
    tr.appendChild(cell(fmt(user.score, 1), "num strong"));
    var labelCell = document.createElement("td");
    var badge = document.createElement("span");
    badge.className = "badge badge-" + user.label;
    badge.textContent = user.label;
    labelCell.appendChild(badge);
    tr.appendChild(labelCell);
    tr.appendChild(cell([user.intent_points, user.engagement_points, user.fit_points, user.penalty_points]
      .map(function (v) { return fmt(v, 1); }).join(" / "), "num dims"));
    tr.appendChild(cell(user.model_score === undefined || user.model_score === null ? "–" : fmt(user.model_score, 1), "num"));
    tr.appendChild(cell(user.explanation || "", "explanation"));
    return tr;
  }

  function params(page) {
    var data = new FormData(form);
    var query = new URLSearchParams();
    data.forEach(function (value, key) { if (value !== "") { query.set(key, value); } });
    if (page > 1) { query.set("page", page); }
    return query;
  }

  function setPager(result) {
    var links = pager.querySelectorAll("a");
    var targets = [1, Math.max(result.page - 1, 1), result.page + 1, result.pages];
    var disabled = [result.page <= 1, result.page <= 1, result.page >= result.pages, result.page >= result.pages];
    links.forEach(function (a, i) {
      var query = params(targets[i]);
      a.href = form.action + (query.toString() ? "?" + query : "");
      a.dataset.page = targets[i];
      a.classList.toggle("disabled", disabled[i]);
    });
    pager.querySelector(".page-info").innerHTML = "";
    var info = pager.querySelector(".page-info");
    info.append("Page ");
    var strong = document.createElement("strong");
    strong.textContent = fmt(result.page, 0);
    info.append(strong, " of " + fmt(result.pages, 0));
  }

  function load(page) {
    var query = params(page);
    var ticket = ++latest;
    fetch(form.dataset.api + "?" + query, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (json) { return [response.ok, json]; }); })
      .then(function (pair) {
        if (ticket !== latest) { return; }
        if (!pair[0]) { count.textContent = pair[1].error || "error"; return; }
        var result = pair[1];
        body.replaceChildren.apply(body, result.items.map(row));
        if (!result.items.length) {
          var tr = document.createElement("tr");
          var td = cell("No users match these filters.", "empty");
          td.colSpan = 7;
          tr.appendChild(td);
          body.appendChild(tr);
        }
        count.textContent = fmt(result.total, 0) + " users" + (result.label || result.q ? " match" : "");
        setPager(result);
        history.replaceState(null, "", form.action + (query.toString() ? "?" + query : ""));
      })
      .catch(function () { form.submit(); });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(1); });
  form.addEventListener("change", function () { load(1); });
  form.q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { load(1); }, 250);
  });
  pager.addEventListener("click", function (event) {
    var a = event.target.closest("a");
    if (!a || a.classList.contains("disabled")) { return; }
    event.preventDefault();
    load(Number(a.dataset.page));
    window.scrollTo({ top: 0, behavior: "smooth" });
  });
}());
