/*
 * Samattha xAPI helper for hand-written Tin Can packages. Canonical copy: content/packages/shared/xapi.js;
 * every package carries an identical copy (tests/test_sample_packages.py checks this).
 *
 * Reads the Tin Can launch query string (endpoint, auth, actor, registration, activity_id), builds xAPI 1.0.3
 * statements and POSTs them in order from a queue. A rejected statement stays queued and is retried on the next
 * call to flush(); nothing is dropped. No network access other than the LRS named by `endpoint`.
 */
(function (global) {
  "use strict";

  var XAPI_VERSION = "1.0.3";
  var EXT_PACKAGE = "https://samattha.dev/xapi/extensions/package";
  var EXT_CRITERIA = "https://samattha.dev/xapi/extensions/criteria";
  var UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  var VERBS = {
    initialized: { "en-US": "initialized", "th-TH": "เริ่มต้น" },
    answered: { "en-US": "answered", "th-TH": "ตอบ" },
    passed: { "en-US": "passed", "th-TH": "ผ่าน" },
    failed: { "en-US": "failed", "th-TH": "ไม่ผ่าน" },
    completed: { "en-US": "completed", "th-TH": "ทำจนจบ" },
    terminated: { "en-US": "terminated", "th-TH": "ออกจากบทเรียน" }
  };

  function verb(name) {
    if (!VERBS[name]) { throw new Error("unknown verb " + name); }
    return { id: "http://adlnet.gov/expapi/verbs/" + name, display: VERBS[name] };
  }

  function uuid() {
    var c = global.crypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var bytes = new Array(16);
    var i;
    if (c && typeof c.getRandomValues === "function") {
      var buffer = new Uint8Array(16);
      c.getRandomValues(buffer);
      for (i = 0; i < 16; i++) { bytes[i] = buffer[i]; }
    } else {
      for (i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = bytes.map(function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" +
      hex.slice(20);
  }

  /* ISO 8601 duration with centisecond precision (xAPI §4.6), e.g. PT1M5.25S. */
  function duration(ms) {
    var cs = Math.max(0, Math.round(ms / 10));
    var h = Math.floor(cs / 360000);
    var m = Math.floor((cs % 360000) / 6000);
    var s = (cs % 6000) / 100;
    return "PT" + (h ? h + "H" : "") + (m ? m + "M" : "") + (Math.round(s * 100) / 100) + "S";
  }

  function first(value) { return Array.isArray(value) ? value[0] : value; }

  /*
   * An xAPI 1.0.3 Agent from the launch's actor. Tolerates Tin Can 0.95 shapes (name/mbox/account as arrays,
   * account {accountServiceHomePage, accountName}) and a bare address in mbox. An Agent carries exactly one
   * inverse functional identifier: the LMS-issued account wins, then mbox, mbox_sha1sum, openid.
   */
  function normaliseActor(raw) {
    var actor = raw;
    if (typeof actor === "string") {
      try { actor = JSON.parse(actor); } catch (e) { throw new Error("actor is not JSON: " + e.message); }
    }
    if (!actor || typeof actor !== "object" || Array.isArray(actor)) { throw new Error("actor is not an object"); }
    var agent = { objectType: "Agent" };
    var name = first(actor.name);
    if (typeof name === "string" && name) { agent.name = name; }
    var account = first(actor.account);
    if (account && typeof account === "object") {
      var homePage = account.homePage || account.accountServiceHomePage;
      var accountName = account.name || account.accountName;
      if (homePage && accountName !== undefined && accountName !== null && String(accountName) !== "") {
        agent.account = { homePage: String(homePage), name: String(accountName) };
        return agent;
      }
    }
    var mbox = first(actor.mbox);
    if (typeof mbox === "string" && mbox) {
      agent.mbox = mbox.indexOf("mailto:") === 0 ? mbox : "mailto:" + mbox;
      return agent;
    }
    var sha1 = first(actor.mbox_sha1sum);
    if (typeof sha1 === "string" && sha1) { agent.mbox_sha1sum = sha1; return agent; }
    var openid = first(actor.openid);
    if (typeof openid === "string" && openid) { agent.openid = openid; return agent; }
    throw new Error("actor has no account, mbox, mbox_sha1sum or openid");
  }

  /*
   * The launch parameters. preview is true when there is no endpoint (the page was opened directly); problems
   * lists what makes a launch with an endpoint unusable (then nothing can be sent either).
   */
  function parseLaunch(search) {
    var params = new URLSearchParams(search === undefined ? global.location.search : search);
    var auth = params.get("auth") || null;
    // Base64 has no spaces: a "+" the LMS forgot to percent-encode came through as " ".
    if (auth && /^Basic /i.test(auth)) { auth = auth.slice(0, 6) + auth.slice(6).trim().replace(/ /g, "+"); }
    var launch = {
      endpoint: null, auth: auth, actor: null, registration: null,
      activityId: params.get("activity_id") || null, preview: false, problems: []
    };
    var endpoint = params.get("endpoint");
    if (!endpoint) {
      launch.preview = true;
      return launch;
    }
    launch.endpoint = endpoint.charAt(endpoint.length - 1) === "/" ? endpoint : endpoint + "/";
    try {
      launch.actor = normaliseActor(params.get("actor"));
    } catch (e) {
      launch.problems.push(e.message);
    }
    var registration = params.get("registration");
    if (registration) {
      if (UUID_RE.test(registration)) { launch.registration = registration.toLowerCase(); }
      else { launch.problems.push("registration is not a UUID: " + registration); }
    }
    return launch;
  }

  function activity(id, definition) {
    var object = { objectType: "Activity", id: id };
    if (definition) { object.definition = definition; }
    return object;
  }

  /*
   * A statement sender for one launch. options: launch (from parseLaunch), packageId, criteria (all codes of
   * the package), activity ({id, definition}), grouping (array of Activities), onStatus(state) where state is
   * {ok, pending, status, message}.
   */
  function Tracker(options) {
    this.launch = options.launch;
    this.packageId = options.packageId;
    this.criteria = options.criteria || [];
    this.activity = options.activity;
    this.grouping = options.grouping || [];
    this.onStatus = options.onStatus || function () {};
    this.queue = [];
    this.sent = [];
    this.running = null;
    this.started = Date.now();
    this.terminated = false;
    this.enabled = !this.launch.preview && this.launch.problems.length === 0;
  }

  Tracker.prototype.statement = function (verbName, object, extra) {
    extra = extra || {};
    var extensions = {};
    extensions[EXT_PACKAGE] = this.packageId;
    extensions[EXT_CRITERIA] = extra.criteria || this.criteria;
    var contextActivities = {};
    if (extra.parent) { contextActivities.parent = extra.parent; }
    if (this.grouping.length) { contextActivities.grouping = this.grouping; }
    var context = { contextActivities: contextActivities, language: "th-TH", extensions: extensions };
    if (this.launch.registration) { context.registration = this.launch.registration; }
    var statement = {
      id: uuid(),
      actor: this.launch.actor,
      verb: verb(verbName),
      object: object,
      context: context,
      timestamp: new Date().toISOString()
    };
    if (extra.result) { statement.result = extra.result; }
    return statement;
  };

  Tracker.prototype.record = function (verbName, object, extra) {
    var statement = this.statement(verbName, object, extra);
    if (this.enabled) { this.queue.push(statement); }
    return statement;
  };

  Tracker.prototype.initialized = function () {
    return this.record("initialized", activity(this.activity.id, this.activity.definition));
  };

  /* question: {id, criteria, definition}; response: the xAPI response string; success: boolean. */
  Tracker.prototype.answered = function (question, response, success) {
    return this.record("answered", activity(question.id, question.definition), {
      criteria: question.criteria,
      parent: [activity(this.activity.id, this.activity.definition)],
      result: {
        response: response, success: success,
        score: { raw: success ? 1 : 0, min: 0, max: 1, scaled: success ? 1 : 0 }
      }
    });
  };

  Tracker.prototype.finished = function (raw, max, passed) {
    var elapsed = duration(Date.now() - this.started);
    var object = activity(this.activity.id, this.activity.definition);
    var scored = this.record(passed ? "passed" : "failed", object, {
      result: {
        score: { raw: raw, min: 0, max: max, scaled: max ? raw / max : 0 },
        success: passed, completion: true, duration: elapsed
      }
    });
    this.record("completed", object, { result: { completion: true, duration: elapsed } });
    return scored;
  };

  Tracker.prototype.terminate = function () {
    if (this.terminated) { return null; }
    this.terminated = true;
    return this.record("terminated", activity(this.activity.id, this.activity.definition), {
      result: { duration: duration(Date.now() - this.started) }
    });
  };

  Tracker.prototype.report = function (state) {
    state.pending = this.queue.length;
    try { this.onStatus(state); } catch (e) { /* the page's problem, not the queue's */ }
  };

  function headers(tracker) {
    var values = { "Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION };
    if (tracker.launch.auth) { values.Authorization = tracker.launch.auth; }
    return values;
  }

  function post(tracker, body, keepalive) {
    return global.fetch(tracker.launch.endpoint + "statements", {
      method: "POST", headers: headers(tracker), body: JSON.stringify(body), keepalive: !!keepalive,
      credentials: "omit", cache: "no-store"
    });
  }

  function readMessage(response) {
    return response.text().then(function (text) {
      var message = text;
      try {
        var body = JSON.parse(text);
        message = (body && (body.message || body.error)) || text;
      } catch (e) { /* plain text */ }
      message = String(message || response.statusText || "").trim();
      return message.length > 300 ? message.slice(0, 300) + "…" : message;
    }, function () { return response.statusText || ""; });
  }

  /*
   * Send everything queued, oldest first, one statement per request so the order holds and a rejection names
   * its statement. Stops at the first failure and keeps it and the rest queued. Resolves to the status state.
   * 409 Conflict means the LRS already holds a statement with that id, i.e. an earlier try did arrive.
   */
  Tracker.prototype.flush = function () {
    var self = this;
    if (!self.enabled) { return Promise.resolve({ ok: true, pending: 0 }); }
    if (self.running) {
      return self.running.then(function () { return self.flush(); });
    }
    function next() {
      if (!self.queue.length) {
        var done = { ok: true };
        self.report(done);
        return done;
      }
      var statement = self.queue[0];
      return post(self, statement, false).then(function (response) {
        if (response.ok || response.status === 409) {
          self.queue.shift();
          self.sent.push(statement.id);
          return next();
        }
        return readMessage(response).then(function (message) {
          var failed = { ok: false, status: response.status, message: message };
          self.report(failed);
          return failed;
        });
      }, function (error) {
        var failed = { ok: false, status: 0, message: (error && error.message) || "network error" };
        self.report(failed);
        return failed;
      });
    }
    self.running = Promise.resolve().then(next).then(function (state) {
      self.running = null;
      return state;
    });
    return self.running;
  };

  /*
   * For pagehide: the page may be gone before a response arrives, so everything still queued (except a
   * statement already on its way) goes now, as one keepalive request. Nothing is retried after this.
   */
  Tracker.prototype.flushOnExit = function () {
    if (!this.enabled) { return; }
    var inflight = this.running ? this.queue[0] : null;
    var batch = this.queue.filter(function (statement) { return statement !== inflight; });
    if (!batch.length) { return; }
    try {
      postOnExit(this, batch).catch(function () { /* the page is going away; nobody is left to tell */ });
    } catch (e) { /* fetch unavailable */ }
  };

  /*
   * The package runs sandboxed (an opaque origin), so a POST with an Authorization header needs a CORS
   * preflight, and a keepalive request that needs one may never be sent once the page is gone. xAPI 1.0.3's
   * alternate request syntax (Part Three, 1.3) is a form POST, which needs none: the headers travel as fields.
   */
  function postOnExit(tracker, body) {
    var form = new URLSearchParams();
    form.set("Content-Type", "application/json");
    form.set("X-Experience-API-Version", XAPI_VERSION);
    if (tracker.launch.auth) { form.set("Authorization", tracker.launch.auth); }
    form.set("content", JSON.stringify(body));
    return global.fetch(tracker.launch.endpoint + "statements?method=POST", {
      method: "POST", body: form, keepalive: true, credentials: "omit", cache: "no-store"
    });
  }

  global.SamatthaXAPI = {
    VERSION: XAPI_VERSION,
    EXT_PACKAGE: EXT_PACKAGE,
    EXT_CRITERIA: EXT_CRITERIA,
    parseLaunch: parseLaunch,
    normaliseActor: normaliseActor,
    uuid: uuid,
    duration: duration,
    verb: verb,
    Tracker: Tracker
  };
}(window));
