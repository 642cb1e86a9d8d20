import Foundation

/// The one way text reaches a page. All sample text is hostile: every string a page shows
/// (sample fields, labels, uids, names, reasons, messages) goes through `escape`, in element
/// text and attribute values alike; nothing else builds markup from data.
public enum HTML {
    /// The bidi controls that reorder what follows them (overrides, embeddings, isolates, marks).
    static let bidiControls: Set<UInt32> = [
        0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
    ]

    /// `text` safe in element content and in double- or single-quoted attribute values: `&`,
    /// `<`, `>`, `"` and `'` become character references, NUL becomes U+FFFD, and each bidi
    /// control is shown as the visible text `[U+202E]` instead of reordering the page.
    public static func escape(_ text: String) -> String {
        var out = String()
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default:
                if bidiControls.contains(scalar.value) {
                    out += "[U+" + String(scalar.value, radix: 16, uppercase: true) + "]"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A whole page: the stylesheet and script are the embedded assets (no inline script or
    /// style, as the Content-Security-Policy requires). `body` is markup built with `escape`.
    static func page(title: String, body: String, csrf: String? = nil, bodyAttributes: [(String, String)] = []) -> String {
        let attributes = bodyAttributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · winnow</title>
            \(csrf.map { "<meta name=\"csrf\" content=\"\(escape($0))\">" } ?? "")
            <link rel="stylesheet" href="/assets/app.css">
            <script src="/assets/app.js" defer></script>
            </head>
            <body\(attributes)>
            \(body)
            </body>
            </html>

            """
    }

    /// A form that posts `fields` (hidden) to `action` with one submit button: works without
    /// JavaScript. `id` lets app.js submit it from a key.
    static func postForm(action: String, csrf: String, fields: [(String, String)], button: String, id: String? = nil) -> String {
        let hidden = ([("csrf", csrf)] + fields).map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined()
        return "<form method=\"post\" action=\"\(escape(action))\"\(id.map { " id=\"\(escape($0))\"" } ?? "")>\(hidden)<button type=\"submit\">\(button)</button></form>"
    }

    /// `name` as a path segment (percent-encoded), for links to a queue.
    static func pathSegment(_ name: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
