//! The self-contained HTML report: the tables, with SVG charts drawn here (bars of a
//! percentage column by row, the monthly series as lines), no script and nothing fetched
//! from elsewhere, so it opens anywhere and can be mailed as one file.

use crate::table::{Cell, Table};

/// A chart to draw above a table.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Horizontal bars: each row's percentage in column `value` (a count-of cell), labelled
    /// by column `label`; only rows whose column `filter.0` reads `filter.1`, when given.
    Bars { label: usize, value: usize, filter: Option<(usize, String)> },
    /// Lines: x from column `x`, one line per distinct value of column `series`, y the
    /// percentage in column `value`.
    Lines { x: usize, series: usize, value: usize },
}

/// One part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    pub table: Table,
    pub charts: Vec<Chart>,
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn percent_of(c: &Cell) -> Option<f64> {
    match c {
        Cell::CountOf { n, of } if *of > 0 => Some(*n as f64 * 100.0 / *of as f64),
        Cell::Share(s) => Some(s * 100.0),
        _ => None,
    }
}

const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

fn bars(t: &Table, label: usize, value: usize, filter: &Option<(usize, String)>) -> String {
    let rows: Vec<(String, f64)> = t
        .rows
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|(c, v)| r.get(*c).is_some_and(|x| x.text() == *v)))
        .filter_map(|r| Some((r.get(label)?.text(), percent_of(r.get(value)?)?)))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let (bar_h, left, width) = (22.0, 260.0, 420.0);
    let height = rows.len() as f64 * bar_h + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">\n",
        left + width + 60.0,
        escape(&t.columns.get(value).cloned().unwrap_or_default())
    );
    for (i, (name, pct)) in rows.iter().enumerate() {
        let y = i as f64 * bar_h + 4.0;
        let w = width * pct / 100.0;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{pct:.0}%</text>\n",
            left - 6.0,
            y + 14.0,
            escape(name),
            bar_h - 6.0,
            COLOURS[0],
            left + w + 4.0,
            y + 14.0
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"0\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>\n</svg>\n",
        height - 26.0
    ));
    svg
}

fn lines(t: &Table, x: usize, series: usize, value: usize) -> String {
    let mut xs: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for r in &t.rows {
        if let (Some(a), Some(b)) = (r.get(x), r.get(series)) {
            if !xs.contains(&a.text()) {
                xs.push(a.text());
            }
            if !names.contains(&b.text()) {
                names.push(b.text());
            }
        }
    }
    if xs.is_empty() {
        return String::new();
    }
    let (left, top, width, height) = (50.0, 10.0, 560.0, 220.0);
    let step = if xs.len() > 1 { width / (xs.len() - 1) as f64 } else { 0.0 };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"monthly series\">\n",
        left + width + 200.0,
        top + height + 40.0
    );
    for p in [0, 25, 50, 75, 100] {
        let y = top + height - height * p as f64 / 100.0;
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">{p}%</text>\n",
            left + width,
            left - 4.0,
            y + 4.0
        ));
    }
    for (i, label) in xs.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\n",
            left + step * i as f64,
            top + height + 16.0,
            escape(label)
        ));
    }
    for (k, name) in names.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<String> = t
            .rows
            .iter()
            .filter(|r| r.get(series).is_some_and(|c| c.text() == *name))
            .filter_map(|r| {
                let i = xs.iter().position(|v| Some(v.clone()) == r.get(x).map(Cell::text))?;
                let pct = percent_of(r.get(value)?)?;
                Some(format!("{:.1},{:.1}", left + step * i as f64, top + height - height * pct / 100.0))
            })
            .collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{colour}\">{}</text>\n",
            points.join(" "),
            left + width + 10.0,
            top + 14.0 + 16.0 * k as f64,
            escape(name)
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn table_html(t: &Table) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for c in &t.columns {
        out.push_str(&format!("<th>{}</th>", escape(c)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            let class = if matches!(c, Cell::Text(_) | Cell::Empty) { "" } else { " class=\"n\"" };
            out.push_str(&format!("<td{class}>{}</td>", escape(&c.text())));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// One section as an HTML fragment: its title, caption, charts (inline SVG, no style
/// attributes) and table, for pages that frame it their own way.
pub fn section(s: &Section) -> String {
    let mut out = format!("<section>\n<h2>{}</h2>\n<p>{}</p>\n", escape(&s.table.title), escape(&s.table.caption));
    for c in &s.charts {
        let svg = match c {
            Chart::Bars { label, value, filter } => bars(&s.table, *label, *value, filter),
            Chart::Lines { x, series, value } => lines(&s.table, *x, *series, *value),
        };
        if !svg.is_empty() {
            out.push_str(&format!("<figure>\n{svg}</figure>\n"));
        }
    }
    out.push_str(&table_html(&s.table));
    out.push_str("</section>\n");
    out
}

/// The whole report as one HTML page.
pub fn report(title: &str, sections: &[Section]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0 2em}}\
         th,td{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}th{{background:#f3f3f3}}td.n{{text-align:right}}\
         figure{{margin:1em 0}}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    for s in sections {
        out.push_str(&section(s));
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_escaped_and_draws_bars_and_lines() {
        let t = Table {
            title: "Rates <test>".into(),
            caption: "as of & then".into(),
            columns: vec!["as of".into(), "group".into(), "answered".into()],
            rows: vec![
                vec![Cell::Text("2026-09-30".into()), Cell::Text("NHS".into()), Cell::CountOf { n: 1, of: 2 }],
                vec![Cell::Text("2026-10-31".into()), Cell::Text("NHS".into()), Cell::CountOf { n: 2, of: 2 }],
            ],
        };
        let html = report(
            "Report <script>",
            &[Section {
                table: t,
                charts: vec![
                    Chart::Bars { label: 1, value: 2, filter: None },
                    Chart::Lines { x: 0, series: 1, value: 2 },
                ],
            }],
        );
        assert!(html.contains("Report &lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("Rates &lt;test&gt;") && html.contains("as of &amp; then"));
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("<polyline") && html.contains("50%") && html.contains("100%"));
        assert!(html.contains("<td class=\"n\">1 (50%)</td>"));
    }
}
