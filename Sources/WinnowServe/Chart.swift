import Foundation

/// The pieces of the dashboards' server-rendered SVG: bars, stacked bars, a target mark, a
/// legend. Colours and sizes are SVG presentation attributes (`fill="…"`), never `style="…"`,
/// which the Content-Security-Policy (`default-src 'self'`) would block. Every name shown
/// goes through `HTML.escape`, as on every page.
enum Chart {
    /// The drawing's width, its names' column and its bars' area, in SVG user units.
    static let width = 820.0
    static let nameWidth = 200.0
    static let barWidth = 340.0
    static let rowHeight = 24.0
    /// Where a row's figures start (right of the bars).
    static var figuresX: Double { nameWidth + barWidth + 10 }

    /// Colours: a gap (missing, under target) is warm, a healthy figure green.
    enum Colour {
        static let ok = "#2e7d32"
        static let under = "#ef6c00"
        static let missing = "#c62828"
        static let over = "#1565c0"
        static let neutral = "#9e9e9e"
        static let light = "#cfcfcf"
        static let gapRow = "#fdecea"
        static let reference = "#8d8d8d"
        static let ink = "#1b1b1b"
    }

    private static func e(_ text: String) -> String { HTML.escape(text) }

    /// A number for an attribute (one decimal is finer than a pixel).
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return String(format: "%.1f", value)
    }

    /// `text` cut to `limit` characters (with "…"), for the names' column; the full name stays
    /// in the row's `<title>` and in the table under the chart.
    static func clip(_ text: String, _ limit: Int = 26) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The whole drawing: `label` is its accessible name.
    static func svg(height: Double, label: String, _ content: String) -> String {
        """
        <svg class="chart" xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
        viewBox="0 0 \(n(width)) \(n(height))" role="img" aria-label="\(e(label))" font-family="system-ui, sans-serif" font-size="13">\
        \(content)</svg>
        """
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, title: String? = nil, className: String? = nil) -> String {
        let tip = title.map { "<title>\(e($0))</title>" } ?? ""
        let cls = className.map { " class=\"\(e($0))\"" } ?? ""
        let open = "<rect\(cls) x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(height))\" fill=\"\(fill)\""
        return tip.isEmpty ? open + "/>" : open + ">\(tip)</rect>"
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start", fill: String = Colour.ink, bold: Bool = false) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(bold ? " font-weight=\"600\"" : "")>\(e(content))</text>"
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = Colour.ink, width: Double = 2, title: String? = nil) -> String {
        let open = "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        return title.map { open + "><title>\(e($0))</title></line>" } ?? open + "/>"
    }

    /// A row's name, right-aligned against the bars, with the full name as its tooltip.
    static func name(_ name: String, row y: Double) -> String {
        "<g class=\"name\"><title>\(e(name))</title>\(text(x: nameWidth - 8, y: y + rowHeight / 2 + 4.5, clip(name), anchor: "end"))</g>"
    }

    /// One stacked bar of `segments` (value, colour, what it is) from the names' column,
    /// `scale` units to the full bar width.
    static func stacked(_ segments: [(value: Int, fill: String, title: String)], row y: Double, scale: Double, height: Double = rowHeight - 8) -> String {
        var x = nameWidth
        var out = ""
        for segment in segments where segment.value > 0 {
            let w = scale > 0 ? Double(segment.value) / scale * barWidth : 0
            out += rect(x: x, y: y + (rowHeight - height) / 2, width: w, height: height, fill: segment.fill, title: segment.title)
            x += w
        }
        return out
    }

    /// A legend row of coloured squares and their names, at `y`; an entry whose name is
    /// `target` is drawn as the target mark (a thin bar) instead.
    static func legend(_ entries: [(fill: String, name: String)], y: Double) -> String {
        var x = nameWidth
        var out = ""
        for entry in entries {
            out +=
                entry.name == "target"
                ? rect(x: x + 4, y: y - 1, width: 2, height: 13, fill: entry.fill) : rect(x: x, y: y, width: 11, height: 11, fill: entry.fill)
            out += text(x: x + 15, y: y + 10, entry.name)
            x += 15 + Double(entry.name.count) * 7.2 + 18
        }
        return out
    }
}
