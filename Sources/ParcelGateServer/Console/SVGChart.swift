/// Charts drawn on the server as inline SVG (README, "Console"): no script, no external asset, readable by a
/// screen reader through each chart's `aria-label` and each bar's `<title>`. Colours come from CSS classes
/// (`series-0`...), never inline styles, so the strict Content-Security-Policy holds.
///
/// Every label is escaped here: the output is inserted into pages unescaped (it is markup).
enum SVGChart {
    struct Series: Sendable {
        var label: String
        /// A CSS class of style.css (`fill-applied`, `fill-rejected`...).
        var cssClass: String
    }

    /// One stacked bar: its label (shown on the axis every `labelEvery` bars) and a value per series.
    struct Bar: Sendable {
        var label: String
        var values: [Int]
    }

    /// Stacked vertical bars (callbacks per minute by outcome).
    static func stackedBars(title: String, series: [Series], bars: [Bar], labelEvery: Int = 10) -> String {
        let width = 720, height = 220, left = 40, bottom = 24, top = 8
        let plotHeight = height - bottom - top
        let total = bars.map { $0.values.reduce(0, +) }.max() ?? 0
        // At least 5, and 1, 2 or 5 × 10^n: five grid steps then fall on whole numbers.
        let scaleMax = max(5, niceCeiling(total))
        let slot = Double(width - left) / Double(max(1, bars.count))
        let barWidth = max(1.0, slot * 0.8)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\" preserveAspectRatio=\"none\">"
        svg += "<title>\(escape(title))</title>"
        // Axis lines and the scale.
        for step in 0...5 {
            let value = scaleMax * step / 5
            let y = top + plotHeight - plotHeight * step / 5
            svg += "<line class=\"grid\" x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width)\" y2=\"\(y)\"/>"
            svg += "<text class=\"axis\" x=\"\(left - 4)\" y=\"\(y + 4)\" text-anchor=\"end\">\(value)</text>"
        }
        for (index, bar) in bars.enumerated() {
            let x = Double(left) + Double(index) * slot + (slot - barWidth) / 2
            var base = Double(top + plotHeight)
            for (seriesIndex, value) in bar.values.enumerated() where value > 0 && seriesIndex < series.count {
                let h = Double(plotHeight) * Double(value) / Double(scaleMax)
                base -= h
                svg += "<rect class=\"\(escape(series[seriesIndex].cssClass))\" x=\"\(format(x))\" y=\"\(format(base))\" width=\"\(format(barWidth))\" height=\"\(format(h))\">"
                svg += "<title>\(escape(bar.label)): \(value) \(escape(series[seriesIndex].label))</title></rect>"
            }
            if labelEvery > 0, index % labelEvery == 0 {
                svg += "<text class=\"axis\" x=\"\(format(x + barWidth / 2))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(escape(bar.label))</text>"
            }
        }
        svg += "</svg>"
        return svg
    }

    /// Horizontal bars, one per row (fulfillments by status, exceptions by carrier).
    static func horizontalBars(title: String, rows: [(label: String, value: Int)], cssClass: String = "fill-bar") -> String {
        let rowHeight = 24, labelWidth = 130, width = 360, valueWidth = 44
        let height = max(1, rows.count) * rowHeight + 4
        let maximum = max(1, rows.map(\.value).max() ?? 0)
        let plot = width - labelWidth - valueWidth
        var svg = "<svg class=\"chart hbars\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<title>\(escape(title))</title>"
        for (index, row) in rows.enumerated() {
            let y = index * rowHeight + 2
            let w = row.value == 0 ? 0 : max(2, plot * row.value / maximum)
            svg += "<text class=\"label\" x=\"\(labelWidth - 6)\" y=\"\(y + 17)\" text-anchor=\"end\">\(escape(row.label))</text>"
            svg += "<rect class=\"\(escape(cssClass))\" x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowHeight - 6)\"><title>\(escape(row.label)): \(row.value)</title></rect>"
            svg += "<text class=\"value\" x=\"\(labelWidth + w + 6)\" y=\"\(y + 17)\">\(row.value)</text>"
        }
        svg += "</svg>"
        return svg
    }

    /// The smallest of 1, 2, 5 × 10^n at or above `value`.
    static func niceCeiling(_ value: Int) -> Int {
        guard value > 1 else { return max(value, 1) }
        var magnitude = 1
        while magnitude <= value / 10 { magnitude *= 10 }
        for step in [1, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 10).rounded()
        guard scaled.isFinite, abs(scaled) < 1e12 else { return "0" }
        return String(Double(Int64(scaled)) / 10)
    }

    /// Text for SVG markup: the five XML specials.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
