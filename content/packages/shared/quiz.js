/*
 * Samattha knowledge check: renders window.SAMATTHA_QUIZ (the package's questions.js) into #quiz, gives
 * per-question feedback, scores against the pass mark and reports through SamatthaXAPI (xapi.js).
 * Canonical copy: content/packages/shared/quiz.js; every package carries an identical copy.
 */
(function (global, document) {
  "use strict";

  var INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction";
  var COURSE = "http://adlnet.gov/expapi/activities/course";
  var TRUE_FALSE = [
    { id: "true", text: { "th-TH": "จริง", "en-US": "True" } },
    { id: "false", text: { "th-TH": "เท็จ", "en-US": "False" } }
  ];

  var quiz = global.SAMATTHA_QUIZ;
  var api = global.SamatthaXAPI;
  var launch = api.parseLaunch();
  var activityId = launch.activityId || quiz.activityId;
  var checked = {}; // question id -> response given
  var finished = false;

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attributes.text; }
      else { node.setAttribute(name, attributes[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  /* Thai first, English after in smaller text; each span carries its language. */
  function bilingual(tag, text, className) {
    var attributes = className ? { "class": className } : {};
    return el(tag, attributes, [
      el("span", { "class": "th", lang: "th", text: text["th-TH"] }),
      document.createTextNode(" "),
      el("span", { "class": "en", lang: "en", text: text["en-US"] })
    ]);
  }

  function choicesOf(question) {
    return question.type === "true-false" ? TRUE_FALSE : question.choices;
  }

  function choiceText(question, id) {
    var found = choicesOf(question).filter(function (choice) { return choice.id === id; })[0];
    return found ? found.text : { "th-TH": id, "en-US": id };
  }

  function questionDefinition(question, number) {
    var definition = {
      type: INTERACTION,
      name: { "th-TH": "ข้อ " + number + ": " + question.topic["th-TH"],
        "en-US": "Question " + number + ": " + question.topic["en-US"] },
      description: question.text,
      interactionType: question.type,
      correctResponsesPattern: [question.correct]
    };
    if (question.type === "choice") {
      definition.choices = question.choices.map(function (choice) {
        return { id: choice.id, description: choice.text };
      });
    }
    return definition;
  }

  var tracker = new api.Tracker({
    launch: launch,
    packageId: quiz.packageId,
    criteria: quiz.criteria,
    activity: { id: activityId, definition: { type: COURSE, name: quiz.title, description: quiz.description } },
    grouping: [{ objectType: "Activity", id: quiz.unit.id, definition: { name: quiz.unit.title } }],
    onStatus: showStatus
  });

  var questions = quiz.questions.map(function (question, index) {
    return {
      data: question,
      number: index + 1,
      xapi: { id: activityId + "/" + question.id, criteria: question.criteria,
        definition: questionDefinition(question, index + 1) }
    };
  });

  /* ---- banners ---- */

  function showStatus(state) {
    var banner = document.getElementById("lrs-error");
    if (state.ok) {
      banner.hidden = true;
      return;
    }
    var what = state.status ? "HTTP " + state.status : "เชื่อมต่อไม่ได้ / network error";
    document.getElementById("lrs-error-status").textContent = what + (state.message ? ": " + state.message : "");
    document.querySelectorAll(".lrs-pending").forEach(function (node) { node.textContent = String(state.pending); });
    banner.hidden = false;
  }

  function showMode() {
    var mode = document.getElementById("mode");
    if (launch.preview) {
      mode.appendChild(bilingual("p", {
        "th-TH": "โหมดทดลอง: เปิดบทเรียนนี้โดยตรง ไม่ได้เปิดผ่าน LMS จึงไม่มีการส่งหรือบันทึกผลใด ๆ",
        "en-US": "Preview mode: this lesson was opened directly, not from the LMS, so nothing is sent or recorded."
      }));
      mode.className = "banner preview";
      mode.hidden = false;
      document.body.setAttribute("data-mode", "preview");
    } else if (!tracker.enabled) {
      mode.appendChild(bilingual("p", {
        "th-TH": "ลิงก์เปิดบทเรียนไม่สมบูรณ์ จึงบันทึกผลไม่ได้ กรุณาเปิดบทเรียนจาก LMS อีกครั้ง",
        "en-US": "The launch link is incomplete, so results cannot be recorded. Please open the lesson from the LMS again."
      }));
      mode.appendChild(el("p", { "class": "detail", lang: "en", text: launch.problems.join("; ") }));
      mode.className = "banner error";
      mode.setAttribute("role", "alert");
      mode.hidden = false;
      document.body.setAttribute("data-mode", "invalid-launch");
    } else {
      document.body.setAttribute("data-mode", "tracking");
    }
  }

  /* ---- questions ---- */

  function render(question) {
    var q = question.data;
    var fieldset = el("fieldset", { "class": "question", id: q.id, "data-question": q.id });
    var legend = el("legend", {}, [
      el("span", { "class": "number" }, [
        el("span", { lang: "th", text: "ข้อ " + question.number }),
        document.createTextNode(" "),
        el("span", { "class": "en", lang: "en", text: "Question " + question.number })
      ]),
      bilingual("span", q.text, "prompt")
    ]);
    fieldset.appendChild(legend);
    fieldset.appendChild(el("p", { "class": "criteria", text: q.criteria.join(", ") }));
    var list = el("div", { "class": "choices" });
    choicesOf(q).forEach(function (choice) {
      var id = q.id + "-" + choice.id;
      var input = el("input", { type: "radio", name: q.id, id: id, value: choice.id });
      var label = el("label", { "for": id }, [
        el("span", { "class": "th", lang: "th", text: choice.text["th-TH"] }),
        document.createTextNode(" "),
        el("span", { "class": "en", lang: "en", text: choice.text["en-US"] })
      ]);
      list.appendChild(el("div", { "class": "choice" }, [input, label]));
    });
    fieldset.appendChild(list);
    var button = el("button", { type: "button", "class": "check" }, [
      el("span", { lang: "th", text: "ตรวจคำตอบ" }),
      document.createTextNode(" "),
      el("span", { "class": "en", lang: "en", text: "Check answer" })
    ]);
    button.addEventListener("click", function () {
      if (check(question)) { tracker.flush(); }
    });
    fieldset.appendChild(button);
    fieldset.appendChild(el("div", { "class": "feedback", id: q.id + "-feedback", "aria-live": "polite" }));
    return fieldset;
  }

  function selected(question) {
    var input = document.querySelector("input[name='" + question.data.id + "']:checked");
    return input ? input.value : null;
  }

  function firstInput(question) {
    return document.querySelector("input[name='" + question.data.id + "']");
  }

  /* Locks the question, records `answered` and shows why. Returns false when nothing was chosen. */
  function check(question) {
    var q = question.data;
    if (checked[q.id] !== undefined) { return true; }
    var feedback = document.getElementById(q.id + "-feedback");
    var response = selected(question);
    if (response === null) {
      feedback.className = "feedback missing";
      feedback.replaceChildren(bilingual("p", {
        "th-TH": "กรุณาเลือกคำตอบก่อน", "en-US": "Please choose an answer first."
      }));
      firstInput(question).focus();
      return false;
    }
    var success = response === q.correct;
    checked[q.id] = response;
    var fieldset = document.getElementById(q.id);
    fieldset.querySelectorAll("input").forEach(function (input) { input.disabled = true; });
    fieldset.querySelector("button.check").disabled = true;
    fieldset.classList.add(success ? "right" : "wrong");
    var mark = document.querySelector("label[for='" + q.id + "-" + q.correct + "']");
    if (mark) { mark.parentNode.classList.add("correct-answer"); }
    feedback.className = "feedback " + (success ? "right" : "wrong");
    var verdict = success
      ? { "th-TH": "ถูกต้อง", "en-US": "Correct." }
      : { "th-TH": "ยังไม่ถูก คำตอบที่ถูกคือ “" + choiceText(q, q.correct)["th-TH"] + "”",
        "en-US": "Not quite. The correct answer is “" + choiceText(q, q.correct)["en-US"] + "”." };
    feedback.replaceChildren(bilingual("p", verdict, "verdict"), bilingual("p", q.explanation, "why"));
    tracker.answered(question.xapi, response, success);
    return true;
  }

  /* ---- submit ---- */

  function submit(event) {
    event.preventDefault();
    if (finished) { tracker.flush(); return; }
    var message = document.getElementById("submit-message");
    var missing = questions.filter(function (question) {
      return checked[question.data.id] === undefined && selected(question) === null;
    });
    if (missing.length) {
      message.replaceChildren(bilingual("p", {
        "th-TH": "กรุณาตอบให้ครบทุกข้อ ยังไม่ได้ตอบ: ข้อ " + missing.map(function (q) { return q.number; }).join(", "),
        "en-US": "Please answer every question. Not answered yet: " +
          missing.map(function (q) { return q.number; }).join(", ")
      }));
      firstInput(missing[0]).focus();
      tracker.flush();
      return;
    }
    message.replaceChildren();
    questions.forEach(check);
    var raw = questions.filter(function (question) {
      return checked[question.data.id] === question.data.correct;
    }).length;
    var max = questions.length;
    // Integer comparison: raw / max >= passMark without floating-point surprises (passMark has 2 decimals).
    var passed = raw * 100 >= Math.round(quiz.passMark * 100) * max;
    finished = true;
    tracker.finished(raw, max, passed);
    tracker.flush();
    showResult(raw, max, passed);
  }

  function showResult(raw, max, passed) {
    var result = document.getElementById("result");
    var percent = Math.round((raw / max) * 100);
    result.className = "result " + (passed ? "passed" : "failed");
    result.setAttribute("data-outcome", passed ? "passed" : "failed");
    var heading = el("h2", { tabindex: "-1" }, [
      el("span", { lang: "th", text: passed ? "ผ่าน" : "ยังไม่ผ่าน" }),
      document.createTextNode(" "),
      el("span", { "class": "en", lang: "en", text: passed ? "Passed" : "Not passed yet" })
    ]);
    result.replaceChildren(heading, bilingual("p", {
      "th-TH": "คะแนน " + raw + " จาก " + max + " ข้อ (ร้อยละ " + percent + ") เกณฑ์ผ่านคือร้อยละ " +
        Math.round(quiz.passMark * 100),
      "en-US": "Score " + raw + " of " + max + " (" + percent + "%). The pass mark is " +
        Math.round(quiz.passMark * 100) + "%."
    }), bilingual("p", passed ? {
      "th-TH": "ทบทวนคำอธิบายของแต่ละข้อด้านบนได้ตามต้องการ",
      "en-US": "You can review the explanation under each question above."
    } : {
      "th-TH": "อ่านคำอธิบายของแต่ละข้อด้านบน แล้วเปิดบทเรียนจาก LMS อีกครั้งเพื่อทำแบบทดสอบใหม่",
      "en-US": "Read the explanation under each question above, then open the lesson from the LMS again to retake it."
    }));
    var back = returnUrl();
    if (back) {
      // The way back to the learner's progress in the course (Samattha's launch gives it, as cmi5's returnURL).
      var link = el("a", { "class": "back", href: back, target: "_top" }, [
        el("span", { lang: "th", text: "กลับไปที่ความก้าวหน้าของฉัน" }), document.createTextNode(" · "),
        el("span", { "class": "en", lang: "en", text: "Back to my progress" })]);
      result.appendChild(el("p", {}, [link]));
    }
    result.hidden = false;
    var button = document.getElementById("submit");
    button.disabled = true;
    heading.focus();
  }

  function returnUrl() {
    var given = new URLSearchParams(window.location.search).get("returnURL");
    var scheme = given ? given.split(":")[0].toLowerCase() : "";
    return scheme === "https" || scheme === "http" ? given : null;  // never a javascript: or data: address
  }

  /* ---- start ---- */

  function start() {
    showMode();
    var form = document.getElementById("quiz");
    var list = document.getElementById("questions");
    questions.forEach(function (question) { list.appendChild(render(question)); });
    form.addEventListener("submit", submit);
    document.getElementById("lrs-retry").addEventListener("click", function () { tracker.flush(); });
    tracker.initialized();
    tracker.flush();
    global.addEventListener("pagehide", function () {
      if (tracker.enabled && !tracker.terminated) {
        tracker.terminate();
        tracker.flushOnExit();
      }
    });
    document.body.setAttribute("data-ready", "true");
  }

  global.SamatthaQuiz = { tracker: tracker, launch: launch, activityId: activityId };
  start();
}(window, document));
