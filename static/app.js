// Progressive enhancements: relative times, character counters, hover cards, live notification badge.
(function () {
  "use strict";

  // Times: the server writes <time datetime="…ISO 8601…" data-relative>the date</time>, which reads well without
  // JavaScript; here its text becomes "5 minutes ago", and the exact time on hover is the reader's own, in their
  // time zone and the page's language.
  var lang = document.documentElement.lang || undefined;
  var exact = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  function titleTimes(root) {
    root.querySelectorAll("time[datetime]:not([title])").forEach(function (time) {
      var when = new Date(time.getAttribute("datetime"));
      if (!isNaN(when)) time.title = exact.format(when);
    });
  }
  titleTimes(document);

  // Relative times, in units much as Django's naturaltime chose them (one unit, where it said "2 days, 3 hours"):
  // the largest unit that fits at least once, rounded down (5 min 59 s is "5 minutes ago"): seconds under a minute,
  // then minutes, hours, days under a week, weeks under a month (a twelfth of a year), months under a year, years.
  // numeric "always" says "1 day ago", not "yesterday": the count is of elapsed time, and "yesterday" names a
  // calendar day it may not be. Under a second is "now". A moment ahead of the reader's clock (theirs a little
  // slow) is "now" too, not "in 5 seconds": everything shown here has already happened. Browsers without
  // Intl.RelativeTimeFormat keep the date.
  var relative = window.Intl && Intl.RelativeTimeFormat && new Intl.RelativeTimeFormat(lang, { numeric: "always" });
  var now = relative && new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(0, "second");
  var DAY = 86400, YEAR = 365 * DAY; // in seconds
  var UNITS = [["year", YEAR], ["month", YEAR / 12], ["week", 7 * DAY], ["day", DAY], ["hour", 3600], ["minute", 60],
    ["second", 1]];
  function relativeText(ago) {
    for (var i = 0; i < UNITS.length; i++) {
      if (ago >= UNITS[i][1]) return relative.format(-Math.floor(ago / UNITS[i][1]), UNITS[i][0]);
    }
    return now;
  }
  function relativeTimes(root) {
    if (!relative) return;
    root.querySelectorAll("time[data-relative]").forEach(function (time) {
      var ago = (Date.now() - new Date(time.getAttribute("datetime"))) / 1000; // seconds
      if (!isNaN(ago)) time.textContent = relativeText(ago);
    });
  }
  relativeTimes(document);
  setInterval(function () { relativeTimes(document); }, 60 * 1000); // "5 minutes ago" moves on while one reads

  // Character counter: <textarea maxlength data-counter> + <span data-counter-for="id">; its texts, in the page's
  // language, are the span's data-counter-one (for 1) and data-counter-other ("{count}" is the number left).
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    if (!field) return;
    var max = parseInt(field.getAttribute("maxlength"), 10) || 140;
    var one = counter.dataset.counterOne || "{count} character left";
    var other = counter.dataset.counterOther || "{count} characters left";
    function update() {
      var left = max - field.value.length;
      counter.textContent = (left === 1 ? one : other).replace("{count}", left);
      counter.classList.toggle("counter-over", left < 0);
    }
    field.addEventListener("input", update);
    update();
  });

  // Hover cards: after ~0.5 s over a username, fetch its card once and show it; hide when the pointer leaves.
  var HOVER_DELAY = 500, LEAVE_DELAY = 200;
  document.querySelectorAll("a.user-popup").forEach(function (link) {
    var showTimer = null, hideTimer = null, popover = null, hovering = false;
    function scheduleHide() {
      hovering = false;
      clearTimeout(showTimer);
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { if (popover) popover.hide(); }, LEAVE_DELAY);
    }
    function show(html) {
      if (!popover) {
        popover = new bootstrap.Popover(link, {
          content: html, html: true, sanitize: false, trigger: "manual", placement: "bottom",
          customClass: "user-popover"
        });
        // Bootstrap builds the card afresh from its HTML on every show: make its times relative as it is inserted,
        // before it fades in, so the date never flashes (the minute refresh then finds it in the document).
        link.addEventListener("inserted.bs.popover", function () {
          relativeTimes(bootstrap.Popover.getInstance(link).tip);
        });
        link.addEventListener("shown.bs.popover", function () {
          var tip = bootstrap.Popover.getInstance(link).tip;
          titleTimes(tip);
          tip.addEventListener("mouseenter", function () { hovering = true; clearTimeout(hideTimer); });
          tip.addEventListener("mouseleave", scheduleHide);
        });
      }
      popover.show();
    }
    link.addEventListener("mouseenter", function () {
      hovering = true;
      clearTimeout(hideTimer);
      showTimer = setTimeout(function () {
        if (link.dataset.popupHtml !== undefined) return show(link.dataset.popupHtml);
        fetch(link.dataset.popupUrl, { headers: { "X-Requested-With": "fetch" } })
          .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
          // Keep the card for next time, but show it only if the pointer is still there.
          .then(function (html) { link.dataset.popupHtml = html; if (hovering) show(html); })
          .catch(function () {});
      }, HOVER_DELAY);
    });
    link.addEventListener("mouseleave", scheduleHide);
  });

  // Export progress in the navigation: "Export: Waiting for a worker", "Export: Running 40 %", then a link.
  var exportItem = document.getElementById("export-status");
  var exportLink = exportItem && exportItem.querySelector("a");
  var exportHome = exportLink && exportLink.getAttribute("href"); // one's profile, where an export starts
  function showExport(state) {
    if (!exportItem) return;
    var link = exportLink;
    exportItem.classList.remove("d-none");
    if (state.download) {
      link.textContent = exportItem.dataset.ready;
      link.href = state.download;
      return;
    }
    link.href = exportHome; // a new export after a finished one: no longer a link to the old file
    var text = exportItem.dataset.prefix + ": " + state.label;
    if (state.status === "running") text += " " + state.progress + " %";
    if (state.message) text += " (" + state.message + ")";
    link.textContent = text;
  }

  // Notifications: poll now and every few seconds (data-poll-interval ms on <body>, 5 s without it; the browser
  // tests shorten it); keep the unread-messages badge and the export current.
  var url = document.body.dataset.notificationsUrl;
  var badge = document.getElementById("message-count");
  if (url && badge) {
    var since = 0;
    function poll() {
      fetch(url + "?since=" + since, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (notifications) {
          notifications.forEach(function (n) {
            since = Math.max(since, n.timestamp);
            if (n.name === "post_export") showExport(n.data);
            if (n.name === "unread_message_count") {
              badge.textContent = n.data;
              badge.classList.toggle("d-none", n.data === 0);
            }
          });
        })
        .catch(function () {});
    }
    poll();
    setInterval(poll, parseInt(document.body.dataset.pollInterval, 10) || 5000);
  }
})();
