/* Live coverage (templates/includes/live_coverage.html): every data-live-interval seconds,
   ask the new-entries endpoint (data-live-poll) for the entries newer than the newest shown
   (data-live-after), put them at the top of the list without moving what the reader is
   looking at, and tell screen readers politely (the aria-live status line).

   Without this script the page still works: a reload shows the new entries. The endpoint is
   cached like any page; the request revalidates the browser's copy ("no-cache"), so when
   nothing is new the answer is a 304 or a cache hit. Polling pauses while the tab is hidden
   and stops when coverage ends or the story leaves the site. */
(function () {
  "use strict";

  var section = document.querySelector("[data-live-poll]");
  if (!section || !window.fetch) {
    return;
  }
  var list = section.querySelector(".live-entries");
  var announcer = section.querySelector(".live-announcer");
  var state = section.querySelector(".live-state");
  var seconds = Number(section.getAttribute("data-live-interval")) || 30;
  var interval = Math.max(1, seconds) * 1000;
  var after = section.getAttribute("data-live-after") || "";
  var timer = null;
  var stopped = false;
  var hint = section.querySelector(".live-refresh");
  if (hint) {
    // One line for another: nothing below moves.
    hint.textContent = "New updates appear at the top as they are posted.";
  }

  function endpoint() {
    var url = new URL(section.getAttribute("data-live-poll"), window.location.href);
    if (after) {
      url.searchParams.set("after", after);
    }
    return url.toString();
  }

  function announce(message) {
    if (announcer) {
      announcer.textContent = "";
      window.setTimeout(function () {
        announcer.textContent = message;
      }, 50);
    }
  }

  // The first entry the reader can see, whose place on screen must not change.
  function entryInView() {
    var items = list.children;
    for (var i = 0; i < items.length; i += 1) {
      var box = items[i].getBoundingClientRect();
      if (box.bottom > 0) {
        return box.top < window.innerHeight ? items[i] : null;
      }
    }
    return null;
  }

  function insert(entries) {
    var anchor = entryInView();
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    var fresh = document.createDocumentFragment();
    var added = [];
    entries.forEach(function (entry) {
      if (document.getElementById(entry.id)) {
        return; // on the page already
      }
      var item = document.createElement("li");
      item.innerHTML = entry.html; // rendered by the server from sanitised text
      fresh.appendChild(item);
      added.push(entry);
    });
    if (!added.length) {
      return;
    }
    var empty = list.querySelector(".empty");
    if (empty) {
      empty.remove();
    }
    list.insertBefore(fresh, list.firstChild);
    if (anchor) {
      // Browsers with scroll anchoring have kept it in place already; the others scroll by
      // what the new entries pushed it down.
      var moved = anchor.getBoundingClientRect().top - before;
      if (moved) {
        window.scrollBy(0, moved);
      }
    }
    var first = added[0].summary;
    announce(
      added.length === 1
        ? "New update: " + first
        : added.length + " new updates. Latest: " + first
    );
  }

  function stop(message) {
    stopped = true;
    window.clearTimeout(timer);
    if (hint) {
      hint.textContent = message || "This page no longer updates itself.";
    }
    if (message) {
      announce(message);
    }
  }

  function receive(data) {
    insert(data.entries || []);
    after = data.after || after;
    if (data.more) {
      announce("More updates than fit here: reload the page to see them all.");
    }
    if (data.state !== "live") {
      if (state && data.state_html) {
        state.innerHTML = data.state_html;
      }
      stop("Live coverage has ended.");
    }
  }

  function poll() {
    if (stopped) {
      return;
    }
    if (document.hidden) {
      schedule();
      return;
    }
    window
      .fetch(endpoint(), {
        cache: "no-cache",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        if (response.status === 404 || response.status === 410) {
          stop("This story is no longer available.");
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          receive(data);
        }
      })
      .catch(function () {
        /* offline for a moment: try again next time */
      })
      .then(schedule);
  }

  function schedule() {
    if (!stopped) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, interval);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !stopped) {
      window.clearTimeout(timer);
      poll();
    }
  });
  schedule();
})();
