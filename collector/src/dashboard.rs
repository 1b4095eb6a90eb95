//! The dashboard page: a report (see [`crate::reports`]) drawn as one self-contained HTML page with inline SVG
//! charts, rendered on the server, so it needs no script and no chart library. Every text that comes from events
//! or the config is escaped.

use serde_json::Value;

/// Colours of the series in "events over time", in order; `other` is always grey.
const PALETTE: [&str; 6] = [
    "#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626",
];
const OTHER: &str = "#9ca3af";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => escape(s),
        Value::Null => "–".into(),
        other => escape(&other.to_string()),
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The whole page for a report.
pub fn render(report: &Value) -> String {
    let mut page = String::new();
    page.push_str(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">",
    );
    page.push_str(&format!(
        "<title>Wayline · {}</title><style>{STYLE}</style></head><body>",
        text(&report["source"])
    ));
    page.push_str(&format!(
        "<header><h1>Wayline <span>{}</span></h1>{}</header><main>",
        text(&report["source"]),
        range_form(report)
    ));
    page.push_str(&config_fault(&report["config"]));
    page.push_str(&events_section(&report["events"]));
    page.push_str(&campaigns_section(report));
    page.push_str(&surveys_section(&report["surveys"]));
    page.push_str(&rewards_section(&report["rewards"]));
    page.push_str(&segments_section(&report["segments"], &report["to"]));
    page.push_str(&journeys_section(&report["journeys"], &report["to"]));
    page.push_str("</main></body></html>");
    page
}

fn range_form(report: &Value) -> String {
    format!(
        "<form method=\"get\" action=\"\">\
         <label>From <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <label>Goal <input name=\"goal\" value=\"{}\"></label>\
         <label>Within <input type=\"number\" name=\"window\" min=\"1\" max=\"365\" value=\"{}\"> days</label>\
         <button>Show</button></form>",
        text(&report["from"]),
        text(&report["to"]),
        text(&report["goal"]),
        int(&report["windowDays"])
    )
}

/// A warning above everything else while the config file is not served (see `report_routes::config_status`).
fn config_fault(config: &Value) -> String {
    if config["ok"] != Value::Bool(false) {
        return String::new();
    }
    let instead = match config["servedInstead"].as_str() {
        Some(etag) => format!(
            "Visitors are served the config last served instead (<code>{}</code>) until the file passes its check.",
            escape(etag)
        ),
        None => "Visitors get no config (503) until the file passes its check: none was served before.".into(),
    };
    let diagnostics = match config["diagnostics"].as_str() {
        Some(text) => format!("<pre>{}</pre>", escape(text)),
        None => String::new(),
    };
    format!(
        "<section id=\"config\" class=\"fault\" role=\"alert\"><h2>The config file is not served</h2>\
         <p>{}. {instead}</p>{diagnostics}</section>",
        text(&config["message"])
    )
}

fn section(id: &str, title: &str, body: &str) -> String {
    format!("<section id=\"{id}\"><h2>{title}</h2>{body}</section>")
}

/// A stacked bar per day.
fn events_section(events: &Value) -> String {
    let days = items(&events["days"]);
    let series = items(&events["series"]);
    if days.is_empty() || int(&events["total"]) == 0 {
        return section(
            "events",
            "Events over time",
            "<p class=\"empty\">No events in this range.</p>",
        );
    }
    let totals: Vec<i64> = (0..days.len())
        .map(|i| series.iter().map(|s| int(&s["counts"][i])).sum())
        .collect();
    let peak = totals.iter().copied().max().unwrap_or(0).max(1);
    let (width, height, gap) = (760.0, 200.0, 2.0);
    let column = width / days.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-label=\"Events per day\">",
        height + 20.0
    );
    for (i, day) in days.iter().enumerate() {
        let mut top = height;
        for (k, s) in series.iter().enumerate() {
            let n = int(&s["counts"][i]);
            if n == 0 {
                continue;
            }
            let h = n as f64 / peak as f64 * height;
            top -= h;
            let colour = colour_of(k, s);
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
                 <title>{} · {}: {n}</title></rect>",
                i as f64 * column + gap / 2.0,
                (column - gap).max(1.0),
                text(day),
                text(&s["name"])
            ));
        }
        // A date under the first, last and every seventh column.
        if i == 0 || i + 1 == days.len() || i % 7 == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" class=\"tick\">{}</text>",
                i as f64 * column,
                height + 15.0,
                escape(
                    day.as_str()
                        .unwrap_or_default()
                        .get(5..)
                        .unwrap_or_default()
                )
            ));
        }
    }
    svg.push_str("</svg>");
    let mut legend = String::from("<ul class=\"legend\">");
    for (k, s) in series.iter().enumerate() {
        legend.push_str(&format!(
            "<li><i style=\"background:{}\"></i>{} <b>{}</b></li>",
            colour_of(k, s),
            text(&s["name"]),
            int(&s["total"])
        ));
    }
    legend.push_str("</ul>");
    section(
        "events",
        &format!(
            "Events over time <small>{} in all</small>",
            int(&events["total"])
        ),
        &(svg + &legend),
    )
}

fn colour_of(index: usize, series: &Value) -> &'static str {
    if series["rest"] == Value::Bool(true) {
        OTHER
    } else {
        PALETTE[index % PALETTE.len()]
    }
}

/// A horizontal bar with its number, scaled to `max`.
fn bar(n: i64, max: i64, colour: &str) -> String {
    let percent = if max > 0 {
        n as f64 * 100.0 / max as f64
    } else {
        0.0
    };
    format!(
        "<span class=\"bar\"><i style=\"width:{percent:.1}%;background:{colour}\"></i></span><b>{n}</b>"
    )
}

fn segments_section(segments: &Value, to: &Value) -> String {
    let list = items(segments);
    if list.is_empty() {
        return section(
            "segments",
            "Segments",
            "<p class=\"empty\">No segments.</p>",
        );
    }
    let max = list.iter().map(|s| int(&s["members"])).max().unwrap_or(0);
    let mut rows = String::from(
        "<table><thead><tr><th>Segment</th><th>Members</th><th>Entered</th><th>Left</th></tr></thead><tbody>",
    );
    for s in list {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"wide\">{}</td><td>{}</td><td>{}</td></tr>",
            text(&s["segment"]),
            bar(int(&s["members"]), max, PALETTE[0]),
            int(&s["entered"]),
            int(&s["exited"])
        ));
    }
    rows.push_str("</tbody></table>");
    section(
        "segments",
        &format!("Segments <small>members at the end of {}</small>", text(to)),
        &rows,
    )
}

fn journeys_section(journeys: &Value, to: &Value) -> String {
    let list = items(journeys);
    if list.is_empty() {
        return section(
            "journeys",
            "Journeys",
            "<p class=\"empty\">No journeys.</p>",
        );
    }
    let mut body = String::new();
    for j in list {
        let stages = items(&j["stages"]);
        let max = stages
            .iter()
            .map(|s| int(&s["visitors"]))
            .max()
            .unwrap_or(0);
        body.push_str(&format!("<h3>{}</h3><table><tbody>", text(&j["journey"])));
        for s in stages {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"wide\">{}</td></tr>",
                text(&s["stage"]),
                bar(int(&s["visitors"]), max, PALETTE[1])
            ));
        }
        body.push_str("</tbody></table>");
    }
    section(
        "journeys",
        &format!(
            "Journey stages <small>visitors at each stage at the end of {}</small>",
            text(to)
        ),
        &body,
    )
}

fn surveys_section(surveys: &Value) -> String {
    let list = items(surveys);
    if list.is_empty() {
        return section(
            "surveys",
            "Survey answers",
            "<p class=\"empty\">No answers in this range.</p>",
        );
    }
    let mut body = String::new();
    for q in list {
        body.push_str(&format!(
            "<article><h3>{} · {} <small>{} · {} responses</small></h3>",
            text(&q["campaign"]),
            text(&q["question"]),
            text(&q["kind"]),
            int(&q["responses"])
        ));
        if let Some(nps) = q.get("nps") {
            let (p, pa, d) = (
                int(&nps["promoters"]),
                int(&nps["passives"]),
                int(&nps["detractors"]),
            );
            let total = (p + pa + d).max(1) as f64;
            body.push_str(&format!(
                "<p class=\"score\">NPS <b>{}</b></p>\
                 <div class=\"split\" role=\"img\" aria-label=\"{p} promoters, {pa} passives, {d} detractors\">\
                 <i style=\"width:{:.1}%;background:#16a34a\"></i><i style=\"width:{:.1}%;background:#9ca3af\"></i>\
                 <i style=\"width:{:.1}%;background:#dc2626\"></i></div>\
                 <p class=\"note\">{p} promoters (9–10) · {pa} passives (7–8) · {d} detractors (0–6)</p>",
                text(&nps["score"]),
                p as f64 * 100.0 / total,
                pa as f64 * 100.0 / total,
                d as f64 * 100.0 / total
            ));
        }
        if let Some(csat) = q.get("csat") {
            // No answer from 1 to 5 gives no share: a dash, not "–%".
            let share = match &csat["satisfiedPercent"] {
                Value::Null => "–".to_owned(),
                n => format!("{}%", text(n)),
            };
            body.push_str(&format!(
                "<p class=\"score\">CSAT <b>{share}</b> <small>satisfied (4–5)</small></p>"
            ));
        }
        if let Some(average) = q.get("average") {
            body.push_str(&format!(
                "<p class=\"score\">Average <b>{}</b></p>",
                text(average)
            ));
        }
        if let Some(answers) = q.get("answers") {
            let list = items(answers);
            let max = list.iter().map(|a| int(&a["count"])).max().unwrap_or(0);
            body.push_str("<table><tbody>");
            for a in list {
                body.push_str(&format!(
                    "<tr><td>{}</td><td class=\"wide\">{}</td></tr>",
                    text(&a["answer"]),
                    bar(int(&a["count"]), max, PALETTE[3])
                ));
            }
            body.push_str("</tbody></table>");
        }
        if let Some(texts) = q.get("texts") {
            body.push_str("<ul class=\"texts\">");
            for t in items(texts) {
                body.push_str(&format!(
                    "<li><q>{}</q> <small>{}</small></li>",
                    text(&t["text"]),
                    text(&t["at"])
                ));
            }
            body.push_str("</ul>");
        }
        body.push_str("</article>");
    }
    section("surveys", "Survey answers", &body)
}

fn rewards_section(rewards: &Value) -> String {
    let list = items(rewards);
    if list.is_empty() {
        return section(
            "rewards",
            "Reward claims",
            "<p class=\"empty\">No claims in this range.</p>",
        );
    }
    let mut rows = String::from(
        "<table><thead><tr><th>Campaign</th><th>Claims</th><th>Visitors</th><th>How</th></tr></thead><tbody>",
    );
    for r in list {
        let how: Vec<String> = r["how"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{} {}", escape(k), int(v)))
                    .collect()
            })
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&r["campaign"]),
            int(&r["claims"]),
            int(&r["visitors"]),
            how.join(" · ")
        ));
    }
    rows.push_str("</tbody></table>");
    section("rewards", "Reward claims", &rows)
}

fn campaigns_section(report: &Value) -> String {
    let list = items(&report["campaigns"]);
    if list.is_empty() {
        return section(
            "campaigns",
            "Campaigns",
            "<p class=\"empty\">No campaigns.</p>",
        );
    }
    let mut rows = String::from(
        "<table><thead><tr><th>Campaign</th><th>Shown</th><th>Held out</th><th>Answered</th><th>Completed</th>\
         <th>Dismissed</th><th>Claimed</th><th>Converted, shown</th><th>Converted, held out</th><th>Lift</th>\
         </tr></thead><tbody>",
    );
    let arm = |a: &Value| match a["rate"].as_f64() {
        Some(rate) => format!(
            "{rate}% <small>{}/{}</small>",
            int(&a["converted"]),
            int(&a["visitors"])
        ),
        None => "–".into(),
    };
    for c in list {
        let o = &c["outcomes"];
        let lift = lift_cell(&c["conversion"]);
        rows.push_str(&format!(
            "<tr><td>{} <small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{lift}</td></tr>",
            text(&c["campaign"]),
            text(&c["action"]),
            int(&o["shown"]),
            int(&o["heldOut"]),
            int(&o["answered"]),
            int(&o["completed"]),
            int(&o["dismissed"]),
            int(&o["rewardClaimed"]),
            arm(&c["conversion"]["shown"]),
            arm(&c["conversion"]["heldOut"])
        ));
    }
    rows.push_str("</tbody></table>");
    section(
        "campaigns",
        &format!(
            "Campaigns <small>visitors; converted = “{}” within {} days of first exposure</small>",
            text(&report["goal"]),
            int(&report["windowDays"])
        ),
        &rows,
    )
}

/// A campaign's lift over its holdout, with its 95% interval: coloured as a gain or a loss only when the interval
/// leaves out 0, since a lift whose interval holds 0 may be noise (small arms give wide intervals).
fn lift_cell(conversion: &Value) -> String {
    let Some(lift) = conversion["liftPoints"].as_f64() else {
        return "–".into();
    };
    let signed = |v: f64| {
        if v > 0.0 {
            format!("+{v}")
        } else {
            format!("{v}")
        }
    };
    let bounds = conversion["liftInterval"]
        .as_array()
        .and_then(|b| match b.as_slice() {
            [low, high] => Some((low.as_f64()?, high.as_f64()?)),
            _ => None,
        });
    let Some((low, high)) = bounds else {
        return format!("{} pts", signed(lift));
    };
    let class = if low > 0.0 {
        "up"
    } else if high < 0.0 {
        "down"
    } else {
        "unsure"
    };
    format!(
        "<b class=\"{class}\">{} pts</b><br><small title=\"95% confidence interval of the lift\">{} to {}{}</small>",
        signed(lift),
        signed(low),
        signed(high),
        if class == "unsure" { ", may be noise" } else { "" }
    )
}

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1f2328;--muted:#6b7280;--bg:#f6f7f9;--card:#fff;--line:#e5e7eb}
@media (prefers-color-scheme:dark){:root{--fg:#e5e7eb;--muted:#9ca3af;--bg:#111318;--card:#1b1e25;--line:#2d323c}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);
background:var(--bg)}header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;justify-content:space-between;
padding:16px 24px;background:var(--card);border-bottom:1px solid var(--line)}h1{margin:0;font-size:20px}
h1 span{color:var(--muted);font-weight:400}form{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
input{font:inherit;padding:3px 6px;max-width:11em}button{font:inherit;padding:4px 12px}
main{display:grid;gap:16px;padding:16px 24px;max-width:1100px;margin:0 auto}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;overflow-x:auto}
section.fault{border-left:4px solid #dc2626}section.fault pre{white-space:pre-wrap;margin:8px 0 0}
h2{margin:0 0 12px;font-size:16px}h3{margin:14px 0 6px;font-size:14px}small{color:var(--muted);font-weight:400}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);
white-space:nowrap}th{font-weight:600;color:var(--muted);white-space:normal;vertical-align:bottom}td.wide{width:60%}
.bar{display:inline-block;width:calc(100% - 4em);height:10px;background:var(--line);border-radius:5px;
overflow:hidden;vertical-align:middle;margin-right:8px}.bar i{display:block;height:100%}
.chart{width:100%;height:auto}.tick{font-size:10px;fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;list-style:none;padding:0;margin:8px 0 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.score{font-size:15px;margin:4px 0}.score b{font-size:26px}
.split{display:flex;height:14px;border-radius:7px;overflow:hidden;background:var(--line)}.split i{display:block}
.note,.empty{color:var(--muted)}.texts{padding-left:18px}.up{color:#16a34a}.down{color:#dc2626}.unsure{font-weight:normal}
article+article{border-top:1px solid var(--line);margin-top:12px}
";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lift_is_coloured_only_when_its_interval_leaves_out_zero() {
        let cell = |c: Value| lift_cell(&c);
        let gain = cell(json!({"liftPoints": 25.0, "liftInterval": [10.2, 38.9]}));
        assert!(gain.starts_with("<b class=\"up\">+25 pts</b>"), "{gain}");
        assert!(gain.contains("+10.2 to +38.9</small>"), "{gain}");
        let loss = cell(json!({"liftPoints": -25.0, "liftInterval": [-40.0, -3.5]}));
        assert!(loss.starts_with("<b class=\"down\">-25 pts</b>"), "{loss}");
        let noise = cell(json!({"liftPoints": -25.0, "liftInterval": [-70.4, 35.5]}));
        assert!(
            noise.starts_with("<b class=\"unsure\">-25 pts</b>"),
            "{noise}"
        );
        assert!(noise.contains("-70.4 to +35.5, may be noise"), "{noise}");
        assert_eq!(cell(json!({"liftPoints": null, "liftInterval": null})), "–");
    }

    #[test]
    fn a_csat_question_without_a_score_shows_a_dash() {
        let report = json!({"source": "demo", "surveys": [
            {"campaign": "c", "question": "q", "kind": "csat", "responses": 1,
             "csat": {"satisfiedPercent": null, "satisfied": 0}, "answers": [{"answer": "great", "count": 1}]},
            {"campaign": "c", "question": "r", "kind": "csat", "responses": 2,
             "csat": {"satisfiedPercent": 50, "satisfied": 1}, "answers": []}]});
        let page = render(&report);
        assert!(page.contains("CSAT <b>–</b>"), "{page}");
        assert!(page.contains("CSAT <b>50%</b>"), "{page}");
        assert!(!page.contains("–%"), "{page}");
    }

    #[test]
    fn sizes_are_labelled_at_the_end_of_the_range_not_now() {
        let report = json!({
            "source": "demo", "from": "2026-10-01", "to": "2026-10-31", "goal": "g", "windowDays": 7,
            "events": {"days": [], "total": 0, "series": []},
            "segments": [{"segment": "buyers", "members": 3, "entered": 1, "exited": 0}],
            "journeys": [{"journey": "life", "stages": [{"stage": "aware", "visitors": 2}]}],
            "surveys": [], "rewards": [], "campaigns": [],
        });
        let page = render(&report);
        assert!(!page.contains("Members now") && !page.contains("stage now"));
        assert!(page.contains("<th>Members</th>"));
        assert!(page.contains("members at the end of 2026-10-31"));
        assert!(page.contains("visitors at each stage at the end of 2026-10-31"));
    }

    #[test]
    fn escape_covers_html_and_attribute_quotes() {
        assert_eq!(
            escape("<img src=x onerror=\"a('b')\">&"),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn text_from_events_is_never_markup() {
        let report = json!({
            "source": "demo", "from": "2026-11-01", "to": "2026-11-02", "goal": "<b>", "windowDays": 7,
            "events": {"days": ["2026-11-01", "2026-11-02"], "total": 3,
                       "series": [{"name": "<script>alert(1)</script>", "total": 3, "counts": [1, 2]}]},
            "segments": [{"segment": "<i>x</i>", "members": 1, "entered": 1, "exited": 0}],
            "journeys": [],
            "surveys": [{"campaign": "c", "question": "q", "kind": "text", "responses": 1,
                         "texts": [{"at": "2026-11-01T00:00:00.000Z", "text": "<img src=x onerror=alert(1)>"}]}],
            "rewards": [], "campaigns": [],
        });
        let page = render(&report);
        assert!(!page.contains("<script>alert"));
        assert!(!page.contains("<img src=x"));
        assert!(!page.contains("<i>x</i>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // Two days, one series: two bars.
        assert_eq!(page.matches("<rect ").count(), 2);
    }
}
