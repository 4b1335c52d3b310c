// The "Cam kết" view beside the chat: each agreement's commitments by pillar (GET /v1/agreements), filtered
// by province and pillar, each commitment opening its quote. Two tabs switch between chat and tracker.

// Built while the panel is: panel.js places its tab bar and its view.
function buildTracker() {
  var chatTab = el("button", {
    type: "button",
    role: "tab",
    id: uid("tab"),
    className: "tab",
    "aria-selected": "true",
    text: TEXT.tabChat,
  });
  var trackerTab = el("button", {
    type: "button",
    role: "tab",
    id: uid("tab"),
    className: "tab",
    "aria-selected": "false",
    tabindex: "-1",
    text: TEXT.tabTracker,
  });
  var province = el("select", { id: uid("province"), className: "province" });
  var pillar = el("select", { id: uid("pillar"), className: "pillar" });
  pillar.appendChild(el("option", { value: "", text: TEXT.allPillars }));
  PILLARS.forEach(function (p) {
    pillar.appendChild(el("option", { value: p, text: p }));
  });
  var list = el("div", { className: "agreements", "aria-live": "polite", "aria-busy": "false" });
  var view = el("section", {
    className: "tracker",
    role: "tabpanel",
    id: uid("tracker"),
    "aria-labelledby": trackerTab.id,
    hidden: "",
  }, [
    el("div", { className: "filters" }, [
      el("label", { for: province.id, text: TEXT.filterProvince }),
      province,
      el("label", { for: pillar.id, text: TEXT.filterPillar }),
      pillar,
    ]),
    list,
  ]);
  trackerTab.setAttribute("aria-controls", view.id);
  var tabs = el("div", { className: "tabs", role: "tablist", "aria-label": TEXT.views }, [chatTab, trackerTab]);
  return {
    tabs: tabs,
    view: view,
    chatTab: chatTab,
    trackerTab: trackerTab,
    province: province,
    pillar: pillar,
    list: list,
    agreements: null,
    loading: false,
  };
}

function showView(name, focus) {
  var shown = name === "tracker";
  state.view = shown ? "tracker" : "chat";
  saveState();
  tracker.chatTab.setAttribute("aria-selected", String(!shown));
  tracker.trackerTab.setAttribute("aria-selected", String(shown));
  tracker.chatTab.setAttribute("tabindex", shown ? "-1" : "0");
  tracker.trackerTab.setAttribute("tabindex", shown ? "0" : "-1");
  log.hidden = shown;
  form.hidden = shown;
  tracker.view.hidden = !shown;
  if (shown && !tracker.agreements && !tracker.loading) {
    loadAgreements();
  }
  if (focus) {
    (shown ? tracker.trackerTab : tracker.chatTab).focus();
  }
}

function trackerMessage(text, retry) {
  tracker.list.textContent = "";
  tracker.list.appendChild(el("p", { className: retry ? "msg error" : "empty", role: retry ? "alert" : null, text: text }));
  if (retry) {
    var again = el("button", { type: "button", className: "retry", text: TEXT.retry });
    again.addEventListener("click", loadAgreements);
    tracker.list.appendChild(again);
  }
}

function loadAgreements() {
  tracker.loading = true;
  tracker.list.setAttribute("aria-busy", "true");
  trackerMessage(TEXT.loadingTracker);
  return fetch(config.apiBase + "/v1/agreements", { headers: authHeaders() })
    .then(function (response) {
      if (!response.ok) {
        return readErrorBody(response).then(function (body) {
          throw new Error(httpErrorMessage(response, body));
        });
      }
      return response.json();
    })
    .then(function (body) {
      tracker.agreements = cleanAgreements(body && body.agreements);
      fillProvinces();
      renderAgreements();
    })
    .catch(function (err) {
      trackerMessage(err && err.message && err.message !== "Failed to fetch" ? err.message : TEXT.network, true);
    })
    .then(function () {
      tracker.loading = false;
      tracker.list.setAttribute("aria-busy", "false");
    });
}

// Agreements come from the network: keep well-formed ones, every shown field a string.
function cleanAgreements(list) {
  if (!Array.isArray(list)) {
    return [];
  }
  return list
    .filter(function (a) {
      return a && typeof a === "object" && typeof a.id === "string" && Array.isArray(a.commitments);
    })
    .map(function (a) {
      return {
        id: a.id,
        province: a.province ? String(a.province) : "",
        parties: (Array.isArray(a.parties) ? a.parties : []).map(function (p) {
          return { name: String((p && p.name) || ""), key: String((p && p.key) || "") };
        }),
        signed: a.signed ? String(a.signed) : "",
        period: a.period && a.period.start ? a.period.start + "–" + a.period.end : "",
        sources: (Array.isArray(a.sources) ? a.sources : []).map(String),
        commitments: a.commitments
          .filter(function (c) {
            return c && typeof c.id === "string" && c.citation && typeof c.citation.quote === "string";
          })
          .map(function (c) {
            return {
              id: c.id,
              party: String(c.party || ""),
              text: String(c.text || ""),
              pillar: PILLARS.indexOf(c.pillar) >= 0 ? c.pillar : "",
              deadline: c.deadline ? String(c.deadline) : "",
              quote: c.citation.quote,
              source: String(c.citation.source || ""),
              status: c.status && typeof c.status.state === "string" ? c.status : null,
            };
          }),
      };
    });
}

function provinceName(agreement) {
  var side = agreement.parties.filter(function (p) {
    return p.key === agreement.province;
  })[0];
  return side ? side.name : agreement.province;
}

function fillProvinces() {
  var chosen = tracker.province.value;
  tracker.province.textContent = "";
  tracker.province.appendChild(el("option", { value: "", text: TEXT.allProvinces }));
  var seen = {};
  tracker.agreements.forEach(function (a) {
    if (a.province && !seen[a.province]) {
      seen[a.province] = true;
      tracker.province.appendChild(el("option", { value: a.province, text: provinceName(a) }));
    }
  });
  tracker.province.value = seen[chosen] ? chosen : "";
}

function renderAgreements() {
  var province = tracker.province.value;
  var pillar = tracker.pillar.value;
  tracker.list.textContent = "";
  var shown = 0;
  (tracker.agreements || []).forEach(function (a) {
    if (province && a.province !== province) {
      return;
    }
    var rows = a.commitments.filter(function (c) {
      return !pillar || c.pillar === pillar;
    });
    if (!rows.length) {
      return;
    }
    shown += 1;
    tracker.list.appendChild(renderAgreement(a, rows));
  });
  if (!shown) {
    trackerMessage(tracker.agreements && tracker.agreements.length ? TEXT.noMatch : TEXT.noAgreements);
  }
}

function renderAgreement(agreement, rows) {
  var facts = [];
  if (agreement.signed) {
    facts.push(TEXT.signed + formatDate(agreement.signed));
  }
  if (agreement.period) {
    facts.push(TEXT.period + agreement.period);
  }
  var names = agreement.parties.map(function (p) {
    return p.name;
  });
  var node = el("article", { className: "agreement" }, [
    el("h3", { text: names.join(" – ") }),
    el("p", { className: "meta", text: facts.join(" · ") }),
  ]);
  PILLARS.concat([""]).forEach(function (p) {
    var group = rows.filter(function (c) {
      return c.pillar === p;
    });
    if (!group.length) {
      return;
    }
    node.appendChild(el("h4", { text: p || TEXT.noPillar }));
    var list = el("ul", { className: "commitments" });
    group.forEach(function (c) {
      list.appendChild(renderCommitment(c));
    });
    node.appendChild(list);
  });
  return node;
}

function renderCommitment(commitment) {
  var detailId = uid("quote");
  var button = el("button", {
    type: "button",
    className: "commitment",
    "aria-expanded": "false",
    "aria-controls": detailId,
  }, [el("span", { className: "party", text: commitment.party }), " " + commitment.text]);
  var meta = TEXT.source + commitment.source;
  if (commitment.deadline) {
    meta += " · " + TEXT.deadline + commitment.deadline;
  }
  if (commitment.status) {
    meta += " · " + TEXT.progress + commitment.status.state;
  }
  var detail = el("div", { className: "detail", id: detailId, hidden: "" }, [
    el("blockquote", { text: commitment.quote }),
    el("p", { className: "meta", text: meta }),
  ]);
  button.addEventListener("click", function () {
    var open = detail.hidden;
    detail.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  });
  return el("li", null, [button, detail]);
}

function onTabKey(event) {
  var keys = { ArrowLeft: "chat", ArrowRight: "tracker", Home: "chat", End: "tracker" };
  if (keys[event.key]) {
    event.preventDefault();
    showView(keys[event.key], true);
  }
}
