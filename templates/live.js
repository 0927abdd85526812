// Watch mode (build.py --watch) only: keeps a served page current. The server adds this script and
// a status bar to the preview and the cards view; the files in dist/ never hold it.
(function () {
  "use strict";
  var first = document.getElementById("sd-live");
  var version = JSON.parse(first.getAttribute("data-status")).version;
  var style = document.createElement("style");
  style.textContent =
    ".sd-live { position: fixed; right: 0.75rem; bottom: 0.75rem; z-index: 10; padding: 0.35rem 0.7rem;" +
    " border-radius: 6px; background: #1f2328; color: #fff; opacity: 0.92; max-width: calc(100vw - 1.5rem);" +
    " font: 13px/1.4 'StudyDeck Sans', 'Pretendard', sans-serif; }" +
    ".sd-live.failed, .sd-live.stale { background: #b42318; }" +
    ".sd-changed { outline: 3px solid #f59e0b !important; outline-offset: 3px; }";
  document.head.appendChild(style);
  var words = {
    waiting: "덱·PDF: 대기 중", running: "덱·PDF: 만드는 중…", current: "덱·PDF: 최신",
    failed: "덱·PDF: 실패 (터미널 참고)", stale: "덱·PDF: 이전 것 그대로"
  };
  function show(s) {
    var bar = document.getElementById("sd-live");
    if (!bar) return;
    bar.textContent = "미리보기 " + s.preview + " · " + (words[s.state] || s.state) + (s.at ? " " + s.at : "");
    bar.className = "sd-live " + s.state;
    bar.title = s.message || "";
  }
  show(JSON.parse(first.getAttribute("data-status")));

  function mark(doc, changed) {
    // the entry that changed: into view if it is not, and outlined for a moment
    var win = doc.defaultView;
    (changed || []).forEach(function (id, i) {
      var el = doc.getElementById("entry-" + id);
      if (!el) return;
      var box = el.getBoundingClientRect();
      if (i === 0 && (box.bottom < 0 || box.top > win.innerHeight)) el.scrollIntoView({ block: "start" });
      el.classList.add("sd-changed");
      win.setTimeout(function () { el.classList.remove("sd-changed"); }, 1500);
    });
  }

  function refresh(changed) {
    fetch(location.pathname, { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (text) {
      var next = new DOMParser().parseFromString(text, "text/html");
      if (window.studydeckCards && next.getElementById("sd-data")) {
        // the cards view: its cards swapped in (its script makes their frames again), at the same place
        if (!document.getElementById("sd-data")) return location.reload(); // it showed the error page
        var y = window.scrollY;
        window.studydeckCards.update(next);
        window.scrollTo(0, y);
        var bar = next.getElementById("sd-live");
        if (bar) show(JSON.parse(bar.getAttribute("data-status")));
        mark(document, changed);
      } else {
        var y2 = window.scrollY;
        document.title = next.title;
        Array.prototype.forEach.call(document.head.querySelectorAll("style"), function (s) {
          if (s !== style) s.remove();
        });
        Array.prototype.forEach.call(next.head.querySelectorAll("style"), function (s) {
          document.head.insertBefore(s, style);
        });
        document.body.className = next.body.className;
        document.body.innerHTML = next.body.innerHTML;
        window.scrollTo(0, y2);
        var bar2 = document.getElementById("sd-live");
        if (bar2) show(JSON.parse(bar2.getAttribute("data-status")));
        mark(document, changed);
      }
    });
  }

  var events = new EventSource("/events");
  events.addEventListener("update", function (e) {
    var s = JSON.parse(e.data);
    show(s);
    if (s.version !== version) {
      version = s.version;
      refresh(s.changed);
    }
  });
  events.addEventListener("status", function (e) { show(JSON.parse(e.data)); });
})();
