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
    public static func escape(_ text: String) -> String { escape(text, bidiAsReference: false) }

    /// `text` as an attribute value that a form sends back (a relabel option's `value`):
    /// escaped as `escape` does, except that each bidi control becomes a character reference
    /// (`&#x202E;`), which the browser decodes, so the posted value is the data itself (a label
    /// holding U+202E can be chosen). A value shows at most inside its own form control (a
    /// text box), which is a bidi context of its own, so nothing else on the page reorders; the
    /// page's source still holds no bidi control.
    public static func escapeValue(_ text: String) -> String { escape(text, bidiAsReference: true) }

    private static func escape(_ text: String, bidiAsReference: Bool) -> String {
        var text = text
        return text.withUTF8 { bytes -> String in
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + bytes.count / 16 + 16)
            var runStart = 0
            var i = 0
            let n = bytes.count
            func flush(_ end: Int) {
                if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<end])) }
            }
            while i < n {
                let b = bytes[i]
                var replacement: String?
                var width = 1
                switch b {
                case 0x26: replacement = "&amp;"
                case 0x3C: replacement = "&lt;"
                case 0x3E: replacement = "&gt;"
                case 0x22: replacement = "&quot;"
                case 0x27: replacement = "&#39;"
                case 0x00: replacement = "\u{FFFD}"
                case 0xD8, 0xE2:
                    // The bidi controls are U+061C (D8 9C) and U+200E–U+2069 (E2 80 xx, E2 81 xx).
                    if i + 1 < n, let scalar = scalarAt(bytes, i), bidiControls.contains(scalar.value) {
                        let hex = String(scalar.value, radix: 16, uppercase: true)
                        replacement = bidiAsReference ? "&#x\(hex);" : "[U+\(hex)]"
                        width = b == 0xD8 ? 2 : 3
                    }
                default: break
                }
                if let replacement {
                    flush(i)
                    out.append(contentsOf: Array(replacement.utf8))
                    i += width
                    runStart = i
                } else {
                    i += 1
                }
            }
            flush(n)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The two- or three-byte scalar starting at `i` (nil when the bytes are not one).
    private static func scalarAt(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Unicode.Scalar? {
        let b = bytes[i]
        if b & 0xE0 == 0xC0, i + 1 < bytes.count {
            return Unicode.Scalar((UInt32(b & 0x1F) << 6) | UInt32(bytes[i + 1] & 0x3F))
        }
        if b & 0xF0 == 0xE0, i + 2 < bytes.count {
            return Unicode.Scalar((UInt32(b & 0x0F) << 12) | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F))
        }
        return nil
    }

    /// A whole page: the stylesheet and script are the embedded assets (no inline script or
    /// style, as the Content-Security-Policy requires). `body` is markup built with `escape`.
    /// `assets: false` for pages shown without a session (sign-in, signed out), whose requests
    /// for the assets would get 401.
    static func page(title: String, body: String, csrf: String? = nil, bodyAttributes: [(String, String)] = [], assets: Bool = true) -> String {
        let attributes = bodyAttributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · winnow</title>
            \(csrf.map { "<meta name=\"csrf\" content=\"\(escape($0))\">" } ?? "")
            \(assets ? "<link rel=\"stylesheet\" href=\"/assets/app.css\">\n<script src=\"/assets/app.js\" defer></script>" : "")
            </head>
            <body\(attributes)>
            \(body)
            </body>
            </html>

            """
    }

    /// A form that posts `fields` (hidden) to `action` with one submit button: works without
    /// JavaScript. `id` lets app.js submit it from a key. The values are sent back, so they go
    /// through `escapeValue` (a label-noise prediction holding U+202E posts as itself).
    static func postForm(action: String, csrf: String, fields: [(String, String)], button: String, id: String? = nil) -> String {
        let hidden = ([("csrf", csrf)] + fields).map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escapeValue($0.1))\">" }.joined()
        return "<form method=\"post\" action=\"\(escape(action))\"\(id.map { " id=\"\(escape($0))\"" } ?? "")>\(hidden)<button type=\"submit\">\(button)</button></form>"
    }

    /// `name` as a path segment (percent-encoded), for links to a queue.
    static func pathSegment(_ name: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
