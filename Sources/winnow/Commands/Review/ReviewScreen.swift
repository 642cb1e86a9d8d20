import ArgumentParser
import Foundation
import WinnowKit

/// Rendering of a review item for people.
enum ReviewScreen {
    /// Wraps text to `width` columns, keeping its line breaks.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                if line.count + word.count + (line.isEmpty ? 0 : 1) > width && !line.isEmpty {
                    lines.append(line)
                    line = ""
                }
                var w = Substring(word)
                while w.count > width { lines.append(String(w.prefix(width))); w = w.dropFirst(width) }
                line += (line.isEmpty ? "" : " ") + w
            }
            lines.append(line)
        }
        return lines
    }

    /// `allFlags`: the session's decisions take every open flag, so none is marked as outside review.
    static func describe(_ item: ReviewItem, width: Int, allFlags: Bool = false) -> String {
        let w = max(30, width - 2)
        var out = "item \(item.id) · \(item.uid) · \(item.kind)\(item.label.map { " · label: \($0)" } ?? "")"
        if !item.scenes.isEmpty { out += " · " + item.scenes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        out = wrap(out, width: w).joined(separator: "\n") + "\n"
        for f in item.flags {
            let aside = f.underReview || allFlags ? "" : " (not under review)"
            out += wrap("  ⚑ \(f.detector) \(String(format: "%.2f", f.score)): \(f.reason)\(aside)", width: w).joined(separator: "\n    ") + "\n"
        }
        out += String(repeating: "─", count: min(w, 80)) + "\n"
        let text = contentText(item)
        // A duplicate flag's representative, beside the sample (below it on a narrow terminal).
        var seen: Set<String> = []
        let representatives = item.flags.compactMap(\.representative).filter { seen.insert($0.uid).inserted }
        guard let rep = representatives.first else { return out + wrap(text, width: w).joined(separator: "\n") + "\n" }
        let title = "representative \(rep.uid)\(rep.label.map { " · label: \($0)" } ?? "")\(rep.status == "active" ? "" : " · \(rep.status)")"
        if w >= 90 {
            let column = (w - 3) / 2
            let left = ["this sample"] + wrap(text, width: column)
            let right = wrap(title, width: column) + wrap(rep.text, width: column)
            for i in 0..<max(left.count, right.count) {
                let l = i < left.count ? left[i] : ""
                let r = i < right.count ? right[i] : ""
                out += l + String(repeating: " ", count: max(0, column - l.count)) + " │ " + r + "\n"
            }
            return out
        }
        out += wrap(text, width: w).joined(separator: "\n") + "\n"
        out += "── " + title + " " + String(repeating: "─", count: max(3, min(w, 80) - title.count - 4)) + "\n"
        return out + wrap(rep.text, width: w).joined(separator: "\n") + "\n"
    }

    /// The item's content as shown: each field (named when the kind has several), a chat as role: content lines.
    static func contentText(_ item: ReviewItem) -> String {
        var out: [String] = []
        for key in ["text", "text_a", "text_b", "instruction", "input", "output", "messages"] {
            guard let value = item.content[key] else { continue }
            if item.content.count > 1 { out.append("[\(key)]") }
            var shown = value
            if key == "messages", let messages = ChatMessage.decodeList(value) {
                shown = messages.map { "\($0.role): \($0.content)" }.joined(separator: "\n")
            }
            out.append(shown)
        }
        return out.joined(separator: "\n")
    }

    static func outcomeLine(_ o: DecisionOutcome) -> String {
        switch o.state {
        case "applied": return "\(o.action) on item \(o.item) (\(o.uid)): applied"
        case "waiting": return "\(o.action) on item \(o.item) (\(o.uid)): recorded; waiting for more reviewers"
        case "disagreement": return "\(o.action) on item \(o.item) (\(o.uid)): recorded; the reviewers disagree — an adjudicator settles it"
        case "duplicate": return "\(o.action) on item \(o.item) (\(o.uid)): already recorded"
        default: return "\(o.action) on item \(o.item) (\(o.uid)): released"
        }
    }
}
